import CLinuxNet
import Glibc

/// A kernel pipe used to move a large transfer socket → pipe → socket with `splice(2)`,
/// so the bytes are never copied into user space.
struct SplicePipe {
    let readFD: Int32
    let writeFD: Int32
    /// Bytes spliced in and not yet spliced out.
    var count = 0
}

/// Pipes recycled per data-plane loop; a flow holds one only while a large transfer runs.
final class PipePool {
    private var free: [SplicePipe] = []
    private let maxFree: Int
    /// Pipes handed out and not yet returned, for stats and tests.
    private(set) var pipesInUse = 0

    init(maxFree: Int = 32) {
        self.maxFree = maxFree
    }

    deinit {
        for pipe in free { close(pipe.readFD); close(pipe.writeFD) }
    }

    /// A fresh or recycled empty pipe; nil when the process is out of file descriptors.
    func take() -> SplicePipe? {
        if let pipe = free.popLast() {
            pipesInUse += 1
            return pipe
        }
        var fds: [Int32] = [-1, -1]
        guard cln_pipe2(&fds) == 0 else { return nil }
        pipesInUse += 1
        return SplicePipe(readFD: fds[0], writeFD: fds[1])
    }

    /// Takes a pipe back; one still holding bytes (a session closed mid-transfer) is closed instead.
    func recycle(_ pipe: SplicePipe) {
        pipesInUse -= 1
        if pipe.count == 0 && free.count < maxFree {
            free.append(pipe)
        } else {
            close(pipe.readFD)
            close(pipe.writeFD)
        }
    }
}

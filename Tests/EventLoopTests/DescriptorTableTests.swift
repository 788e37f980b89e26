import EventLoop
import Glibc
import Synchronization
import Testing

@Suite struct DescriptorTableTests {
    /// Whether `fd` is open in the calling thread's table.
    static func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

    @Test func anIsolatedThreadKeepsOnlyWhatItAsksForAndOthersKeepEverything() throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        defer { close(readEnd); close(writeEnd) }

        struct Seen: Sendable { var isolated = false, readOpen = false, writeOpen = true }
        let seen = Mutex(Seen())
        LoopThread(name: "isolation-test") {
            var result = Seen()
            do {
                try DescriptorTable.isolate(keeping: [STDERR_FILENO, readEnd])
                result.isolated = true
            } catch {}
            result.readOpen = Self.isOpen(readEnd)
            result.writeOpen = Self.isOpen(writeEnd)
            seen.withLock { $0 = result }
        }.join()

        let result = seen.withLock { $0 }
        try #require(result.isolated, "unshare(CLONE_FILES) failed")
        #expect(result.readOpen, "a kept descriptor stays open in the thread's copy")
        #expect(!result.writeOpen, "everything not kept is closed in the thread's copy")
        // This thread's table is untouched: the pipe still works end to end.
        var byte: UInt8 = 42
        #expect(write(writeEnd, &byte, 1) == 1)
        byte = 0
        #expect(read(readEnd, &byte, 1) == 1 && byte == 42)
    }
}

import Foundation
import Glibc

/// A raw IPv4 socket in one lab host that sends whole IP packets (`IP_HDRINCL`), so a test
/// controls every header field a VRRP receiver checks: TTL, protocol, source, and the VRRP
/// bytes after the header. The kernel still fills the IP checksum and total length.
///
/// Bound to the host's lab interface, so 224.0.0.18 leaves through it without a route.
final class LabRawSender {
    let fd: Int32
    let host: NetworkLab.Host

    init(lab: NetworkLab, host: NetworkLab.Host) throws {
        let interface = host.interface
        fd = try lab.inside(host) { () throws -> Int32 in
            let fd = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 112)
            guard fd >= 0 else { throw LabError.commandFailed("socket(SOCK_RAW, 112): \(String(cString: strerror(errno)))") }
            var on: Int32 = 1
            let bound = interface.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) }
            guard setsockopt(fd, Int32(IPPROTO_IP), IP_HDRINCL, &on, socklen_t(MemoryLayout<Int32>.size)) == 0, bound == 0 else {
                let message = String(cString: strerror(errno))
                close(fd)
                throw LabError.commandFailed("raw socket options: \(message)")
            }
            return fd
        }
        self.host = host
    }

    deinit { close(fd) }

    /// Sends `packet` (an IPv4 header and its payload) to `destination` (host byte order).
    func send(_ packet: [UInt8], to destination: UInt32) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = destination.bigEndian
        let sent = packet.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == packet.count else { throw LabError.commandFailed("sendto: \(String(cString: strerror(errno)))") }
    }

    /// A 20-byte IPv4 header for protocol 112 (TOS 0xC0 as routers send VRRP); the kernel fills
    /// the identification, total length and checksum.
    static func ipHeader(source: UInt32, destination: UInt32, ttl: UInt8, protocolNumber: UInt8 = 112) -> [UInt8] {
        [0x45, 0xC0, 0, 0, 0, 0, 0, 0, ttl, protocolNumber, 0, 0]
            + LabPackets.bytes(source) + LabPackets.bytes(destination)
    }

    /// Recomputes the checksum of a VRRP message in place: v3 over the pseudo-header, v2 alone.
    static func fixChecksum(_ message: inout [UInt8], source: UInt32, destination: UInt32) {
        message[6] = 0
        message[7] = 0
        let version = message[0] >> 4
        let sum = version == 2 ? LabPackets.checksum(message)
            : LabPackets.checksum(LabPackets.pseudoHeader(source: source, destination: destination, length: message.count) + message)
        message[6] = UInt8(sum >> 8)
        message[7] = UInt8(sum & 0xFF)
    }
}

/// `ferry capture --interface eth0 --write FILE --seconds S` running in a lab host, and
/// `ferry capture --read FILE` on what it wrote.
final class FerryCaptureInLab {
    let file: URL
    let process: LabProcess

    /// Starts the capture and waits until it has opened its dump file (so it is live).
    init(lab: NetworkLab, host: NetworkLab.Host, seconds: Double, name: String = "capture") throws {
        file = lab.directory.appendingPathComponent("\(name)-\(host.index).pcap")
        process = try lab.spawn(in: host, [FerryInLab.binary, "capture", "--interface", host.interface,
                                           "--seconds", String(seconds), "--write", file.path],
                                logName: "\(name)-\(host.index).log")
        let live = FerryInLab.poll(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: file.path) || !process.isRunning }
        guard live, process.isRunning else { throw LabError.commandFailed("ferry capture did not start: \(process.log)") }
        // The file appears right after pcap_activate; give the process a moment to reach its loop.
        usleep(100_000)
    }

    /// What the live capture printed so far.
    var liveOutput: String { process.log }

    /// Waits for `--seconds` to pass and the file to be complete.
    func finish(timeout: Duration = .seconds(30)) throws {
        guard process.waitForExit(timeout: timeout) else { throw LabError.timedOut("ferry capture still running") }
        guard process.exitStatus == 0 else { throw LabError.commandFailed("ferry capture exited \(process.exitStatus ?? -1): \(process.log)") }
    }

    /// `ferry capture --read FILE`'s output.
    func read() throws -> String {
        let outcome = try LabProcess.run([FerryInLab.binary, "capture", "--read", file.path],
                                         logFile: file.deletingPathExtension().appendingPathExtension("read.log"))
        guard outcome.succeeded else { throw LabError.commandFailed("ferry capture --read: \(outcome)") }
        return outcome.output
    }
}

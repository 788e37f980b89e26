import ArgumentParser
import Foundation
import VRRP

extension Ferry {
    /// `ferry capture`: what VRRP/CARP adverts and ARPs are on the wire, one line each, with
    /// anomalies (two masters, mismatched intervals or addresses, bad TTL or checksum) flagged.
    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode VRRP/CARP adverts and ARP on an interface (or a saved .pcap), flagging anomalies.")

        @Option(name: .shortAndLong, help: "The interface to capture on (needs CAP_NET_RAW).")
        var interface: String?

        @Option(name: .shortAndLong, help: "Read a saved capture file instead of an interface.")
        var read: String?

        @Option(name: .shortAndLong, help: "Stop after this many packets.")
        var count: Int?

        @Option(name: .shortAndLong, help: "Stop after this many seconds.")
        var seconds: Double?

        @Option(name: .shortAndLong, help: "Also write the captured packets to this .pcap file.")
        var write: String?

        func validate() throws {
            guard (interface == nil) != (read == nil) else {
                throw ValidationError("give exactly one of --interface IF or --read FILE.pcap")
            }
        }

        func run() throws {
            let capture: PcapCapture
            do {
                capture = try interface.map { try PcapCapture(interface: $0) } ?? PcapCapture(file: read!, filter: PcapCapture.defaultFilter)
            } catch {
                FileHandle.standardError.write(Data("ferry capture: \(error)\n".utf8))
                throw ExitCode(1)
            }
            guard let linkType = CapturedFrame.LinkType(rawValue: capture.linkType.rawValue) else {
                FileHandle.standardError.write(Data("ferry capture: unsupported link type \(capture.linkType)\n".utf8))
                throw ExitCode(1)
            }
            let dump = try write.map { try capture.dump(to: $0) }
            let decoder = CaptureDecoder(utcOffset: TimeZone.current.secondsFromGMT())
            var detector = CaptureAnomalyDetector()
            let deadline = seconds.map { Date().addingTimeInterval($0) }
            var seen = 0, anomalies = 0
            while count.map({ seen < $0 }) ?? true, deadline.map({ Date() < $0 }) ?? true {
                guard let packet = try capture.next() else {
                    if capture.reachedEnd || read != nil { break }
                    continue  // live capture: the read timeout passed without a packet
                }
                seen += 1
                dump?.write(packet)
                let event = decoder.decode(CapturedFrame(
                    timestamp: CaptureTimestamp(seconds: Int64(packet.seconds), microseconds: Int32(packet.microseconds)),
                    linkType: linkType, bytes: packet.bytes))
                print(event.description)
                for anomaly in detector.observe(event) {
                    anomalies += 1
                    print("  !! \(anomaly)")
                }
                fflush(nil)  // one line per packet, also through a pipe
            }
            try dump?.flush()
            dump?.close()
            print("\(seen) packets, \(anomalies) anomalies")
        }
    }
}

import CPcap

/// A libpcap call that failed, with libpcap's own message (it names the interface, the
/// filter syntax error, or the missing permission).
public struct PcapError: Error, Sendable, Equatable, CustomStringConvertible {
    public var function: String
    public var message: String

    public init(function: String, message: String) {
        self.function = function
        self.message = message
    }

    /// From the PCAP_ERRBUF_SIZE buffer that pcap_create, pcap_open_offline and others fill in.
    init(function: String, errorBuffer: [CChar]) {
        let text = errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self.init(function: function, message: String(decoding: text, as: UTF8.self))
    }

    /// From a status code and the handle's error text (pcap_statustostr + pcap_geterr).
    init(function: String, status: Int32, handle: OpaquePointer) {
        let detail = pcap_geterr(handle).map { String(cString: $0) } ?? ""
        let summary = pcap_statustostr(status).map { String(cString: $0) } ?? "error \(status)"
        self.init(function: function, message: detail.isEmpty ? summary : "\(summary): \(detail)")
    }

    public var description: String { "\(function): \(message)" }
}

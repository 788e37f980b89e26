/// One frame as libpcap delivers it: the link type of the capture, the time stamp and the bytes.
public struct CapturedFrame: Sendable, Hashable {
    /// The pcap link types the decoder understands (`pcap_datalink()` values).
    public enum LinkType: Int32, Sendable, Hashable, CaseIterable {
        /// DLT_EN10MB: Ethernet II, possibly with 802.1Q / 802.1ad tags.
        case ethernet = 1
        /// DLT_LINUX_SLL: Linux "cooked" capture v1, what `-i any` gives by default.
        case linuxCooked = 113
        /// DLT_LINUX_SLL2: cooked capture v2 (libpcap ≥ 1.10 on request, with the interface index).
        case linuxCooked2 = 276
    }

    public var timestamp: CaptureTimestamp
    public var linkType: LinkType
    /// The captured bytes (up to the snap length).
    public var bytes: [UInt8]

    public init(timestamp: CaptureTimestamp, linkType: LinkType, bytes: [UInt8]) {
        self.timestamp = timestamp
        self.linkType = linkType
        self.bytes = bytes
    }
}

/// A capture time stamp: wall-clock seconds since the Unix epoch and microseconds, as in the
/// pcap record header.
public struct CaptureTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var microseconds: Int32

    public init(seconds: Int64, microseconds: Int32) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    /// Microseconds since the epoch, for window arithmetic.
    public var totalMicroseconds: Int64 { seconds * 1_000_000 + Int64(microseconds) }

    public static func < (lhs: CaptureTimestamp, rhs: CaptureTimestamp) -> Bool {
        lhs.totalMicroseconds < rhs.totalMicroseconds
    }

    /// `HH:MM:SS.mmm` of the day, shifted by `utcOffset` seconds (0 = UTC; the capture command
    /// passes the local offset so the times match the system log).
    public func timeOfDay(utcOffset: Int = 0) -> String {
        let local = seconds + Int64(utcOffset)
        let secondOfDay = ((local % 86_400) + 86_400) % 86_400
        let milliseconds = Int64(microseconds) / 1000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(millis)"
    }

    public var description: String { timeOfDay() }
}

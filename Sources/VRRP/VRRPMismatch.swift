/// A configuration difference between us and a peer that the RFCs say to log (and show) rather
/// than act on. These are what split brains are made of, so the speaker logs them at warning
/// level and the stats page keeps the latest.
public enum VRRPMismatch: Sendable, Hashable, CustomStringConvertible {
    /// The advertised virtual addresses differ from ours (count or list, in any order).
    case addressList(ours: [IPv4Address], theirs: [IPv4Address], from: IPv4Address)
    /// The advertised interval differs from ours (nanoseconds). A v3 backup adopts the master's;
    /// for v2 the packet is also dropped (``VRRPDropReason/intervalMismatch``).
    case advertInterval(ours: UInt64, theirs: UInt64, from: IPv4Address)

    public var description: String {
        switch self {
        case .addressList(let ours, let theirs, let source):
            "address list mismatch from \(source): ours \(Self.list(ours)), theirs \(Self.list(theirs))"
        case .advertInterval(let ours, let theirs, let source):
            "advertisement interval mismatch from \(source): ours \(VRRPTimers.describe(ours)), theirs \(VRRPTimers.describe(theirs))"
        }
    }

    static func list(_ addresses: [IPv4Address]) -> String {
        "[" + addresses.map(\.description).joined(separator: ", ") + "]"
    }
}

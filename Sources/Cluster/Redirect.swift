/// A cluster node's error reply that asks the client (Ferry) to act rather than to give up.
///
/// Redis writes redirects as `MOVED <slot> <endpoint>:<port>` and `ASK <slot> <endpoint>:<port>`
/// (`"-%s %d %s:%d"` in `cluster.c`), the endpoint being the node's preferred endpoint:
/// - an IP, an IPv6 one unbracketed (`MOVED 3999 ::1:7000`), so the port follows the *last* colon;
/// - a hostname with `cluster-preferred-endpoint-type hostname` (`MOVED 3999 node-3.example:7000`),
///   or `?` when that node announces no hostname (`MOVED 3999 ?:7000`, seen on redis-server 7.0);
/// - nothing with `unknown-endpoint` (`MOVED 3999 :7000`): the same host as the node that answered.
///
/// The other cases are the errors after which the same request may simply be retried later.
public enum Redirect: Sendable, Equatable {
    /// `MOVED`: the slot now lives on another master; update the map and resend there. An empty
    /// `host` means the host of the node that sent the redirect; `?` is passed through as is (the
    /// node has no usable endpoint: the caller should refresh the slot map instead).
    case moved(slot: UInt16, host: String, port: UInt16)
    /// `ASK`: the slot is being migrated and this key may already be on the target; resend this one
    /// request there, preceded by `ASKING`, without changing the map. `host` as for ``moved(slot:host:port:)``.
    case ask(slot: UInt16, host: String, port: UInt16)
    /// `TRYAGAIN`: a multi-key request during the migration of its slot, some keys on each side.
    case tryAgain
    /// `CLUSTERDOWN`: the cluster is down, or the slot is not served (`Hash slot not served`).
    case clusterDown
    /// `LOADING`: the node is loading its data set (after a restart or a full resynchronisation).
    case loading

    /// `MOVED` or `ASK`: another node is named; the others are retried on the same slot's master.
    public var isRedirection: Bool {
        switch self {
        case .moved, .ask: true
        case .tryAgain, .clusterDown, .loading: false
        }
    }

    /// Reads an error reply's text: the bytes after the `-` and before the CRLF, e.g.
    /// `MOVED 3999 127.0.0.1:6381`. Returns `nil` for every other error, and for a `MOVED` or `ASK`
    /// whose slot or port does not parse (it is then relayed to the client like any error).
    ///
    /// Any other error is turned down by looking at its first bytes, without allocating: this runs
    /// on every error reply that passes through Ferry. A redirect's host is made a `String`, which
    /// does not allocate either for hosts of up to 15 bytes (any IPv4 address).
    public init?(error text: UnsafeRawBufferPointer) {
        guard let first = text.first else { return nil }
        switch first {
        case UInt8(ascii: "M"):
            guard Self.word("MOVED", at: text), let target = Self.target(text, after: 6) else { return nil }
            self = .moved(slot: target.slot, host: target.host, port: target.port)
        case UInt8(ascii: "A"):
            guard Self.word("ASK", at: text), let target = Self.target(text, after: 4) else { return nil }
            self = .ask(slot: target.slot, host: target.host, port: target.port)
        case UInt8(ascii: "T"):
            guard Self.word("TRYAGAIN", at: text) else { return nil }
            self = .tryAgain
        case UInt8(ascii: "C"):
            guard Self.word("CLUSTERDOWN", at: text) else { return nil }
            self = .clusterDown
        case UInt8(ascii: "L"):
            guard Self.word("LOADING", at: text) else { return nil }
            self = .loading
        default:
            return nil
        }
    }

    /// The same from an array of bytes (tests, and rare paths).
    public init?(error text: [UInt8]) {
        guard let redirect = text.withUnsafeBytes({ Redirect(error: $0) }) else { return nil }
        self = redirect
    }

    /// True when `text` starts with `word` followed by a space or by nothing (Redis writes these
    /// codes in capitals; `MOVEDX` is not `MOVED`).
    @inline(__always)
    private static func word(_ word: StaticString, at text: UnsafeRawBufferPointer) -> Bool {
        let count = word.utf8CodeUnitCount
        guard text.count >= count else { return false }
        let bytes = word.utf8Start
        for index in 0..<count where text[index] != bytes[index] {
            return false
        }
        return text.count == count || text[count] == UInt8(ascii: " ")
    }

    /// `<slot> <host>:<port>` from `start` to the end of `text`.
    private static func target(_ text: UnsafeRawBufferPointer, after start: Int) -> (
        slot: UInt16, host: String, port: UInt16
    )? {
        var index = start
        guard let slot = number(text, &index, limit: HashSlot.count - 1), index < text.count,
            text[index] == UInt8(ascii: " ")
        else { return nil }
        let hostStart = index + 1
        // The port follows the last colon: an IPv6 address holds colons of its own.
        guard let colon = text[hostStart...].lastIndex(of: UInt8(ascii: ":")) else { return nil }
        var portIndex = colon + 1
        guard let port = number(text, &portIndex, limit: 65535), port > 0, portIndex == text.count else { return nil }
        var host = hostStart..<colon
        // Redis does not bracket IPv6 hosts, but `[::1]:7000` is unambiguous too.
        if host.count >= 2, text[host.lowerBound] == UInt8(ascii: "["), text[host.upperBound - 1] == UInt8(ascii: "]") {
            host = host.lowerBound + 1..<host.upperBound - 1
        }
        guard !text[host].contains(UInt8(ascii: " ")) else { return nil }
        return (
            UInt16(slot), String(decoding: UnsafeRawBufferPointer(rebasing: text[host]), as: UTF8.self), UInt16(port)
        )
    }

    /// Decimal digits at `index` (at least one, at most five, value at most `limit`); moves past them.
    private static func number(_ text: UnsafeRawBufferPointer, _ index: inout Int, limit: Int) -> Int? {
        var value = 0
        let start = index
        while index < text.count, index - start < 6 {
            let digit = Int(text[index]) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit) else { break }
            value = value * 10 + digit
            index += 1
        }
        guard index > start, index - start <= 5, value <= limit else { return nil }
        return value
    }
}

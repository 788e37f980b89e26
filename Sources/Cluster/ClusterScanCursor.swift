import RESP

/// The cursor of a cluster-wide `SCAN`: which master is being scanned, and that master's own
/// cursor, in one decimal number the client passes back unchanged.
///
/// Layout: `cursor = serverCursor << 10 | masterIndex`.
/// - The low ``masterBits`` (10) bits are the master's index, so at most ``maxMasters`` (1,024)
///   masters, Redis Cluster's own recommended ceiling (the cluster bus is sized for about 1,000).
/// - The next ``serverCursorBits`` (53) bits are the master's cursor, so an encoded cursor is
///   always below 2^63: clients that hold cursors in a signed 64-bit integer (Java's `long`, older
///   Spring Data) keep working. A master's cursor is the reversed-bits position in its hash table
///   (Redis 7.4+ also puts the slot's dict index in its 14 low bits), so it stays below the table
///   size times 2^14: under 2^53 for tables up to 2^39 buckets, far beyond any real node. A larger
///   one cannot be encoded (``next(afterMaster:serverCursor:masterCount:)`` says so) rather than
///   being cut.
/// - `0` is master 0 at its cursor 0: the start, as for Redis. The end is `0` too: after the last
///   master answers 0. Every other position encodes to a non-zero cursor (master `i + 1` at
///   cursor 0 is `i + 1`), so a scan never ends early.
///
/// Masters are numbered by the caller; the numbering must stay put while a scan runs (Ferry's
/// should order masters by the first slot they hold, which a failover does not change: the
/// promoted replica takes over the cursor too, since a SCAN cursor stays valid across table
/// sizes). When the cluster has fewer masters than a cursor names, the cursor is invalid.
public enum ClusterScanCursor {
    /// Bits of the master's index.
    public static let masterBits = 10
    /// Most masters a scan can go through.
    public static let maxMasters = 1 << masterBits
    /// Bits of a master's own cursor.
    public static let serverCursorBits = 53
    /// The largest master cursor that can be encoded.
    public static let maxServerCursor: UInt64 = (1 << 53) - 1
    /// Redis's reply to a cursor it cannot read, which Ferry gives for one it cannot decode.
    public static let invalidCursorMessage = "ERR invalid cursor"
    /// Ferry's reply when a master answers a cursor above ``maxServerCursor``.
    public static let serverCursorTooLargeMessage = "ERR ferry: a master's SCAN cursor does not fit Ferry's cluster cursor"

    /// One step of a cluster-wide scan.
    public struct Position: Sendable, Equatable, CustomStringConvertible {
        /// The master being scanned (0-based, in the caller's order).
        public var masterIndex: Int
        /// That master's cursor.
        public var serverCursor: UInt64

        public init(masterIndex: Int, serverCursor: UInt64) {
            self.masterIndex = masterIndex
            self.serverCursor = serverCursor
        }

        public var description: String { "master \(masterIndex) at \(serverCursor)" }
    }

    /// The cursor for master `masterIndex` at its cursor `serverCursor`; `nil` when either does not
    /// fit (`masterIndex` outside `0..<maxMasters`, `serverCursor` above ``maxServerCursor``).
    public static func encode(masterIndex: Int, serverCursor: UInt64) -> UInt64? {
        guard masterIndex >= 0, masterIndex < maxMasters, serverCursor <= maxServerCursor else { return nil }
        return serverCursor << UInt64(masterBits) | UInt64(masterIndex)
    }

    /// Where `cursor` points in a cluster of `masterCount` masters; `nil` for a cursor Ferry never
    /// gives (2^63 or more, or a master at or past `masterCount`).
    public static func decode(_ cursor: UInt64, masterCount: Int) -> Position? {
        guard cursor >> UInt64(masterBits + serverCursorBits) == 0 else { return nil }
        let master = Int(cursor & UInt64(maxMasters - 1))
        guard master < masterCount else { return nil }
        return Position(masterIndex: master, serverCursor: cursor >> UInt64(masterBits))
    }

    /// The same for the cursor argument as the client sent it: decimal digits (leading zeros
    /// allowed, as Redis's `strtoull` allows them) up to `UInt64.max`. Redis also lets `strtoull`
    /// take leading spaces and a `+`; Ferry does not. `nil` means ``invalidCursorMessage``.
    public static func decode(_ text: UnsafeRawBufferPointer, masterCount: Int) -> Position? {
        guard let cursor = parse(text) else { return nil }
        return decode(cursor, masterCount: masterCount)
    }

    /// What the client's next cursor is after master `masterIndex` (of `masterCount`) answered
    /// `serverCursor`: the same master further on, or the next master from its start, or `0` after
    /// the last one; `nil` when the master's cursor is above ``maxServerCursor``
    /// (``serverCursorTooLargeMessage``).
    public static func next(afterMaster masterIndex: Int, serverCursor: UInt64, masterCount: Int) -> UInt64? {
        precondition(masterIndex >= 0 && masterIndex < masterCount && masterCount <= maxMasters, "no such master")
        if serverCursor != 0 { return encode(masterIndex: masterIndex, serverCursor: serverCursor) }
        return masterIndex + 1 < masterCount ? encode(masterIndex: masterIndex + 1, serverCursor: 0) : 0
    }

    // MARK: - Requests and replies

    /// Appends the `SCAN` request for a master: `arguments` (`SCAN cursor [MATCH …] [COUNT …]
    /// [TYPE …]`, the client's) with the cursor argument replaced by `serverCursor`.
    public static func appendServerRequest(_ arguments: CommandArguments, serverCursor: UInt64, into buffer: inout [UInt8]) {
        precondition(arguments.count >= 2, "SCAN without a cursor")
        RESPWriter.appendArrayHeader(arguments.count, into: &buffer)
        RESPWriter.appendBulk(arguments[0], into: &buffer)
        withDecimal(serverCursor) { RESPWriter.appendBulk($0, into: &buffer) }
        for index in 2..<arguments.count { RESPWriter.appendBulk(arguments[index], into: &buffer) }
    }

    /// What to answer the client after master `masterIndex` answered `reply` to its `SCAN`.
    public enum ReplyRewrite: Sendable, Equatable {
        /// The client's reply was appended; the scan goes on at `cursor` (`0`: it is over).
        case rewritten(cursor: UInt64)
        /// The master answered an error, appended as it came.
        case error
        /// The reply is not `[cursor, [keys…]]` with a decimal cursor: nothing was appended.
        case malformed
        /// The master's cursor does not fit (see ``serverCursorTooLargeMessage``): nothing was appended.
        case serverCursorTooLarge
    }

    /// Appends the client's reply made from master `masterIndex`'s reply to `SCAN`: the same keys
    /// (copied as they came), behind the cluster cursor that continues the scan.
    public static func appendClientReply(
        _ reply: UnsafeRawBufferPointer, masterIndex: Int, masterCount: Int, into buffer: inout [UInt8]
    ) -> ReplyRewrite {
        var scanner = ReplyScanner()
        guard let whole = try? scanner.scan(reply), whole.length == reply.count else { return .malformed }
        if whole.isError {
            buffer.append(contentsOf: reply)
            return .error
        }
        // `*2\r\n`, then the cursor as a bulk string, then the keys (an array, or a RESP3 set).
        guard reply.count > 4, reply[0] == UInt8(ascii: "*"), reply[1] == UInt8(ascii: "2"), reply[2] == UInt8(ascii: "\r")
        else { return .malformed }
        var index = 4
        guard let cursorText = bulk(reply, &index), let serverCursor = parse(cursorText) else { return .malformed }
        guard index < reply.count, reply[index] == UInt8(ascii: "*") || reply[index] == UInt8(ascii: "~") else {
            return .malformed
        }
        guard let next = next(afterMaster: masterIndex, serverCursor: serverCursor, masterCount: masterCount) else {
            return .serverCursorTooLarge
        }
        RESPWriter.appendArrayHeader(2, into: &buffer)
        withDecimal(next) { RESPWriter.appendBulk($0, into: &buffer) }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: reply[index...]))
        return .rewritten(cursor: next)
    }

    // MARK: - Helpers

    /// Digits only, leading zeros allowed, up to `UInt64.max`.
    private static func parse(_ text: UnsafeRawBufferPointer) -> UInt64? {
        guard !text.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in text {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflow1 && !overflow2 else { return nil }
            value = next
        }
        return value
    }

    /// The bulk string `$n\r\n…\r\n` at `index`, moving `index` past it.
    private static func bulk(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> UnsafeRawBufferPointer? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "$") else { return nil }
        var cursor = index + 1
        var length = 0
        while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "\r") {
            let digit = bytes[cursor] &- UInt8(ascii: "0")
            guard digit < 10, length < 1 << 20 else { return nil }
            length = length * 10 + Int(digit)
            cursor += 1
        }
        let start = cursor + 2
        guard cursor > index + 1, start + length + 2 <= bytes.count else { return nil }
        index = start + length + 2
        return UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
    }

    /// Calls `body` with `value` in decimal, written on the stack.
    private static func withDecimal(_ value: UInt64, _ body: (UnsafeRawBufferPointer) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(digits)[start...]))
        }
    }
}

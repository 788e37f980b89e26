import Foundation
import Synchronization
import Testing

/// Ferry in cluster mode must be indistinguishable from the key's master for a plain client.
///
/// For each data type the same command sequence runs twice: once through Ferry on keys
/// `f{<tag>}…`, once on a direct connection to the tag's master on keys `d{<tag>}…`. Both key
/// sets hash to the same slot (same tag), so they live on the same master, and every reply pair
/// must be equal once Ferry's `f{<tag>}` is read as `d{<tag>}` (replies that name keys: `LCS`,
/// scripts returning `KEYS`, `COMMAND GETKEYS`, unknown-command errors). Error replies (wrong
/// type, wrong arity, syntax) are compared like any other reply.
///
/// Nondeterministic replies are avoided (no `TIME`, `DEBUG`, `OBJECT FREQ`…); the few kept on
/// purpose are compared structurally and counted as such: `PTTL` (milliseconds tick), `OBJECT
/// IDLETIME`, auto stream ids, idle times in `XPENDING … - +`/`XINFO CONSUMERS`/`XINFO STREAM …
/// FULL` with groups (`.shape`: same reply kinds and lengths), and random picks
/// (`SRANDMEMBER`/`HRANDFIELD`/`ZRANDMEMBER`: `.shape`, or `.unordered` when the count covers the
/// whole set so only the order is random).
@Suite(.serialized, .sharedCluster)
struct ClusterCommandComparisonTests {
    enum DataType: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case strings, bitmaps, lists, hashes, sets, sortedSets, streams, geo, hyperLogLog, bitfield, keys, scripting,
             connection
        var testDescription: String { rawValue }
    }

    /// One command of a sequence. Arguments starting with `@` are keys: `@x` becomes `f{tag}x`
    /// through Ferry and `d{tag}x` directly. `<last>` is the previous bulk reply of the same run
    /// (a `DUMP` payload for `RESTORE`, a `SCRIPT LOAD` digest for `EVALSHA`).
    struct Step: Sendable {
        enum Check: Sendable { case exact, shape, unordered }
        let arguments: [String]
        let check: Check

        static func c(_ arguments: String...) -> Step { Step(arguments: arguments, check: .exact) }
        static func args(_ arguments: [String]) -> Step { Step(arguments: arguments, check: .exact) }
        /// Same reply kinds, lengths and error texts; values may differ (times, random picks, auto ids).
        static func shape(_ arguments: String...) -> Step { Step(arguments: arguments, check: .shape) }
        /// The same elements in any order (a random pick that returns the whole collection).
        static func unordered(_ arguments: String...) -> Step { Step(arguments: arguments, check: .unordered) }

        /// The command's name for counting distinct commands (`OBJECT ENCODING`, `XINFO STREAM`, `GET`).
        var name: String {
            let head = arguments.first?.uppercased() ?? ""
            let containers: Set<String> = ["OBJECT", "XINFO", "XGROUP", "COMMAND", "MEMORY", "SCRIPT", "CLIENT", "CLUSTER"]
            if containers.contains(head), arguments.count > 1 { return head + " " + arguments[1].uppercased() }
            return head
        }
    }

    /// A key whose slot is not any tag's: with a tagged key it makes a cross-slot request.
    static let otherSlotKey = "cmp-other-slot-key"

    /// Running totals over the data types run so far, for the summary line.
    private static let totals = Mutex<(replies: Int, structural: Int, commands: Set<String>, mismatches: Int)>(
        (0, 0, [], 0))

    // MARK: - The test

    @Test(arguments: DataType.allCases)
    func repliesThroughFerryEqualDirectReplies(_ type: DataType) throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess(servers: cluster.ports, mode: "cluster")
        try E2E.waitUntil("the slot map to be loaded", timeout: .seconds(15)) { ferry.log.contains("slot map updated") }

        let tag = "cmp-\(type.rawValue)"
        let master = try Self.master(ofTag: tag, askingNode: try #require(cluster.ports.first), in: cluster)
        let steps = Self.steps(type)
        let ferryPrefix = "f{\(tag)}", directPrefix = "d{\(tag)}"

        // Start from nothing (the cluster is the suite's, but a rerun must not see old keys).
        let keyNames = Set(steps.flatMap { $0.arguments.filter { $0.hasPrefix("@") }.map { String($0.dropFirst()) } }).sorted()
        if !keyNames.isEmpty {
            _ = try cluster.command(master, ["DEL"] + keyNames.flatMap { [ferryPrefix + $0, directPrefix + $0] })
        }

        let throughFerry = try RedisClient(port: ferry.port, timeout: .seconds(10))
        defer { throughFerry.close() }
        let direct = try RedisClient(port: master, timeout: .seconds(10))
        defer { direct.close() }
        let ferryReplies = try Self.run(steps, keyPrefix: ferryPrefix, on: throughFerry)
        let directReplies = try Self.run(steps, keyPrefix: directPrefix, on: direct)

        var mismatches: [String] = []
        for (index, step) in steps.enumerated() {
            let viaFerry = Self.normalized(ferryReplies[index], replacing: ferryPrefix, with: directPrefix)
            let straight = directReplies[index]
            if !Self.matches(viaFerry, straight, step.check) {
                let command = step.arguments.map { $0.hasPrefix("@") ? ferryPrefix + $0.dropFirst() : $0 }
                    .map { Self.clip($0, 60) }.joined(separator: " ")
                mismatches.append("#\(index) \(command)\(step.check == .exact ? "" : " [\(step.check)]")\n"
                                  + "    direct: \(Self.clip(straight.description, 400))\n"
                                  + "    ferry:  \(Self.clip(ferryReplies[index].description, 400))")
            }
        }

        // Both runs left the same keys behind (read straight from the master: Ferry's keys are really there).
        if !keyNames.isEmpty {
            let ferryKeys = try cluster.command(master, ["EXISTS"] + keyNames.map { ferryPrefix + $0 })
            let directKeys = try cluster.command(master, ["EXISTS"] + keyNames.map { directPrefix + $0 })
            if ferryKeys != directKeys {
                mismatches.append("keys left on the master: \(ferryKeys) through Ferry, \(directKeys) directly")
            }
        }

        let structural = steps.filter { $0.check != .exact }
        let commands = Set(steps.map(\.name))
        print("ClusterCommandComparisonTests[\(type.rawValue)] (slot of '\(tag)' on master \(master)): "
              + "compared \(steps.count) replies (\(commands.count) commands) through Ferry and directly; "
              + "\(structural.count) structurally (\(Set(structural.map(\.name)).sorted().joined(separator: ", "))); "
              + "\(mismatches.count) mismatches")
        let total = Self.totals.withLock { totals in
            totals.replies += steps.count
            totals.structural += structural.count
            totals.commands.formUnion(commands)
            totals.mismatches += mismatches.count
            return totals
        }
        print("ClusterCommandComparisonTests[all types so far]: compared \(total.replies) replies "
              + "(\(total.commands.count) commands) through Ferry and directly; \(total.structural) structurally; "
              + "\(total.mismatches) mismatches")
        // Ferry answers this itself when its data-plane loop has no slot map (yet); a healthy cluster never does.
        let notServed = zip(ferryReplies, directReplies).filter {
            $0.0.errorMessage == "CLUSTERDOWN Hash slot not served" && $0.1.errorMessage == nil
        }.count
        let note = notServed == 0 ? "" : "\n(\(notServed) of them: Ferry answered CLUSTERDOWN Hash slot not served, "
            + "though it had logged 'slot map updated' before the test connected)"
        #expect(mismatches.isEmpty, """
            \(type.rawValue): \(mismatches.count) of \(steps.count) replies differ through Ferry; first ones:
            \(mismatches.prefix(12).joined(separator: "\n"))\(note)
            """)
    }

    // MARK: - Running and comparing

    /// The master serving `tag`'s slot, from `CLUSTER KEYSLOT` and `CLUSTER SLOTS` on one node.
    private static func master(ofTag tag: String, askingNode node: Int, in cluster: RedisCluster) throws -> Int {
        let slot = try #require(try cluster.command(node, ["CLUSTER", "KEYSLOT", tag]).integer)
        let ranges = try #require(try cluster.command(node, ["CLUSTER", "SLOTS"]).array)
        for range in ranges {
            guard let fields = range.array, fields.count >= 3,
                  let first = fields[0].integer, let last = fields[1].integer, first <= slot, slot <= last
            else { continue }
            return try #require(fields[2].array?[1].integer)
        }
        Issue.record("no master serves slot \(slot) of tag '\(tag)'")
        throw CancellationError()
    }

    /// Sends the steps one by one and collects the replies.
    private static func run(_ steps: [Step], keyPrefix: String, on client: RedisClient) throws -> [RESPReply] {
        var replies: [RESPReply] = []
        var lastBulk: [UInt8] = []
        for step in steps {
            let arguments: [[UInt8]] = step.arguments.map { argument in
                if argument == "<last>" { return lastBulk }
                if argument.hasPrefix("@") { return Array((keyPrefix + argument.dropFirst()).utf8) }
                return Array(argument.utf8)
            }
            try client.send(encode(arguments))
            let reply = try client.readReply()
            if case .bulk(let bytes) = reply { lastBulk = bytes }
            replies.append(reply)
        }
        return replies
    }

    /// A command as a RESP array of binary-safe bulk strings.
    private static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            out += Array("$\(argument.count)\r\n".utf8)
            out += argument
            out += [13, 10]
        }
        return out
    }

    /// `reply` with every `from` (Ferry's key prefix) in strings, bulks and errors read as `to`.
    private static func normalized(_ reply: RESPReply, replacing from: String, with to: String) -> RESPReply {
        switch reply {
        case .simple(let text): .simple(text.replacingOccurrences(of: from, with: to))
        case .error(let text): .error(text.replacingOccurrences(of: from, with: to))
        case .bulk(let bytes): .bulk(replacing(bytes, Array(from.utf8), Array(to.utf8)))
        case .array(let elements): .array(elements.map { normalized($0, replacing: from, with: to) })
        case .integer, .null: reply
        }
    }

    private static func replacing(_ bytes: [UInt8], _ from: [UInt8], _ to: [UInt8]) -> [UInt8] {
        guard !from.isEmpty, bytes.count >= from.count else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + from.count <= bytes.count && bytes[index..<index + from.count].elementsEqual(from) {
                out += to
                index += from.count
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func matches(_ a: RESPReply, _ b: RESPReply, _ check: Step.Check) -> Bool {
        switch check {
        case .exact: a == b
        case .shape: sameShape(a, b)
        case .unordered:
            if let x = a.array, let y = b.array {
                x.map(\.description).sorted() == y.map(\.description).sorted()
            } else {
                a == b
            }
        }
    }

    /// The same kinds of replies with the same array lengths; errors must still be equal.
    private static func sameShape(_ a: RESPReply, _ b: RESPReply) -> Bool {
        switch (a, b) {
        case (.simple, .simple), (.integer, .integer), (.bulk, .bulk), (.null, .null): true
        case (.error(let x), .error(let y)): x == y
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { sameShape($0, $1) }
        default: false
        }
    }

    private static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…(\(text.count) chars)"
    }

    // MARK: - The sequences

    static func steps(_ type: DataType) -> [Step] {
        switch type {
        case .strings: strings()
        case .bitmaps: bitmaps()
        case .lists: lists()
        case .hashes: hashes()
        case .sets: sets()
        case .sortedSets: sortedSets()
        case .streams: streams()
        case .geo: geo()
        case .hyperLogLog: hyperLogLog()
        case .bitfield: bitfield()
        case .keys: keys()
        case .scripting: scripting()
        case .connection: connection()
        }
    }

    private static func strings() -> [Step] {
        var s: [Step] = []
        s += [
            .c("SET", "@s", "hello"), .c("GET", "@s"), .c("STRLEN", "@s"), .c("APPEND", "@s", " world"),
            .c("APPEND", "@new", "abc"), .c("GET", "@new"), .c("GETRANGE", "@s", "0", "4"), .c("GETRANGE", "@s", "-5", "-1"),
            .c("GETRANGE", "@s", "100", "200"), .c("GETRANGE", "@s", "3", "1"), .c("SUBSTR", "@s", "1", "3"),
            .c("SETRANGE", "@s", "6", "there"), .c("GET", "@s"), .c("SETRANGE", "@pad", "5", "x"), .c("GET", "@pad"),
            .c("SETRANGE", "@s", "0", ""), .c("SETRANGE", "@s", "-1", "x"), .c("SETRANGE", "@s", "536870912", "x"),
            .c("SETRANGE", "@s", "abc", "x"), .c("GETSET", "@s", "bye"), .c("GETDEL", "@s"), .c("GET", "@s"),
            .c("GETDEL", "@s"), .c("STRLEN", "@missing"), .c("GET", "@missing"),
        ]
        s += [
            .c("SET", "@n", "10"), .c("INCR", "@n"), .c("INCRBY", "@n", "5"), .c("DECR", "@n"), .c("DECRBY", "@n", "3"),
            .c("INCRBY", "@n", "-100"), .c("OBJECT", "ENCODING", "@n"), .c("INCRBYFLOAT", "@n", "1.5"),
            .c("INCRBYFLOAT", "@n", "1e3"), .c("INCRBYFLOAT", "@n", "-0.25"), .c("INCRBYFLOAT", "@n", "0.1"),
            .c("GET", "@n"), .c("INCR", "@n"), .c("INCRBYFLOAT", "@n", "abc"), .c("INCRBYFLOAT", "@n", "inf"),
            .c("INCRBY", "@n", "notanumber"), .c("INCRBYFLOAT", "@f", "3.0e-5"), .c("INCRBYFLOAT", "@f", "10.50"),
            .c("SET", "@big", "9223372036854775807"), .c("INCR", "@big"), .c("DECRBY", "@big", "-1"),
            .c("SET", "@neg", "-9223372036854775808"), .c("DECR", "@neg"), .c("INCR", "@fresh"), .c("DECR", "@fresh2"),
            .c("SET", "@e", ""), .c("STRLEN", "@e"), .c("GET", "@e"), .c("APPEND", "@e", ""), .c("INCR", "@e"),
        ]
        s += [
            .c("SETNX", "@s2", "a"), .c("SETNX", "@s2", "b"), .c("GET", "@s2"), .c("SET", "@s2", "c", "NX"),
            .c("SET", "@s2", "c", "XX"), .c("SET", "@s3", "c", "XX"), .c("SET", "@s2", "d", "GET"),
            .c("SET", "@s3", "d", "GET"), .c("SET", "@s2", "e", "EX", "100"), .c("TTL", "@s2"),
            .c("SET", "@s2", "f", "KEEPTTL"), .c("TTL", "@s2"), .c("SET", "@s2", "g"), .c("TTL", "@s2"),
            .c("SET", "@s2", "g", "PX", "100000"), .shape("PTTL", "@s2"), .c("SET", "@s2", "h", "EXAT", "4102444800"),
            .c("EXPIRETIME", "@s2"), .c("SET", "@s2", "h", "PXAT", "4102444800123"), .c("PEXPIRETIME", "@s2"),
            .c("SET", "@s2", "v", "EX", "0"), .c("SET", "@s2", "v", "EX", "abc"), .c("SET", "@s2", "v", "NX", "XX"),
            .c("SET", "@s2", "v", "BADOPT"), .c("SET", "@s2", "v", "EX", "10", "PX", "10"),
            .c("SET", "@s2", "v", "KEEPTTL", "EX", "10"), .c("SET", "@s2", "i", "NX", "GET"), .c("GET", "@s2"),
        ]
        s += [
            .c("SETEX", "@s4", "100", "v"), .c("TTL", "@s4"), .c("PSETEX", "@s5", "100000", "v"), .shape("PTTL", "@s5"),
            .c("SETEX", "@s4", "-1", "v"), .c("SETEX", "@s4", "0", "v"), .c("PSETEX", "@s5", "x", "v"),
            .c("GETEX", "@s4"), .c("GETEX", "@s4", "EX", "200"), .c("TTL", "@s4"), .c("GETEX", "@s4", "PERSIST"),
            .c("TTL", "@s4"), .c("GETEX", "@s4", "PX", "50000"), .shape("PTTL", "@s4"),
            .c("GETEX", "@s4", "EXAT", "4102444800"), .c("EXPIRETIME", "@s4"), .c("GETEX", "@s4", "PXAT", "4102444800999"),
            .c("PEXPIRETIME", "@s4"), .c("GETEX", "@s4", "EX", "10", "PX", "10"), .c("GETEX", "@s4", "EX", "-5"),
            .c("GETEX", "@s4", "FOO"), .c("GETEX", "@missing"), .c("GETEX", "@missing", "EX", "10"),
        ]
        s += [
            .c("MSET", "@m1", "a", "@m2", "b"), .c("MGET", "@m1", "@m2", "@m3"), .c("MSETNX", "@m1", "x", "@m4", "y"),
            .c("MSETNX", "@m4", "y", "@m5", "z"), .c("MGET", "@m4", "@m5"), .c("MSET", "@m1", "a", "@m2"),
            .c("MSETNX", "@m1", "a", otherSlotKey, "b"),
            .c("SET", "@l1", "ohmytext"), .c("SET", "@l2", "mynewtext"), .c("LCS", "@l1", "@l2"),
            .c("LCS", "@l1", "@l2", "LEN"), .c("LCS", "@l1", "@l2", "IDX"),
            .c("LCS", "@l1", "@l2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), .c("LCS", "@l1", "@l2", "LEN", "IDX"),
            .c("LCS", "@l1", "@missing"),
        ]
        let long = String(repeating: "0123456789", count: 5)
        let large = String(repeating: "abcdefghijklmnopqrstuvwxyz012345", count: 8192)  // 256 KiB
        s += [
            .c("SET", "@enc", "12345"), .c("OBJECT", "ENCODING", "@enc"), .c("SET", "@enc", "short"),
            .c("OBJECT", "ENCODING", "@enc"), .c("SET", "@enc", long), .c("OBJECT", "ENCODING", "@enc"),
            .c("APPEND", "@enc", "x"), .c("OBJECT", "ENCODING", "@enc"), .c("MEMORY", "USAGE", "@enc"),
            .c("SET", "@bin", "a\r\nb\u{0}c$3\r\n*1\r\n"), .c("GET", "@bin"), .c("STRLEN", "@bin"),
            .c("SET", "@large", large), .c("STRLEN", "@large"), .c("GETRANGE", "@large", "100000", "100040"),
            .c("GET", "@large"), .c("APPEND", "@large", "tail"), .c("GETRANGE", "@large", "-10", "-1"),
        ]
        s += [
            .c("RPUSH", "@list", "a"), .c("GET", "@list"), .c("APPEND", "@list", "x"), .c("INCR", "@list"),
            .c("STRLEN", "@list"), .c("GETRANGE", "@list", "0", "1"), .c("SETRANGE", "@list", "0", "x"),
            .c("GETDEL", "@list"), .c("SET", "@list", "overwritten"), .c("GET", "@list"),
            .c("GET"), .c("GET", "@s", "extra"), .c("SET", "@s"), .c("GETRANGE", "@s", "0"), .c("INCRBY", "@n"),
            .c("APPEND", "@s"), .c("SETEX", "@s", "10"), .c("MGET"), .c("MSET", "@m1"),
        ]
        return s
    }

    private static func bitmaps() -> [Step] {
        var s: [Step] = []
        s += [
            .c("SETBIT", "@b", "7", "1"), .c("SETBIT", "@b", "7", "0"), .c("SETBIT", "@b", "7", "1"),
            .c("SETBIT", "@b", "100", "1"), .c("GETBIT", "@b", "100"), .c("GETBIT", "@b", "7"), .c("GETBIT", "@b", "1000"),
            .c("GETBIT", "@missing", "0"), .c("GET", "@b"), .c("STRLEN", "@b"), .c("SETBIT", "@b", "-1", "1"),
            .c("SETBIT", "@b", "1", "2"), .c("SETBIT", "@b", "4294967296", "1"), .c("GETBIT", "@b", "x"),
            .c("SETBIT", "@b", "1"),
        ]
        s += [
            .c("SET", "@b2", "foobar"), .c("BITCOUNT", "@b2"), .c("BITCOUNT", "@b2", "0", "0"), .c("BITCOUNT", "@b2", "1", "1"),
            .c("BITCOUNT", "@b2", "1", "1", "BYTE"), .c("BITCOUNT", "@b2", "5", "30", "BIT"), .c("BITCOUNT", "@b2", "-3", "-1"),
            .c("BITCOUNT", "@b2", "0", "-1", "BAD"), .c("BITCOUNT", "@b2", "0"), .c("BITCOUNT", "@missing"),
            .c("BITPOS", "@b2", "1"), .c("BITPOS", "@b2", "0"), .c("BITPOS", "@b2", "1", "2"),
            .c("BITPOS", "@b2", "1", "2", "-1", "BYTE"), .c("BITPOS", "@b2", "1", "7", "15", "BIT"),
            .c("BITPOS", "@b2", "0", "0", "-1", "BIT"), .c("BITPOS", "@missing", "0"), .c("BITPOS", "@missing", "1"),
            .c("BITPOS", "@b2", "2"), .c("SET", "@ones", "\u{7f}\u{7f}"), .c("BITPOS", "@ones", "0"),
        ]
        s += [
            .c("SET", "@b3", "abcdef"), .c("BITOP", "AND", "@dst", "@b2", "@b3"), .c("GET", "@dst"),
            .c("BITOP", "OR", "@dst", "@b2", "@b3"), .c("GET", "@dst"), .c("BITOP", "XOR", "@dst", "@b2", "@b3"),
            .c("GET", "@dst"), .c("BITOP", "NOT", "@dst", "@b2"), .c("GET", "@dst"), .c("BITOP", "AND", "@dst", "@b", "@b2", "@b3"),
            .c("GET", "@dst"), .c("BITOP", "OR", "@dst", "@missing"), .c("EXISTS", "@dst"),
            .c("BITOP", "NOT", "@dst", "@b2", "@b3"), .c("BITOP", "FOO", "@dst", "@b2"), .c("BITOP", "AND", "@dst"),
            .c("BITOP", "AND", "@dst", otherSlotKey),
        ]
        for bit in stride(from: 0, to: 200, by: 13) { s.append(.c("SETBIT", "@walk", "\(bit)", "1")) }
        s += [
            .c("GET", "@walk"), .c("BITCOUNT", "@walk"), .c("BITPOS", "@walk", "1", "3"), .c("BITCOUNT", "@walk", "8", "80", "BIT"),
            .c("RPUSH", "@list", "x"), .c("SETBIT", "@list", "1", "1"), .c("GETBIT", "@list", "1"), .c("BITCOUNT", "@list"),
            .c("BITPOS", "@list", "1"), .c("BITOP", "AND", "@dst", "@list"),
        ]
        return s
    }

    private static func lists() -> [Step] {
        var s: [Step] = []
        s += [
            .c("RPUSH", "@l", "a", "b", "c", "1", "2", "3", "c", "b", "a"), .c("LPUSH", "@l", "z", "y"), .c("LLEN", "@l"),
            .c("LRANGE", "@l", "0", "-1"), .c("LRANGE", "@l", "-3", "-1"), .c("LRANGE", "@l", "5", "2"),
            .c("LRANGE", "@l", "0", "100"), .c("LINDEX", "@l", "0"), .c("LINDEX", "@l", "-1"), .c("LINDEX", "@l", "100"),
            .c("LINDEX", "@l", "x"), .c("OBJECT", "ENCODING", "@l"),
        ]
        s += [
            .c("LPOS", "@l", "c"), .c("LPOS", "@l", "c", "RANK", "2"), .c("LPOS", "@l", "c", "RANK", "-1"),
            .c("LPOS", "@l", "c", "COUNT", "0"), .c("LPOS", "@l", "c", "COUNT", "2", "RANK", "-1"),
            .c("LPOS", "@l", "c", "MAXLEN", "3"), .c("LPOS", "@l", "c", "COUNT", "0", "MAXLEN", "6"),
            .c("LPOS", "@l", "nope"), .c("LPOS", "@l", "nope", "COUNT", "1"), .c("LPOS", "@missing", "a"),
            .c("LPOS", "@l", "c", "RANK", "0"), .c("LPOS", "@l", "c", "COUNT", "-1"), .c("LPOS", "@l", "c", "MAXLEN", "-1"),
            .c("LPOS", "@l", "c", "FOO", "1"), .c("LPOS", "@l", "c", "RANK"),
        ]
        s += [
            .c("LSET", "@l", "0", "first"), .c("LSET", "@l", "-1", "last"), .c("LSET", "@l", "100", "x"),
            .c("LSET", "@nolist", "0", "x"), .c("LINSERT", "@l", "BEFORE", "c", "X"), .c("LINSERT", "@l", "AFTER", "c", "Y"),
            .c("LINSERT", "@l", "AFTER", "nope", "Y"), .c("LINSERT", "@nolist", "BEFORE", "a", "b"),
            .c("LINSERT", "@l", "MIDDLE", "a", "b"), .c("LRANGE", "@l", "0", "-1"), .c("LREM", "@l", "1", "c"),
            .c("LREM", "@l", "-1", "b"), .c("LREM", "@l", "0", "a"), .c("LREM", "@l", "0", "nope"), .c("LREM", "@l", "x", "a"),
            .c("LRANGE", "@l", "0", "-1"), .c("LTRIM", "@l", "1", "-2"), .c("LRANGE", "@l", "0", "-1"),
            .c("LPOP", "@l"), .c("RPOP", "@l"), .c("LPOP", "@l", "2"), .c("RPOP", "@l", "3"), .c("LPOP", "@l", "0"),
            .c("LPOP", "@l", "-1"), .c("LPOP", "@missing"), .c("LPOP", "@missing", "2"), .c("LRANGE", "@l", "0", "-1"),
            .c("LPUSHX", "@nolist", "a"), .c("RPUSHX", "@l", "q", "r"), .c("LPUSHX", "@l", "p"), .c("LLEN", "@l"),
            .c("LTRIM", "@l", "5", "1"), .c("EXISTS", "@l"),
        ]
        s += [
            .c("RPUSH", "@src", "1", "2", "3", "4", "5"), .c("LMOVE", "@src", "@dst", "LEFT", "RIGHT"),
            .c("LMOVE", "@src", "@dst", "RIGHT", "LEFT"), .c("LMOVE", "@src", "@src", "LEFT", "RIGHT"),
            .c("LRANGE", "@src", "0", "-1"), .c("LRANGE", "@dst", "0", "-1"), .c("LMOVE", "@src", "@dst", "UP", "DOWN"),
            .c("LMOVE", "@missing", "@dst", "LEFT", "LEFT"), .c("RPOPLPUSH", "@src", "@dst"), .c("RPOPLPUSH", "@missing", "@dst"),
            .c("LRANGE", "@dst", "0", "-1"), .c("LMOVE", "@src", otherSlotKey, "LEFT", "RIGHT"),
            .c("LMPOP", "2", "@empty", "@src", "LEFT", "COUNT", "2"), .c("LMPOP", "1", "@empty", "RIGHT"),
            .c("LMPOP", "2", "@dst", "@src", "RIGHT"), .c("LMPOP", "0", "@src", "LEFT"), .c("LMPOP", "1", "@src", "UP"),
            .c("LMPOP", "1", "@src", "LEFT", "COUNT", "0"), .c("LMPOP", "2", "@src", otherSlotKey, "LEFT"),
        ]
        s.append(.args(["RPUSH", "@long"] + (0..<300).map { "item-\($0)" }))
        s += [
            .c("LLEN", "@long"), .c("LINDEX", "@long", "150"), .c("LRANGE", "@long", "0", "-1"),
            .c("LRANGE", "@long", "140", "160"), .c("LPOS", "@long", "item-299"), .c("OBJECT", "ENCODING", "@long"),
            .c("LINSERT", "@long", "AFTER", "item-200", "new"), .c("LINDEX", "@long", "201"), .c("LTRIM", "@long", "100", "199"),
            .c("LRANGE", "@long", "-3", "-1"), .c("LREM", "@long", "0", "item-150"), .c("LLEN", "@long"),
        ]
        s += [
            .c("SET", "@str", "x"), .c("LPUSH", "@str", "a"), .c("LRANGE", "@str", "0", "-1"), .c("LLEN", "@str"),
            .c("LPOS", "@str", "a"), .c("LMOVE", "@str", "@dst", "LEFT", "LEFT"), .c("LPUSH", "@l"), .c("LRANGE", "@l", "0"),
            .c("LRANGE", "@l", "a", "b"), .c("LINDEX", "@l"), .c("LSET", "@l", "0"), .c("LINSERT", "@l", "BEFORE", "a"),
        ]
        return s
    }

    private static func hashes() -> [Step] {
        var s: [Step] = []
        s += [
            .c("HSET", "@h", "f1", "v1", "f2", "v2", "f3", "3"), .c("HSET", "@h", "f1", "v1bis"), .c("HGET", "@h", "f1"),
            .c("HGET", "@h", "nope"), .c("HGET", "@missing", "f1"), .c("HMGET", "@h", "f1", "nope", "f2"), .c("HGETALL", "@h"),
            .c("HKEYS", "@h"), .c("HVALS", "@h"), .c("HLEN", "@h"), .c("HEXISTS", "@h", "f1"), .c("HEXISTS", "@h", "nope"),
            .c("HSTRLEN", "@h", "f1"), .c("HSTRLEN", "@h", "nope"), .c("HSETNX", "@h", "f1", "x"), .c("HSETNX", "@h", "f4", "x"),
            .c("HINCRBY", "@h", "f3", "10"), .c("HINCRBY", "@h", "f3", "-20"), .c("HINCRBY", "@h", "new", "7"),
            .c("HINCRBYFLOAT", "@h", "f3", "2.5"), .c("HINCRBYFLOAT", "@h", "f5", "1e2"), .c("HINCRBYFLOAT", "@h", "f5", "-0.1"),
            .c("HINCRBY", "@h", "f1", "1"), .c("HINCRBYFLOAT", "@h", "f1", "1"), .c("HINCRBY", "@h", "f3", "abc"),
            .c("HINCRBY", "@h", "f3", "1"), .c("HSET", "@h", "max", "9223372036854775807"), .c("HINCRBY", "@h", "max", "1"),
            .c("HINCRBYFLOAT", "@h", "f5", "nan"), .c("HDEL", "@h", "f1", "nope"), .c("HGETALL", "@h"),
            .c("HMSET", "@h", "a", "1", "b", "2"), .c("HGETALL", "@h"), .c("OBJECT", "ENCODING", "@h"),
        ]
        s += [
            .c("HSCAN", "@h", "0"), .c("HSCAN", "@h", "0", "MATCH", "f*", "COUNT", "100"), .c("HSCAN", "@missing", "0"),
            .c("HSCAN", "@h", "abc"), .shape("HRANDFIELD", "@h"), .shape("HRANDFIELD", "@h", "2"),
            .shape("HRANDFIELD", "@h", "-5", "WITHVALUES"), .unordered("HRANDFIELD", "@h", "100"),
            .c("HRANDFIELD", "@missing"), .c("HRANDFIELD", "@missing", "3"), .c("HRANDFIELD", "@h", "0"),
            .c("HRANDFIELD", "@h", "1", "FOO"),
        ]
        s.append(.args(["HSET", "@hb"] + (0..<200).flatMap { ["field\($0)", "value\($0)"] }))
        s += [
            .c("HLEN", "@hb"), .c("HGET", "@hb", "field150"), .c("OBJECT", "ENCODING", "@hb"), .c("HGETALL", "@hb"),
            .c("HKEYS", "@hb"), .c("HSCAN", "@hb", "0", "COUNT", "10"), .c("HDEL", "@hb", "field1", "field2", "field3"),
            .c("HLEN", "@hb"), .c("HMGET", "@hb", "field1", "field199"), .unordered("HRANDFIELD", "@hb", "500"),
            .shape("HRANDFIELD", "@hb", "7"),
        ]
        let wide = String(repeating: "w", count: 100)
        s += [
            .c("HSET", "@hw", "small", "1"), .c("OBJECT", "ENCODING", "@hw"), .c("HSET", "@hw", "wide", wide),
            .c("OBJECT", "ENCODING", "@hw"), .c("HGETALL", "@hw"),
            .c("SET", "@str", "x"), .c("HGET", "@str", "f"), .c("HSET", "@str", "f", "v"), .c("HGETALL", "@str"),
            .c("HLEN", "@str"), .c("HINCRBY", "@str", "f", "1"), .c("HSET", "@h", "a"), .c("HSET", "@h", "a", "1", "b"),
            .c("HGET", "@h"), .c("HMGET", "@h"), .c("HDEL", "@h"), .c("HINCRBY", "@h", "f3"), .c("HSETNX", "@h", "a"),
            .c("HDEL", "@h", "f2", "f3", "f4", "f5", "new", "max", "a", "b"), .c("EXISTS", "@h"),
        ]
        return s
    }

    private static func sets() -> [Step] {
        var s: [Step] = []
        s += [
            .c("SADD", "@s", "a", "b", "c", "d", "e"), .c("SADD", "@s", "a"), .c("SADD", "@s", "a", "f"), .c("SCARD", "@s"),
            .c("SISMEMBER", "@s", "a"), .c("SISMEMBER", "@s", "z"), .c("SMISMEMBER", "@s", "a", "z", "b"), .c("SMEMBERS", "@s"),
            .c("OBJECT", "ENCODING", "@s"), .c("SADD", "@i", "3", "1", "2", "10", "-5"), .c("SMEMBERS", "@i"),
            .c("OBJECT", "ENCODING", "@i"), .c("SISMEMBER", "@i", "10"), .c("SMEMBERS", "@missing"), .c("SCARD", "@missing"),
            .c("SREM", "@s", "a", "z"), .c("SREM", "@missing", "a"), .c("SMOVE", "@s", "@t", "b"), .c("SMOVE", "@s", "@t", "nope"),
            .c("SMOVE", "@missing", "@t", "a"), .c("SADD", "@t", "c", "x", "y"), .c("SMEMBERS", "@t"),
        ]
        s += [
            .c("SINTER", "@s", "@t"), .c("SUNION", "@s", "@t"), .c("SDIFF", "@s", "@t"), .c("SDIFF", "@t", "@s", "@missing"),
            .c("SINTER", "@s", "@missing"), .c("SINTERSTORE", "@st", "@s", "@t"), .c("SMEMBERS", "@st"),
            .c("SUNIONSTORE", "@st", "@s", "@t", "@i"), .c("SMEMBERS", "@st"), .c("SDIFFSTORE", "@st", "@s", "@t"),
            .c("SMEMBERS", "@st"), .c("SINTERSTORE", "@st", "@missing"), .c("EXISTS", "@st"), .c("SINTERCARD", "2", "@s", "@t"),
            .c("SINTERCARD", "2", "@s", "@t", "LIMIT", "1"), .c("SINTERCARD", "1", "@i"), .c("SINTERCARD", "0", "@s"),
            .c("SINTERCARD", "abc", "@s"), .c("SINTERCARD", "3", "@s", "@t"), .c("SINTERCARD", "2", "@s", "@t", "LIMIT", "-1"),
            .c("SINTER", "@s", otherSlotKey), .c("SUNIONSTORE", "@st", "@s", otherSlotKey),
        ]
        s += [
            .shape("SRANDMEMBER", "@s"), .shape("SRANDMEMBER", "@s", "2"), .shape("SRANDMEMBER", "@s", "-10"),
            .unordered("SRANDMEMBER", "@s", "100"), .c("SRANDMEMBER", "@missing"), .c("SRANDMEMBER", "@missing", "5"),
            .c("SRANDMEMBER", "@s", "0"), .c("SRANDMEMBER", "@s", "x"), .c("SADD", "@one", "only"), .c("SPOP", "@one"),
            .c("SPOP", "@one"), .c("EXISTS", "@one"), .c("SADD", "@pop", "p1", "p2", "p3"), .unordered("SPOP", "@pop", "100"),
            .c("EXISTS", "@pop"), .c("SPOP", "@missing"), .c("SPOP", "@missing", "3"), .c("SPOP", "@s", "0"),
            .c("SPOP", "@s", "-1"), .c("SSCAN", "@i", "0"), .c("SSCAN", "@i", "0", "MATCH", "1*"), .c("SSCAN", "@s", "0", "COUNT", "100"),
        ]
        s.append(.args(["SADD", "@ints"] + (0..<600).map { "\($0 * 7)" }))
        s += [
            .c("SCARD", "@ints"), .c("SISMEMBER", "@ints", "4193"), .c("OBJECT", "ENCODING", "@ints"), .c("SMEMBERS", "@ints"),
            .c("SINTERCARD", "2", "@ints", "@i"), .c("SINTER", "@ints", "@i"),
        ]
        s += [
            .c("SET", "@str", "x"), .c("SADD", "@str", "a"), .c("SMEMBERS", "@str"), .c("SISMEMBER", "@str", "a"),
            .c("SINTER", "@s", "@str"), .c("SCARD", "@str"), .c("SADD", "@s"), .c("SISMEMBER", "@s"), .c("SMOVE", "@s", "@t"),
            .c("SMISMEMBER", "@s"), .c("SINTERCARD", "1"),
        ]
        return s
    }

    private static func sortedSets() -> [Step] {
        var s: [Step] = []
        s += [
            .c("ZADD", "@z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), .c("ZADD", "@z", "NX", "10", "a", "6", "f"),
            .c("ZADD", "@z", "XX", "CH", "7", "a", "100", "zz"), .c("ZADD", "@z", "GT", "CH", "1", "b"),
            .c("ZADD", "@z", "LT", "CH", "1", "b"), .c("ZADD", "@z", "INCR", "2.5", "c"), .c("ZADD", "@z", "XX", "INCR", "1", "nope"),
            .c("ZADD", "@z", "NX", "XX", "1", "a"), .c("ZADD", "@z", "GT", "LT", "1", "a"), .c("ZADD", "@z", "GT", "NX", "1", "a"),
            .c("ZADD", "@z", "INCR", "1", "a", "2", "b"), .c("ZADD", "@z", "notafloat", "a"), .c("ZADD", "@z", "1"),
            .c("ZADD", "@z", "1", "a", "2"), .c("ZADD", "@z", "nan", "a"),
        ]
        s += [
            .c("ZSCORE", "@z", "a"), .c("ZSCORE", "@z", "nope"), .c("ZMSCORE", "@z", "a", "nope", "b"), .c("ZINCRBY", "@z", "1.5", "b"),
            .c("ZINCRBY", "@z", "x", "b"), .c("ZCARD", "@z"), .c("ZCOUNT", "@z", "2", "5"), .c("ZCOUNT", "@z", "(2", "+inf"),
            .c("ZCOUNT", "@z", "a", "b"), .c("ZRANGE", "@z", "0", "-1"), .c("ZRANGE", "@z", "0", "-1", "WITHSCORES"),
            .c("ZRANGE", "@z", "0", "2", "REV"), .c("ZRANGE", "@z", "0", "2", "REV", "WITHSCORES"), .c("ZRANGE", "@z", "2", "5", "BYSCORE"),
            .c("ZRANGE", "@z", "(2", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"),
            .c("ZRANGE", "@z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "3"),
            .c("ZRANGE", "@z", "+inf", "(3", "BYSCORE", "REV", "WITHSCORES"), .c("ZRANGE", "@z", "0", "-1", "LIMIT", "0", "1"),
            .c("ZRANGE", "@z", "0", "-1", "BYSCORE", "BYLEX"), .c("ZRANGE", "@z", "a", "b", "BYSCORE"),
            .c("ZRANGE", "@z", "0", "-1", "WITHSCORES", "FOO"), .c("ZRANGE", "@missing", "0", "-1"),
            .c("ZRANGEBYSCORE", "@z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "3"), .c("ZREVRANGEBYSCORE", "@z", "+inf", "-inf"),
            .c("ZREVRANGEBYSCORE", "@z", "10", "(2", "WITHSCORES", "LIMIT", "0", "2"), .c("ZREVRANGE", "@z", "0", "1", "WITHSCORES"),
            .c("ZRANK", "@z", "c"), .c("ZREVRANK", "@z", "c"), .c("ZRANK", "@z", "nope"), .c("ZRANK", "@missing", "a"),
        ]
        s += [
            .c("ZADD", "@lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f"), .c("ZRANGEBYLEX", "@lex", "[b", "(e"),
            .c("ZRANGEBYLEX", "@lex", "-", "+", "LIMIT", "2", "2"), .c("ZREVRANGEBYLEX", "@lex", "+", "[c"),
            .c("ZRANGE", "@lex", "[a", "[z", "BYLEX"), .c("ZRANGE", "@lex", "(f", "-", "BYLEX", "REV", "LIMIT", "1", "2"),
            .c("ZLEXCOUNT", "@lex", "-", "+"), .c("ZLEXCOUNT", "@lex", "(a", "[c"), .c("ZRANGEBYLEX", "@lex", "b", "c"),
            .c("ZREMRANGEBYLEX", "@lex", "[a", "[b"), .c("ZRANGE", "@lex", "0", "-1"),
        ]
        s += [
            .c("ZRANGESTORE", "@dst", "@z", "0", "2"), .c("ZRANGE", "@dst", "0", "-1", "WITHSCORES"),
            .c("ZRANGESTORE", "@dst2", "@z", "5", "1", "BYSCORE", "REV"), .c("ZRANGE", "@dst2", "0", "-1", "WITHSCORES"),
            .c("ZRANGESTORE", "@dst2", "@missing", "0", "-1"), .c("EXISTS", "@dst2"),
            .c("ZUNIONSTORE", "@u", "2", "@z", "@lex", "WEIGHTS", "2", "1", "AGGREGATE", "MAX"), .c("ZRANGE", "@u", "0", "-1", "WITHSCORES"),
            .c("ZINTERSTORE", "@in", "2", "@z", "@dst"), .c("ZRANGE", "@in", "0", "-1", "WITHSCORES"),
            .c("ZDIFFSTORE", "@df", "2", "@z", "@dst"), .c("ZRANGE", "@df", "0", "-1", "WITHSCORES"),
            .c("ZUNION", "2", "@z", "@lex", "WITHSCORES"), .c("ZINTER", "2", "@z", "@dst", "WITHSCORES"),
            .c("ZINTER", "2", "@z", "@dst", "AGGREGATE", "SUM", "WEIGHTS", "0.5", "3"), .c("ZDIFF", "2", "@z", "@dst"),
            .c("ZDIFF", "2", "@z", "@dst", "WITHSCORES"), .c("ZINTERCARD", "2", "@z", "@dst"), .c("ZINTERCARD", "2", "@z", "@dst", "LIMIT", "1"),
            .c("ZUNIONSTORE", "@u", "0", "@z"), .c("ZUNIONSTORE", "@u", "2", "@z"), .c("ZUNION", "2", "@z", "@lex", "WEIGHTS", "1"),
            .c("ZINTERSTORE", "@in", "2", "@z", otherSlotKey), .c("ZINTERCARD", "0", "@z"), .c("ZUNIONSTORE", "@u", "1", "@z", "AGGREGATE", "AVG"),
        ]
        s += [
            .c("ZREM", "@z", "a", "nope"), .c("ZREMRANGEBYSCORE", "@z", "0", "2"), .c("ZREMRANGEBYRANK", "@z", "0", "0"),
            .c("ZRANGE", "@z", "0", "-1", "WITHSCORES"), .c("ZPOPMIN", "@z"), .c("ZPOPMAX", "@z", "2"), .c("ZPOPMIN", "@missing"),
            .c("ZPOPMAX", "@z", "-1"), .c("ZMPOP", "2", "@empty", "@z", "MIN", "COUNT", "1"), .c("ZMPOP", "1", "@empty", "MAX"),
            .c("ZMPOP", "1", "@z", "MIDDLE"), .c("ZMPOP", "0", "@z", "MIN"), .c("ZADD", "@r", "1", "x", "2", "y", "3", "w"),
            .shape("ZRANDMEMBER", "@r"), .shape("ZRANDMEMBER", "@r", "2", "WITHSCORES"), .shape("ZRANDMEMBER", "@r", "-4"),
            .unordered("ZRANDMEMBER", "@r", "100"), .c("ZRANDMEMBER", "@missing"), .c("ZRANDMEMBER", "@r", "1", "FOO"),
            .c("ZSCAN", "@r", "0"), .c("ZSCAN", "@r", "0", "MATCH", "x*"),
        ]
        s += [
            .c("ZADD", "@fmt", "0.1", "a", "1e-300", "b", "inf", "c", "-inf", "d", "3.14159265358979", "e", "1e20", "f", "-0", "g"),
            .c("ZRANGE", "@fmt", "0", "-1", "WITHSCORES"), .c("ZSCORE", "@fmt", "a"), .c("ZINCRBY", "@fmt", "0.2", "a"),
            .c("ZINCRBY", "@fmt", "-inf", "c"), .c("ZINCRBY", "@fmt", "1", "c"), .c("ZCOUNT", "@fmt", "-inf", "+inf"),
        ]
        s.append(.args(["ZADD", "@big"] + (0..<200).flatMap { ["\(($0 * 37) % 101).5", "m\($0)"] }))
        s += [
            .c("ZCARD", "@big"), .c("OBJECT", "ENCODING", "@big"), .c("ZRANGE", "@big", "0", "-1", "WITHSCORES"),
            .c("ZRANK", "@big", "m150"), .c("ZRANGE", "@big", "10", "50", "BYSCORE", "LIMIT", "5", "10", "WITHSCORES"),
            .c("ZREVRANGE", "@big", "0", "9"), .c("ZCOUNT", "@big", "(20", "30"), .c("ZSCAN", "@big", "0", "COUNT", "5"),
            .c("ZREMRANGEBYSCORE", "@big", "-inf", "(50"), .c("ZCARD", "@big"),
        ]
        s += [
            .c("SET", "@str", "x"), .c("ZADD", "@str", "1", "a"), .c("ZRANGE", "@str", "0", "-1"), .c("ZSCORE", "@str", "a"),
            .c("ZCARD", "@str"), .c("ZINCRBY", "@str", "1", "a"), .c("ZUNIONSTORE", "@u", "2", "@r", "@str"),
            .c("ZSCORE", "@z"), .c("ZRANGE", "@z", "0"), .c("ZRANK", "@z"), .c("ZCOUNT", "@z", "0"), .c("ZINCRBY", "@z", "1"),
        ]
        return s
    }

    private static func streams() -> [Step] {
        var s: [Step] = []
        s += [
            .c("XADD", "@x", "1-1", "f", "v"), .c("XADD", "@x", "1-2", "f", "v2", "g", "w"), .c("XADD", "@x", "2-0", "a", "1"),
            .c("XADD", "@x", "1-5", "a", "1"), .c("XADD", "@x", "2-0", "a", "1"), .c("XADD", "@x", "0-0", "a", "1"),
            .c("XADD", "@y", "0-0", "a", "1"), .c("XADD", "@x", "3-*", "f", "v"), .c("XADD", "@x", "3-*", "f", "v"),
            .c("XADD", "@x", "bad", "f", "v"), .c("XADD", "@x", "4-0", "f"), .c("XADD", "@x", "4-0", "f", "v", "g"),
            .c("XADD", "@nostream", "NOMKSTREAM", "1-0", "f", "v"), .c("EXISTS", "@nostream"),
            .c("XADD", "@x", "MAXLEN", "abc", "5-0", "f", "v"), .c("XADD", "@x", "NOMKSTREAM", "4-0", "f", "v"),
        ]
        s += [
            .c("XLEN", "@x"), .c("XRANGE", "@x", "-", "+"), .c("XRANGE", "@x", "-", "+", "COUNT", "2"), .c("XRANGE", "@x", "(1-1", "+"),
            .c("XRANGE", "@x", "1", "2"), .c("XREVRANGE", "@x", "+", "-"), .c("XREVRANGE", "@x", "+", "-", "COUNT", "1"),
            .c("XRANGE", "@x", "5", "1"), .c("XRANGE", "@x", "bad", "+"), .c("XRANGE", "@x", "-", "+", "COUNT"),
            .c("XRANGE", "@missing", "-", "+"), .c("XLEN", "@missing"), .c("XDEL", "@x", "1-2", "9-9"), .c("XLEN", "@x"),
            .c("XDEL", "@x", "bad"), .c("XINFO", "STREAM", "@x"),
        ]
        for index in 10...60 { s.append(.c("XADD", "@x", "\(index)-0", "n", "\(index)")) }
        s += [
            .c("XLEN", "@x"), .c("XTRIM", "@x", "MAXLEN", "40"), .c("XTRIM", "@x", "MINID", "30-0"),
            .c("XTRIM", "@x", "MAXLEN", "~", "10"), .c("XTRIM", "@x", "MAXLEN", "5", "LIMIT", "10"),
            .c("XTRIM", "@x", "MAXLEN", "~", "5", "LIMIT", "10"), .c("XTRIM", "@x", "FOO", "5"), .c("XTRIM", "@missing", "MAXLEN", "1"),
            .c("XLEN", "@x"), .c("XRANGE", "@x", "-", "+", "COUNT", "3"), .c("XADD", "@x", "MAXLEN", "=", "20", "61-0", "n", "61"),
            .c("XADD", "@x", "MINID", "45", "62-0", "n", "62"), .c("XLEN", "@x"), .c("XINFO", "STREAM", "@x"),
            .c("XINFO", "STREAM", "@x", "FULL"), .c("XINFO", "STREAM", "@x", "FULL", "COUNT", "2"), .c("XINFO", "STREAM", "@missing"),
            .c("XINFO", "FOO", "@x"), .c("XREAD", "COUNT", "2", "STREAMS", "@x", "0"), .c("XREAD", "STREAMS", "@x", "@y", "50-0", "0"),
            .c("XREAD", "STREAMS", "@x", "$"), .c("XREAD", "STREAMS", "@x"), .c("XSETID", "@x", "100-0"), .c("XSETID", "@x", "1-0"),
            .c("XINFO", "STREAM", "@x"), .c("XADD", "@x", "100-0", "a", "b"),
        ]
        s += [
            .c("XADD", "@g", "1-0", "k", "1"), .c("XADD", "@g", "2-0", "k", "2"), .c("XADD", "@g", "3-0", "k", "3"),
            .c("XADD", "@g", "4-0", "k", "4"), .c("XADD", "@g", "5-0", "k", "5"), .c("XGROUP", "CREATE", "@g", "grp", "0"),
            .c("XGROUP", "CREATE", "@g", "grp", "0"), .c("XGROUP", "CREATE", "@nos", "grp", "$"),
            .c("XGROUP", "CREATE", "@nos", "grp", "$", "MKSTREAM"), .c("XGROUP", "CREATE", "@g", "late", "$", "ENTRIESREAD", "5"),
            .c("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", "@g", ">"),
            .c("XREADGROUP", "GROUP", "grp", "bob", "COUNT", "1", "STREAMS", "@g", ">"),
            .c("XREADGROUP", "GROUP", "grp", "alice", "STREAMS", "@g", "0"), .c("XREADGROUP", "GROUP", "nogrp", "alice", "STREAMS", "@g", ">"),
            .c("XREADGROUP", "GROUP", "grp", "carol", "NOACK", "COUNT", "1", "STREAMS", "@g", ">"),
            .c("XPENDING", "@g", "grp"), .shape("XPENDING", "@g", "grp", "-", "+", "10"), .shape("XPENDING", "@g", "grp", "-", "+", "10", "alice"),
            .c("XPENDING", "@g", "nogrp"), .c("XACK", "@g", "grp", "1-0", "9-0"), .c("XACK", "@g", "grp", "bad"),
            .c("XCLAIM", "@g", "grp", "carol", "0", "2-0"), .c("XCLAIM", "@g", "grp", "dave", "0", "2-0", "3-0", "JUSTID"),
            .c("XAUTOCLAIM", "@g", "grp", "erin", "0", "0-0", "COUNT", "10"), .c("XAUTOCLAIM", "@g", "grp", "erin", "0", "0-0", "COUNT", "0"),
            .c("XINFO", "GROUPS", "@g"), .shape("XINFO", "CONSUMERS", "@g", "grp"), .shape("XINFO", "STREAM", "@g", "FULL"),
            .c("XINFO", "CONSUMERS", "@g", "nogrp"), .c("XGROUP", "CREATECONSUMER", "@g", "grp", "frank"),
            .c("XGROUP", "CREATECONSUMER", "@g", "grp", "frank"), .c("XGROUP", "DELCONSUMER", "@g", "grp", "frank"),
            .c("XGROUP", "DELCONSUMER", "@g", "grp", "erin"), .c("XGROUP", "SETID", "@g", "grp", "0"),
            .c("XGROUP", "SETID", "@g", "grp", "$", "ENTRIESREAD", "3"), .c("XINFO", "GROUPS", "@g"),
            .c("XGROUP", "DESTROY", "@g", "grp"), .c("XGROUP", "DESTROY", "@g", "grp"), .c("XINFO", "GROUPS", "@g"),
        ]
        s += [
            .shape("XADD", "@auto", "*", "f", "v"), .shape("XADD", "@auto", "*", "f", "v"), .c("XLEN", "@auto"),
            .c("SET", "@str", "x"), .c("XADD", "@str", "1-0", "f", "v"), .c("XLEN", "@str"), .c("XRANGE", "@str", "-", "+"),
            .c("XINFO", "STREAM", "@str"), .c("XGROUP", "CREATE", "@str", "g", "$"), .c("XLEN"), .c("XRANGE", "@x", "-"),
            .c("XDEL", "@x"), .c("XACK", "@g", "grp"), .c("XINFO", "STREAM"), .c("XREAD", "STREAMS", "@x", otherSlotKey, "0", "0"),
        ]
        return s
    }

    private static func geo() -> [Step] {
        var s: [Step] = []
        s += [
            .c("GEOADD", "@geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
            .c("GEOADD", "@geo", "12.496366", "41.902782", "Rome", "14.268124", "40.851775", "Naples", "15.554", "38.193", "Messina",
               "16.871871", "41.117143", "Bari", "15.6412", "38.1113", "Reggio", "15.2866", "37.0755", "Syracuse"),
            .c("GEOADD", "@geo", "NX", "13.361389", "38.115556", "Palermo"), .c("GEOADD", "@geo", "XX", "CH", "13.5", "38.1", "Palermo"),
            .c("GEOADD", "@geo", "200", "100", "bad"), .c("GEOADD", "@geo", "1", "2"), .c("GEOADD", "@geo", "1", "2", "a", "3"),
            .c("GEOADD", "@geo", "NX", "XX", "1", "2", "a"), .c("GEOADD", "@geo", "x", "y", "a"), .c("ZCARD", "@geo"),
            .c("ZRANGE", "@geo", "0", "-1", "WITHSCORES"),
        ]
        s += [
            .c("GEOPOS", "@geo", "Palermo", "Catania", "nope"), .c("GEOPOS", "@missing", "a"), .c("GEODIST", "@geo", "Palermo", "Catania"),
            .c("GEODIST", "@geo", "Palermo", "Catania", "km"), .c("GEODIST", "@geo", "Rome", "Bari", "mi"),
            .c("GEODIST", "@geo", "Rome", "Bari", "ft"), .c("GEODIST", "@geo", "Palermo", "Catania", "parsecs"),
            .c("GEODIST", "@geo", "Palermo", "nope"), .c("GEOHASH", "@geo", "Palermo", "Catania", "nope"), .c("GEOHASH", "@missing", "a"),
        ]
        s += [
            .c("GEORADIUS", "@geo", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "ASC"),
            .c("GEORADIUS", "@geo", "15", "37", "200", "km", "COUNT", "1", "DESC"),
            .c("GEORADIUS", "@geo", "15", "37", "500", "km", "WITHHASH", "COUNT", "3", "ANY"),
            .c("GEORADIUSBYMEMBER", "@geo", "Palermo", "200", "km", "WITHHASH", "ASC"),
            .c("GEORADIUSBYMEMBER", "@geo", "Rome", "300", "mi", "WITHDIST", "DESC"), .c("GEORADIUSBYMEMBER", "@geo", "nope", "1", "km"),
            .c("GEORADIUS_RO", "@geo", "15", "37", "200", "km", "ASC"), .c("GEORADIUSBYMEMBER_RO", "@geo", "Catania", "100", "km", "ASC"),
            .c("GEORADIUS", "@geo", "15", "37", "200", "km", "STORE", "@geostore"), .c("ZRANGE", "@geostore", "0", "-1", "WITHSCORES"),
            .c("GEORADIUS", "@geo", "15", "37", "200", "km", "ASC", "STOREDIST", "@gd"), .c("ZRANGE", "@gd", "0", "-1", "WITHSCORES"),
            .c("GEORADIUS", "@geo", "15", "37", "200", "km", "WITHDIST", "STORE", "@geostore"),
            .c("GEORADIUS", "@geo", "15", "37", "-1", "km"), .c("GEORADIUS", "@geo", "15", "37", "1", "lightyears"),
        ]
        s += [
            .c("GEOSEARCH", "@geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"),
            .c("GEOSEARCH", "@geo", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "DESC", "COUNT", "2"),
            .c("GEOSEARCH", "@geo", "FROMMEMBER", "Rome", "BYBOX", "1000", "500", "km", "ASC", "COUNT", "1", "ANY"),
            .c("GEOSEARCHSTORE", "@gs", "@geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
            .c("ZRANGE", "@gs", "0", "-1", "WITHSCORES"), .c("GEOSEARCHSTORE", "@gs", "@geo", "FROMMEMBER", "Bari", "BYRADIUS", "50", "km"),
            .c("EXISTS", "@gs"), .c("GEOSEARCH", "@geo", "FROMLONLAT", "15", "37"), .c("GEOSEARCH", "@geo", "BYRADIUS", "10", "km"),
            .c("GEOSEARCH", "@geo", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
            .c("GEOSEARCH", "@geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
            .c("GEOSEARCH", "@geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ANY"),
            .c("GEOSEARCHSTORE", "@gs", otherSlotKey, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
            .c("GEOSEARCH", "@missing", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ]
        s += [
            .c("ZREM", "@geo", "Rome"), .c("GEOPOS", "@geo", "Rome"), .c("SET", "@str", "x"), .c("GEOADD", "@str", "1", "2", "a"),
            .c("GEOPOS", "@str", "a"), .c("GEODIST", "@str", "a", "b"), .c("GEOSEARCH", "@str", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"),
            .c("GEOPOS"), .c("GEODIST", "@geo", "a"), .c("GEOHASH"), .c("GEORADIUS", "@geo", "15", "37", "200"),
        ]
        return s
    }

    private static func hyperLogLog() -> [Step] {
        var s: [Step] = []
        s += [
            .c("PFADD", "@h", "a", "b", "c", "d"), .c("PFADD", "@h", "a"), .c("PFCOUNT", "@h"), .c("PFADD", "@h2", "c", "d", "e", "f"),
            .c("PFCOUNT", "@h", "@h2"), .c("PFCOUNT", "@h"), .c("PFMERGE", "@m", "@h", "@h2"), .c("PFCOUNT", "@m"), .c("GET", "@m"),
            .c("GET", "@h"), .c("PFADD", "@h"), .c("PFADD", "@new"), .c("EXISTS", "@new"), .c("PFCOUNT", "@new"), .c("PFCOUNT", "@missing"),
            .c("PFMERGE", "@m2", "@missing"), .c("PFCOUNT", "@m2"), .c("PFMERGE", "@m2"), .c("STRLEN", "@h"),
        ]
        s.append(.args(["PFADD", "@big"] + (0..<2000).map { "element-\($0)" }))
        s += [
            .c("PFCOUNT", "@big"), .c("STRLEN", "@big"), .c("GET", "@big"), .c("PFMERGE", "@m", "@big"), .c("PFCOUNT", "@m"),
            .c("PFCOUNT", "@m", "@big", "@h"), .c("GETRANGE", "@m", "0", "15"),
        ]
        for batch in 0..<6 {
            s.append(.args(["PFADD", "@grow"] + (0..<100).map { "g-\(batch)-\($0)" }))
            s.append(.c("PFCOUNT", "@grow"))
        }
        s += [
            .c("SET", "@str", "not an hll"), .c("PFADD", "@str", "a"), .c("PFCOUNT", "@str"), .c("PFMERGE", "@str", "@h"),
            .c("PFMERGE", "@m", "@str"), .c("PFCOUNT", "@h", "@str"), .c("RPUSH", "@list", "a"), .c("PFADD", "@list", "a"),
            .c("PFCOUNT", "@list"), .c("SET", "@fake", "HYLL\u{1}\u{0}\u{0}\u{0}xxxxxxxx"), .c("PFCOUNT", "@fake"),
            .c("PFADD"), .c("PFCOUNT"), .c("PFMERGE"), .c("PFCOUNT", "@h", otherSlotKey), .c("PFMERGE", "@m", otherSlotKey),
        ]
        return s
    }

    private static func bitfield() -> [Step] {
        var s: [Step] = []
        s += [
            .c("BITFIELD", "@bf", "SET", "i8", "0", "100", "GET", "i8", "0"), .c("BITFIELD", "@bf", "INCRBY", "u4", "100", "1", "GET", "u4", "100"),
            .c("BITFIELD", "@bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100"), .c("BITFIELD", "@bf", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "100"),
            .c("BITFIELD", "@bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "100"), .c("BITFIELD", "@bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "10", "5"),
            .c("BITFIELD", "@bf", "SET", "u8", "#1", "255", "GET", "u8", "#1"), .c("BITFIELD", "@bf", "GET", "i64", "0"),
            .c("BITFIELD", "@bf", "GET", "u63", "0"), .c("BITFIELD", "@bf", "GET", "u64", "0"), .c("BITFIELD", "@bf", "GET", "i65", "0"),
            .c("BITFIELD", "@bf", "GET", "i8", "-1"), .c("BITFIELD", "@bf", "FOO"), .c("BITFIELD", "@bf", "SET", "i8", "0"),
            .c("BITFIELD", "@bf", "OVERFLOW", "MAYBE"), .c("BITFIELD", "@bf", "SET", "i8", "0", "x"), .c("BITFIELD", "@bf", "INCRBY", "i8", "0", "x"),
            .c("BITFIELD_RO", "@bf", "GET", "u8", "0", "GET", "i16", "8"), .c("BITFIELD_RO", "@bf", "SET", "u8", "0", "1"),
            .c("BITFIELD_RO", "@bf", "INCRBY", "u8", "0", "1"), .c("BITFIELD", "@bf"), .c("BITFIELD_RO", "@bf"), .c("GET", "@bf"),
            .c("BITFIELD_RO", "@missing", "GET", "u8", "0"), .c("BITFIELD", "@missing", "GET", "u8", "0"), .c("EXISTS", "@missing"),
        ]
        for index in 0..<24 {
            s.append(.c("BITFIELD", "@counters", "OVERFLOW", index % 2 == 0 ? "WRAP" : "SAT", "INCRBY", "u5", "#\(index % 8)",
                        "\(index * 3)", "GET", "u5", "#\(index % 8)", "GET", "i5", "\(index * 5)"))
        }
        s += [
            .c("GET", "@counters"), .c("BITFIELD", "@counters", "GET", "u3", "0", "GET", "u3", "3", "GET", "i3", "6", "GET", "u16", "#0"),
            .c("BITFIELD", "@wide", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"),
            .c("BITFIELD", "@wide", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1"), .c("BITFIELD", "@wide", "SET", "u32", "100000", "4294967295"),
            .c("STRLEN", "@wide"), .c("BITFIELD", "@wide", "SET", "u8", "4294967296", "1"),
            .c("RPUSH", "@list", "x"), .c("BITFIELD", "@list", "GET", "u8", "0"), .c("BITFIELD_RO", "@list", "GET", "u8", "0"),
            .c("BITFIELD"), .c("BITFIELD_RO"),
        ]
        return s
    }

    private static func keys() -> [Step] {
        var s: [Step] = []
        s += [
            .c("SET", "@a", "1"), .c("RPUSH", "@list", "x", "y"), .c("HSET", "@hash", "f", "v"), .c("SADD", "@set", "m"),
            .c("ZADD", "@zset", "1", "m"), .c("XADD", "@stream", "1-0", "f", "v"), .c("EXISTS", "@a", "@a", "@nope"),
            .c("TYPE", "@a"), .c("TYPE", "@list"), .c("TYPE", "@hash"), .c("TYPE", "@set"),
            .c("TYPE", "@zset"), .c("TYPE", "@stream"), .c("TYPE", "@nope"),
        ]
        s += [
            .c("EXPIRE", "@a", "100"), .c("TTL", "@a"), .c("EXPIRE", "@a", "50", "NX"), .c("EXPIRE", "@a", "200", "GT"),
            .c("EXPIRE", "@a", "10", "GT"), .c("EXPIRE", "@a", "150", "LT"), .c("EXPIRE", "@a", "300", "XX"), .c("TTL", "@a"),
            .c("PERSIST", "@a"), .c("PERSIST", "@a"), .c("TTL", "@a"), .c("EXPIRE", "@a", "10", "XX"), .c("EXPIRE", "@a", "10", "LT"),
            .c("TTL", "@nope"), .c("PTTL", "@nope"), .c("EXPIRE", "@nope", "10"), .c("PERSIST", "@nope"), .c("EXPIRE", "@a", "abc"),
            .c("EXPIRE", "@a", "10", "NX", "XX"), .c("EXPIRE", "@a", "10", "GT", "LT"), .c("EXPIRE", "@a", "100", "FOO"),
            .c("EXPIRE", "@a", "9223372036854775807"), .c("PEXPIRE", "@a", "100000"), .shape("PTTL", "@a"), .c("TTL", "@a"),
            .c("EXPIREAT", "@a", "4102444800"), .c("EXPIRETIME", "@a"), .c("PEXPIREAT", "@a", "4102444800123"), .c("PEXPIRETIME", "@a"),
            .c("EXPIRETIME", "@a"), .c("EXPIRETIME", "@nope"), .c("PEXPIRETIME", "@list"), .c("PERSIST", "@a"),
            .c("SET", "@tmp", "x"), .c("EXPIRE", "@tmp", "-1"), .c("EXISTS", "@tmp"), .c("SET", "@tmp", "x"),
            .c("PEXPIREAT", "@tmp", "1000"), .c("GET", "@tmp"),
        ]
        s += [
            .c("OBJECT", "ENCODING", "@a"), .c("OBJECT", "ENCODING", "@list"), .c("OBJECT", "ENCODING", "@hash"),
            .c("OBJECT", "ENCODING", "@set"), .c("OBJECT", "ENCODING", "@zset"), .c("OBJECT", "ENCODING", "@stream"),
            .c("OBJECT", "ENCODING", "@nope"), .c("OBJECT", "REFCOUNT", "@a"), .c("OBJECT", "REFCOUNT", "@list"),
            .c("OBJECT", "FREQ", "@a"), .shape("OBJECT", "IDLETIME", "@a"), .c("OBJECT", "FOO", "@a"), .c("OBJECT", "ENCODING"),
            .c("OBJECT", "IDLETIME", "@nope"), .c("MEMORY", "USAGE", "@a"), .c("MEMORY", "USAGE", "@nope"),
            .c("MEMORY", "USAGE", "@list", "SAMPLES", "0"),
        ]
        s += [
            .c("SET", "@d", "payload"), .c("DUMP", "@d"), .c("RESTORE", "@r", "0", "<last>"), .c("GET", "@r"),
            .c("DUMP", "@d"), .c("RESTORE", "@r", "0", "<last>"), .c("DUMP", "@d"), .c("RESTORE", "@r", "0", "<last>", "REPLACE"),
            .c("DUMP", "@d"), .c("RESTORE", "@r", "100000", "<last>", "REPLACE"), .c("TTL", "@r"),
            .c("DUMP", "@d"), .c("RESTORE", "@r", "4102444800000", "<last>", "REPLACE", "ABSTTL"), .c("PEXPIRETIME", "@r"),
            .c("DUMP", "@d"), .c("RESTORE", "@r", "0", "<last>", "REPLACE", "IDLETIME", "1000"), .c("DUMP", "@d"),
            .c("RESTORE", "@r", "0", "<last>", "REPLACE", "FREQ", "5"), .c("RESTORE", "@r2", "0", "garbage"),
            .c("RESTORE", "@r2", "-1", "garbage"), .c("DUMP", "@nope"), .c("DUMP", "@list"), .c("RESTORE", "@list2", "0", "<last>"),
            .c("LRANGE", "@list2", "0", "-1"), .c("DUMP", "@hash"), .c("RESTORE", "@hash2", "0", "<last>"), .c("HGETALL", "@hash2"),
            .c("DUMP", "@zset"), .c("RESTORE", "@zset2", "0", "<last>"), .c("ZRANGE", "@zset2", "0", "-1", "WITHSCORES"),
            .c("DUMP", "@stream"), .c("RESTORE", "@stream2", "0", "<last>"), .c("XRANGE", "@stream2", "-", "+"),
        ]
        s += [
            .c("COPY", "@a", "@c"), .c("GET", "@c"), .c("COPY", "@a", "@c"), .c("COPY", "@a", "@c", "REPLACE"),
            .c("COPY", "@a", "@c", "DB", "1"), .c("COPY", "@a", "@c", "DB", "0", "REPLACE"), .c("COPY", "@nope", "@c"),
            .c("COPY", "@list", "@listcopy"), .c("LRANGE", "@listcopy", "0", "-1"), .c("COPY", "@a", "@c", "FOO"),
            .c("COPY", "@a", otherSlotKey), .c("RENAME", "@c", "@e"), .c("GET", "@e"), .c("EXISTS", "@c"), .c("RENAME", "@nope", "@e"),
            .c("RENAMENX", "@e", "@a"), .c("RENAMENX", "@e", "@f"), .c("RENAME", "@f", "@f"), .c("RENAMENX", "@f", "@f"),
            .c("RENAME", "@f", otherSlotKey), .c("MOVE", "@f", "1"), .c("TOUCH", "@a", "@f", "@nope"),
            .c("DEL", "@a", "@f", "@nope"), .c("UNLINK", "@r", "@r2", "@nope"),
        ]
        s += [
            .c("COMMAND", "GETKEYS", "SET", "@a", "1"), .c("COMMAND", "GETKEYS", "LMOVE", "@list", "@list2", "LEFT", "RIGHT"),
            .c("COMMAND", "GETKEYS", "EVAL", "return 1", "2", "@a", "@b", "x"), .c("COMMAND", "GETKEYS", "GET"),
            .c("RPUSH", "@sl", "3", "1", "2", "10"), .c("SORT", "@sl"), .c("SORT", "@sl", "DESC", "LIMIT", "0", "2"),
            .c("SORT", "@sl", "ALPHA"), .c("SORT", "@sl", "STORE", "@sorted"), .c("LRANGE", "@sorted", "0", "-1"),
            .c("SORT_RO", "@sl"), .c("SORT_RO", "@sl", "ALPHA", "DESC"), .c("SORT", "@hash"), .c("RPUSH", "@words", "b", "a"),
            .c("SORT", "@words"), .c("SORT_RO", "@words"),
            // BY/GET patterns inside the key's hash tag (Redis Cluster allows them only there).
            .c("MSET", "@w_1", "30", "@w_2", "20", "@w_3", "10", "@w_10", "0", "@o_1", "one", "@o_2", "two", "@o_3", "three"),
            .c("SORT", "@sl", "BY", "@w_*"), .c("SORT", "@sl", "BY", "@w_*", "GET", "@o_*", "GET", "#"),
            .c("SORT", "@sl", "BY", "nosort", "GET", "#"), .c("SORT_RO", "@sl", "BY", "@w_*", "DESC", "GET", "@o_*"),
            .c("SORT", "@sl", "BY", "@w_*", "GET", "@o_*", "STORE", "@sorted2"), .c("LRANGE", "@sorted2", "0", "-1"),
            .c("SORT", "@sl", "GET", "other_*"), .c("SORT", "@sl", "BY", "other_*"), .c("SORT", "@sl", "STORE", otherSlotKey),
            .c("SORT", "@sl", "LIMIT", "0"), .c("SORT", "@sl", "FOO"), .c("SORT"),
        ]
        s += [
            .c("EXPIRE", "@a"), .c("TTL"), .c("TYPE"), .c("PERSIST"), .c("RENAME", "@a"), .c("COPY", "@a"), .c("DUMP"),
            .c("RESTORE", "@a", "0"), .c("OBJECT"), .c("EXISTS"), .c("DEL"),
        ]
        return s
    }

    private static func scripting() -> [Step] {
        let set = "return redis.call('SET', KEYS[1], ARGV[1])"
        let get = "return redis.call('GET', KEYS[1])"
        var s: [Step] = []
        s += [
            .c("EVAL", set, "1", "@k", "v"), .c("EVAL", get, "1", "@k"), .c("EVAL", get, "1", "@missing"),
            .c("EVAL", "return KEYS", "2", "@k", "@k2"), .c("EVAL", "return ARGV", "1", "@k", "a", "b"),
            .c("EVAL", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", "@k", "x"),
            .c("EVAL", "return {1, 'two', {3, 'four'}, 3.99, true, false, nil, 5}", "1", "@k"),
            .c("EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "1", "@n", "5"),
            .c("EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "1", "@n", "5"),
            .c("EVAL", "redis.call('RPUSH', KEYS[1], 'a', 'b'); return redis.call('LRANGE', KEYS[1], 0, -1)", "1", "@l"),
            .c("EVAL", "redis.call('HSET', KEYS[1], 'f', 'v'); return redis.call('HGETALL', KEYS[1])", "1", "@h"),
            .c("EVAL", "return redis.call('LPUSH', KEYS[1], 'x')", "1", "@k"),
            .c("EVAL", "return redis.pcall('LPUSH', KEYS[1], 'x')", "1", "@k"),
            .c("EVAL", "local r = redis.pcall('INCR', KEYS[1]); return r['err']", "1", "@k"),
            .c("EVAL", "return redis.error_reply('MY custom error')", "1", "@k"), .c("EVAL", "return redis.status_reply('FINE')", "1", "@k"),
            .c("EVAL", "return {err='plain'}", "1", "@k"), .c("EVAL", "return nosuchvar", "1", "@k"),
            .c("EVAL", "syntax error here", "1", "@k"), .c("EVAL", "error('boom')", "1", "@k"),
            .c("EVAL", "return redis.call('NOSUCHCMD', KEYS[1])", "1", "@k"), .c("EVAL", "return redis.call('GET')", "1", "@k"),
            .c("EVAL", "return redis.call('SET', KEYS[1], 'a', 'NX', 'XX')", "1", "@k"),
        ]
        s += [
            .c("EVAL", "return 1", "2", "@k"), .c("EVAL", "return 1", "-1"), .c("EVAL", "return 1", "abc"),
            .c("EVAL", "return 'no keys'", "0"), .c("EVAL", "return 1"), .c("EVAL"),
            .c("EVAL", "return redis.call('GET', KEYS[1])", "2", "@k", otherSlotKey),
            .c("EVAL_RO", get, "1", "@k"), .c("EVAL_RO", "return redis.call('SET', KEYS[1], 'x')", "1", "@k"),
            .c("EVAL", "return redis.sha1hex(ARGV[1])", "1", "@k", "abc"), .c("EVAL", "return cjson.encode({a=1})", "1", "@k"),
            .c("EVAL", "return cmsgpack.unpack(cmsgpack.pack({1,2,3}))", "1", "@k"),
            .c("EVAL", "return tostring(0.1 + 0.2)", "1", "@k"), .c("EVAL", "return redis.call('TTL', KEYS[1])", "1", "@k"),
            .c("EVAL", "redis.call('EXPIRE', KEYS[1], 100); return redis.call('TTL', KEYS[1])", "1", "@k"),
            .c("EVAL", "return redis.call('DEL', KEYS[1], KEYS[2])", "2", "@n", "@nope"),
            .c("EVAL", "return redis.call('EXISTS', KEYS[1])", "1", "@n"),
        ]
        s += [
            .c("SCRIPT", "LOAD", get), .c("EVALSHA", "<last>", "1", "@k"), .c("SCRIPT", "LOAD", set), .c("EVALSHA", "<last>", "1", "@k", "w"),
            .c("SCRIPT", "LOAD", get), .c("EVALSHA_RO", "<last>", "1", "@k"), .c("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "1", "@k"),
            .c("EVALSHA", "notasha", "1", "@k"), .c("SCRIPT", "EXISTS", "ffffffffffffffffffffffffffffffffffffffff"),
            .c("SCRIPT", "LOAD", "syntax error here"), .c("EVALSHA", "<last>", "1", "@k"),
        ]
        return s
    }

    private static func connection() -> [Step] {
        [
            .c("PING"), .c("PING", "hello"), .c("PING", "a", "b"), .c("ECHO", "text"), .c("ECHO", "a\r\nb"), .c("ECHO"),
            .c("ECHO", "a", "b"), .c("SELECT", "0"), .c("SELECT", "1"), .c("SELECT", "abc"), .c("SELECT"),
            .c("CLUSTER", "KEYSLOT", "@k"), .c("CLUSTER", "KEYSLOT", "foo"), .c("CLUSTER", "KEYSLOT", "{}x"),
            .c("CLUSTER", "KEYSLOT"), .c("CLUSTER", "KEYSLOT", "a", "b"), .c("CLIENT", "GETNAME"), .c("CLIENT", "SETNAME", "cmp-client"),
            .c("CLIENT", "GETNAME"), .c("CLIENT", "SETNAME", "a b"), .c("CLIENT", "SETNAME", ""), .c("CLIENT", "GETNAME"),
            .c("CLIENT", "SETNAME"), .c("READONLY"), .c("READWRITE"), .c("READONLY", "x"),
            .c("NOSUCHCOMMAND", "@k", "arg"), .c("GET", "@k"), .c("SET", "@k", "v"), .c("GET", "@k"),
        ]
    }
}

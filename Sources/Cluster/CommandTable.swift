import RESP

/// Every command a server knows, built once from its `COMMAND` reply, looked up per request by the
/// name bytes without allocating.
///
/// Redis 7 replies carry tips, key specifications and subcommands; Redis 6 replies stop after the
/// ACL categories, and the table then falls back to each command's first key, last key and step.
public struct CommandTable: Sendable, Equatable {
    /// The top-level commands, in the server's order.
    public let commands: [CommandInfo]
    private let index: NameIndex

    /// A table of `commands`; a later duplicate name is ignored.
    public init(commands: [CommandInfo]) {
        self.commands = commands
        self.index = NameIndex(commands.map { Array($0.name.utf8) })
    }

    /// Parses the reply of `COMMAND` (RESP2 or RESP3).
    public init(reply: RESPValue) throws(CommandTableError) {
        guard let entries = CommandReply.list(reply) else { throw .malformed("COMMAND reply is not an array") }
        var commands: [CommandInfo] = []
        commands.reserveCapacity(entries.count)
        for entry in entries {
            // `COMMAND INFO` answers a null for a name it does not know.
            if entry.isNull { continue }
            commands.append(try CommandInfo(entry))
        }
        self.init(commands: commands)
    }

    /// Number of top-level commands.
    public var count: Int { commands.count }

    /// The command named `name` (ASCII case-insensitive), without looking at subcommands.
    @inline(__always) public func command(named name: UnsafeRawBufferPointer) -> CommandInfo? {
        index.find(name).map { commands[$0] }
    }

    /// The same for a name given as text (tests and configuration; it allocates).
    public func command(named name: String) -> CommandInfo? {
        Array(name.utf8).withUnsafeBytes { command(named: $0) }
    }

    /// The entry Redis would run for `arguments`, as its `lookupCommand` finds it: the subcommand
    /// named by argument 1 when the command has subcommands and one is given, else the command.
    /// `nil` for an unknown command, an unknown subcommand, or no arguments at all.
    public func command(for arguments: CommandArguments) -> CommandInfo? {
        guard arguments.count > 0, let command = command(named: arguments[0]) else { return nil }
        guard arguments.count > 1, !command.subcommands.isEmpty else { return command }
        return command.subcommand(named: arguments[1])
    }
}

/// Why a `COMMAND` reply could not be turned into a ``CommandTable``.
public enum CommandTableError: Error, Equatable, Sendable {
    /// The reply does not have the documented shape; the text says where.
    case malformed(String)
}

/// What `COMMAND` says about one command or subcommand.
public struct CommandInfo: Sendable, Equatable {
    /// `n > 0`: exactly `n` arguments, the name included; `-n`: at least `n`.
    public let arity: Int
    /// The command's flags (`write`, `blocking`, `movablekeys`, …).
    public let flags: CommandFlags
    /// First key of the legacy key range (an absolute argument index, 0 for none): all Redis 6
    /// offers, used when there are no ``keySpecs``.
    public let firstKey: Int
    /// Last key of the legacy range: an absolute index, or counted from the end when negative.
    public let lastKey: Int
    /// Distance between keys of the legacy range (`MSET`: 2).
    public let keyStep: Int
    /// Whether there are key specs, and whether one of them is about real keys (not `not_key`):
    /// kept inline so a key search can decide without touching the specs.
    let hasKeySpecs: Bool
    let hasRealKeySpecs: Bool
    /// The rest, behind one immutable reference: the router copies an entry per request, and one
    /// retain is cheaper than one per array and string.
    private let details: Details

    /// Lower case as the server sends it; a subcommand is named `parent|sub` (`object|encoding`).
    public var name: String { details.name }
    /// ACL categories as sent (`@write`, `@string`, …); empty before Redis 6.
    public var aclCategories: [String] { details.aclCategories }
    /// How a cluster client should spread the command (Redis 7 tips); `nil` when unstated.
    public var requestPolicy: RequestPolicy? { details.requestPolicy }
    /// How a cluster client should merge the replies of a spread command; `nil` when unstated.
    public var responsePolicy: ResponsePolicy? { details.responsePolicy }
    /// The other tips.
    public var tips: CommandTips { details.tips }
    /// Redis 7 key specifications, in the server's order; empty for Redis 6 and keyless commands.
    public var keySpecs: [KeySpec] { details.keySpecs }
    /// Redis 7 subcommands (`object|encoding`, …), in the server's order.
    public var subcommands: [CommandInfo] { details.subcommands }

    private final class Details: Sendable, Equatable {
        let name: String
        let aclCategories: [String]
        let requestPolicy: RequestPolicy?
        let responsePolicy: ResponsePolicy?
        let tips: CommandTips
        let keySpecs: [KeySpec]
        let subcommands: [CommandInfo]
        let subcommandIndex: NameIndex

        init(
            _ name: String, _ aclCategories: [String], _ requestPolicy: RequestPolicy?, _ responsePolicy: ResponsePolicy?,
            _ tips: CommandTips, _ keySpecs: [KeySpec], _ subcommands: [CommandInfo]
        ) {
            self.name = name
            self.aclCategories = aclCategories
            self.requestPolicy = requestPolicy
            self.responsePolicy = responsePolicy
            self.tips = tips
            self.keySpecs = keySpecs
            self.subcommands = subcommands
            // Subcommands are looked up by what follows the `|`, which is what the client sends.
            let bar = UInt8(ascii: "|")
            subcommandIndex = NameIndex(subcommands.map { Array($0.name.utf8.split(separator: bar).last ?? []) })
        }

        static func == (left: Details, right: Details) -> Bool {
            left.name == right.name && left.aclCategories == right.aclCategories && left.requestPolicy == right.requestPolicy
                && left.responsePolicy == right.responsePolicy && left.tips == right.tips && left.keySpecs == right.keySpecs
                && left.subcommands == right.subcommands
        }
    }

    /// A command described field by field (tests, and commands a server does not list).
    public init(
        name: String, arity: Int, flags: CommandFlags = [], firstKey: Int = 0, lastKey: Int = 0, keyStep: Int = 0,
        aclCategories: [String] = [], requestPolicy: RequestPolicy? = nil, responsePolicy: ResponsePolicy? = nil,
        tips: CommandTips = [], keySpecs: [KeySpec] = [], subcommands: [CommandInfo] = []
    ) {
        self.arity = arity
        self.flags = flags
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.keyStep = keyStep
        hasKeySpecs = !keySpecs.isEmpty
        hasRealKeySpecs = keySpecs.contains { !$0.flags.contains(.notKey) }
        details = Details(name, aclCategories, requestPolicy, responsePolicy, tips, keySpecs, subcommands)
    }

    /// Parses one entry of a `COMMAND` reply: name, arity, flags, first key, last key, step, then
    /// (Redis 6+) ACL categories and (Redis 7+) tips, key specifications and subcommands.
    public init(_ entry: RESPValue) throws(CommandTableError) {
        guard let fields = CommandReply.list(entry), fields.count >= 6 else {
            throw .malformed("command entry \(entry) is too short")
        }
        guard let name = fields[0].stringValue, !name.isEmpty else { throw .malformed("command entry without a name") }
        guard let arity = CommandReply.int(fields[1]), let firstKey = CommandReply.int(fields[3]),
            let lastKey = CommandReply.int(fields[4]), let keyStep = CommandReply.int(fields[5])
        else { throw .malformed("'\(name)': arity or key positions are not integers") }
        guard let flagNames = CommandReply.list(fields[2]) else { throw .malformed("'\(name)': flags are not a list") }
        var flags: CommandFlags = []
        for flag in flagNames { flags.insert(CommandFlags(name: flag.stringValue ?? "")) }
        let categories = fields.count > 6 ? (CommandReply.list(fields[6]) ?? []).compactMap(\.stringValue) : []
        // Redis 6 has no `blocking` flag, only the ACL category (7.0 gives both to the same commands).
        if categories.contains(where: { $0.lowercased() == "@blocking" }) { flags.insert(.blocking) }
        var requestPolicy: RequestPolicy?
        var responsePolicy: ResponsePolicy?
        var tips: CommandTips = []
        for tip in fields.count > 7 ? (CommandReply.list(fields[7]) ?? []).compactMap(\.stringValue) : [] {
            if tip.hasPrefix("request_policy:") {
                requestPolicy = RequestPolicy(rawValue: String(tip.dropFirst("request_policy:".count)))
            } else if tip.hasPrefix("response_policy:") {
                responsePolicy = ResponsePolicy(rawValue: String(tip.dropFirst("response_policy:".count)))
            } else {
                tips.insert(CommandTips(name: tip))
            }
        }
        var specs: [KeySpec] = []
        if fields.count > 8 {
            guard let list = CommandReply.list(fields[8]) else { throw .malformed("'\(name)': key specs are not a list") }
            for spec in list { specs.append(try KeySpec(spec, command: name)) }
        }
        var subcommands: [CommandInfo] = []
        if fields.count > 9 {
            guard let list = CommandReply.list(fields[9]) else { throw .malformed("'\(name)': subcommands are not a list") }
            for sub in list { subcommands.append(try CommandInfo(sub)) }
        }
        self.init(
            name: String(decoding: name.utf8.map(ASCII.lowercased), as: UTF8.self), arity: arity, flags: flags, firstKey: firstKey, lastKey: lastKey,
            keyStep: keyStep, aclCategories: categories, requestPolicy: requestPolicy,
            responsePolicy: responsePolicy, tips: tips, keySpecs: specs, subcommands: subcommands)
    }

    /// The subcommand whose part after `|` is `name` (ASCII case-insensitive).
    @inline(__always) public func subcommand(named name: UnsafeRawBufferPointer) -> CommandInfo? {
        details.subcommandIndex.find(name).map { details.subcommands[$0] }
    }

    /// The same for a name given as text (tests; it allocates).
    public func subcommand(named name: String) -> CommandInfo? {
        Array(name.utf8).withUnsafeBytes { subcommand(named: $0) }
    }

    /// True when `count` arguments (the name included) satisfy the arity, as Redis checks before
    /// running a command; otherwise the server answers "wrong number of arguments".
    @inline(__always) public func accepts(argumentCount count: Int) -> Bool {
        arity >= 0 ? count == arity : count >= -arity
    }
}

/// Command flags from `COMMAND` (Redis 6 and 7 names); flags this version does not know are dropped.
public struct CommandFlags: OptionSet, Sendable, Hashable {
    /// One bit per flag; the bits are Ferry's, not Redis's.
    public let rawValue: UInt32
    /// The flags of `rawValue`'s bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `write`: may modify data.
    public static let write = Self(rawValue: 1 << 0)
    /// `readonly`: only reads data.
    public static let readonly = Self(rawValue: 1 << 1)
    /// `denyoom`: refused while the server is over its memory limit.
    public static let denyOOM = Self(rawValue: 1 << 2)
    /// `module`: implemented by a module.
    public static let module = Self(rawValue: 1 << 3)
    /// `admin`: an administrative command (`CONFIG`, `DEBUG`…).
    public static let admin = Self(rawValue: 1 << 4)
    /// `pubsub`: about publish/subscribe.
    public static let pubsub = Self(rawValue: 1 << 5)
    /// `noscript`: not allowed in scripts.
    public static let noScript = Self(rawValue: 1 << 6)
    /// Redis 6 only (Redis 7 moved it to the `nondeterministic_output` tip).
    public static let random = Self(rawValue: 1 << 7)
    /// Redis 6 only.
    public static let sortForScript = Self(rawValue: 1 << 8)
    /// `loading`: allowed while the dataset loads.
    public static let loading = Self(rawValue: 1 << 9)
    /// `stale`: allowed on a replica with stale data.
    public static let stale = Self(rawValue: 1 << 10)
    /// `skip_monitor`: not shown to `MONITOR`.
    public static let skipMonitor = Self(rawValue: 1 << 11)
    /// `skip_slowlog`: not logged in the slow log.
    public static let skipSlowlog = Self(rawValue: 1 << 12)
    /// `asking`: accepted for an importing slot without `ASKING`.
    public static let asking = Self(rawValue: 1 << 13)
    /// `fast`: O(1) or O(log N).
    public static let fast = Self(rawValue: 1 << 14)
    /// `no_auth`: allowed before authentication.
    public static let noAuth = Self(rawValue: 1 << 15)
    /// Redis 6.2 only.
    public static let mayReplicate = Self(rawValue: 1 << 16)
    /// The key positions depend on the arguments: the legacy range alone does not find them.
    public static let movableKeys = Self(rawValue: 1 << 17)
    /// `no_async_loading`: refused during an asynchronous load.
    public static let noAsyncLoading = Self(rawValue: 1 << 18)
    /// `no_multi`: not allowed inside `MULTI`.
    public static let noMulti = Self(rawValue: 1 << 19)
    /// `allow_busy`: allowed while a script or function is busy.
    public static let allowBusy = Self(rawValue: 1 << 20)
    /// `no_mandatory_keys`: may take keys but needs none (`EVAL script 0`).
    public static let noMandatoryKeys = Self(rawValue: 1 << 21)
    /// May block the connection (`BLPOP`, and `XREAD` whether or not it is given `BLOCK`); also set
    /// for the `@blocking` ACL category, since Redis 6 has only that.
    public static let blocking = Self(rawValue: 1 << 22)

    private static let names: [String: CommandFlags] = [
        "write": .write, "readonly": .readonly, "denyoom": .denyOOM, "module": .module, "admin": .admin,
        "pubsub": .pubsub, "noscript": .noScript, "random": .random, "sort_for_script": .sortForScript,
        "loading": .loading, "stale": .stale, "skip_monitor": .skipMonitor, "skip_slowlog": .skipSlowlog,
        "asking": .asking, "fast": .fast, "no_auth": .noAuth, "may_replicate": .mayReplicate,
        "movablekeys": .movableKeys, "no_async_loading": .noAsyncLoading, "no_multi": .noMulti,
        "allow_busy": .allowBusy, "no_mandatory_keys": .noMandatoryKeys, "blocking": .blocking,
    ]

    /// The flag `COMMAND` calls `name` (ASCII case-insensitive); empty when unknown.
    public init(name: String) { self = Self.names[name.lowercased()] ?? [] }
}

/// Redis 7's `request_policy` tip: which shards a cluster client sends the command to.
public enum RequestPolicy: String, Sendable {
    /// To every node, replicas included (`SCRIPT LOAD`).
    case allNodes = "all_nodes"
    /// To every master (`KEYS`, `DBSIZE`).
    case allShards = "all_shards"
    /// Split by the slots of its keys (`MSET`, `DEL`).
    case multiShard = "multi_shard"
    /// Needs handling of its own.
    case special
}

/// Redis 7's `response_policy` tip: how a cluster client merges the shards' replies.
public enum ResponsePolicy: String, Sendable {
    /// The first success is the answer (`SCRIPT KILL`).
    case oneSucceeded = "one_succeeded"
    /// Success when all succeed (`FLUSHALL`).
    case allSucceeded = "all_succeeded"
    /// The logical AND of the replies, element-wise.
    case aggregateLogicalAnd = "agg_logical_and"
    /// The logical OR of the replies, element-wise.
    case aggregateLogicalOr = "agg_logical_or"
    /// The smallest reply (`WAIT`).
    case aggregateMin = "agg_min"
    /// The largest reply.
    case aggregateMax = "agg_max"
    /// The sum of the replies (`DBSIZE`).
    case aggregateSum = "agg_sum"
    /// Needs merging of its own.
    case special
}

/// Redis 7's other tips.
public struct CommandTips: OptionSet, Sendable, Hashable {
    /// One bit per tip.
    public let rawValue: UInt8
    /// The tips of `rawValue`'s bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Two runs on the same data may answer differently (`RANDOMKEY`, `TIME`).
    public static let nondeterministicOutput = Self(rawValue: 1 << 0)
    /// The same elements, in an order that may differ (`KEYS`, `SMEMBERS`).
    public static let nondeterministicOutputOrder = Self(rawValue: 1 << 1)

    /// The tip `COMMAND` calls `name`; empty when unknown.
    public init(name: String) {
        switch name.lowercased() {
        case "nondeterministic_output": self = .nondeterministicOutput
        case "nondeterministic_output_order": self = .nondeterministicOutputOrder
        default: self = []
        }
    }
}

/// A small open-addressing hash table from ASCII names (stored lower case) to their positions in
/// the list it was built from; lookups lower-case the probe on the fly, so they never allocate.
struct NameIndex: Sendable, Equatable {
    /// All names, lower case, back to back.
    private let bytes: [UInt8]
    /// Per name: where it starts in `bytes`, and its length.
    private let starts: [Int]
    private let lengths: [Int]
    /// Name number, or -1 for an empty slot; the count is a power of two at least twice the names.
    private let slots: [Int32]

    init(_ names: [[UInt8]]) {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        var lengths: [Int] = []
        for name in names {
            starts.append(bytes.count)
            lengths.append(name.count)
            bytes.append(contentsOf: name.map(ASCII.lowercased))
        }
        var capacity = 8
        while capacity < names.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        for number in names.indices {
            names[number].withUnsafeBytes { name in
                var slot = Self.hash(name) & (capacity - 1)
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    if Self.equals(bytes, starts[other], lengths[other], name) { return }  // a duplicate: the first wins
                    slot = (slot + 1) & (capacity - 1)
                }
                slots[slot] = Int32(number)
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
        self.slots = slots
    }

    /// The position of the name equal to `key` (ASCII case-insensitive), if any.
    @inline(__always) func find(_ key: UnsafeRawBufferPointer) -> Int? {
        let mask = slots.count - 1
        var slot = Self.hash(key) & mask
        while true {
            let number = Int(slots[slot])
            if number < 0 { return nil }
            if Self.equals(bytes, starts[number], lengths[number], key) { return number }
            slot = (slot + 1) & mask
        }
    }

    /// True when `bytes[start..<start + length]` (lower case) equals `key` ignoring ASCII case.
    @inline(__always)
    private static func equals(_ bytes: [UInt8], _ start: Int, _ length: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        guard length == key.count else { return false }
        return bytes.withUnsafeBufferPointer { stored in
            for offset in 0..<length where ASCII.lowercased(key[offset]) != stored[start + offset] {
                return false
            }
            return true
        }
    }

    /// FNV-1a over the lower-cased bytes.
    @inline(__always) private static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(ASCII.lowercased(byte))) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 32))
    }
}

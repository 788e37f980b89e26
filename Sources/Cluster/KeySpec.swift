import RESP

/// One Redis 7 key specification: where a run of key arguments begins (``BeginSearch``), how far
/// it goes (``FindKeys``), and how the command uses those keys (``Flags``).
public struct KeySpec: Sendable, Equatable {
    /// Where the search for the keys starts.
    public enum BeginSearch: Sendable, Equatable {
        /// At this argument index.
        case index(Int)
        /// Just after the first argument equal to `keyword` (stored lower case, compared ignoring
        /// ASCII case), searched from index `startFrom` towards the end, or when `startFrom` is
        /// negative from `count + startFrom` towards the start.
        case keyword([UInt8], startFrom: Int)
        /// The server cannot say (`SORT`'s `STORE`): ask it with `COMMAND GETKEYS`.
        case unknown
    }

    /// Which arguments from the beginning are keys.
    public enum FindKeys: Sendable, Equatable {
        /// Up to `lastKey` arguments after the beginning (negative: counted from the end; with a
        /// `limit`, `-1` means the first `1/limit` of the remaining arguments), every `keyStep`.
        case range(lastKey: Int, keyStep: Int, limit: Int)
        /// The argument at `keyNumberIndex` (from the beginning) holds how many keys there are; they
        /// start `firstKey` arguments after the beginning, every `keyStep`.
        case keyNumber(keyNumberIndex: Int, firstKey: Int, keyStep: Int)
        /// The server cannot say: ask it with `COMMAND GETKEYS`.
        case unknown
    }

    /// How the command uses the keys of a spec (Redis's `CMD_KEY_*`).
    public struct Flags: OptionSet, Sendable, Hashable {
        /// One bit per flag; the bits are Ferry's, not Redis's.
        public let rawValue: UInt16
        /// The flags of `rawValue`'s bits.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// Read-only.
        public static let readOnly = Self(rawValue: 1 << 0)
        /// Read and written.
        public static let readWrite = Self(rawValue: 1 << 1)
        /// Overwritten without being read.
        public static let overwrite = Self(rawValue: 1 << 2)
        /// Removed.
        public static let remove = Self(rawValue: 1 << 3)
        /// The value is returned, copied or used.
        public static let access = Self(rawValue: 1 << 4)
        /// The value is updated.
        public static let update = Self(rawValue: 1 << 5)
        /// Data is added to the value.
        public static let insert = Self(rawValue: 1 << 6)
        /// Data is removed from the value.
        public static let delete = Self(rawValue: 1 << 7)
        /// Not a key but hashed like one: the shard channels of `SPUBLISH` and `SSUBSCRIBE`.
        public static let notKey = Self(rawValue: 1 << 8)
        /// The spec may miss keys: only `COMMAND GETKEYS` knows them all.
        public static let incomplete = Self(rawValue: 1 << 9)
        /// The flags depend on the arguments (`SET … GET`); the positions do not.
        public static let variableFlags = Self(rawValue: 1 << 10)

        private static let names: [String: Flags] = [
            "ro": .readOnly, "rw": .readWrite, "ow": .overwrite, "rm": .remove, "access": .access,
            "update": .update, "insert": .insert, "delete": .delete, "not_key": .notKey,
            "incomplete": .incomplete, "variable_flags": .variableFlags,
        ]

        /// The flag `COMMAND` calls `name` (`RO`, `access`, …, ASCII case-insensitive); empty when unknown.
        public init(name: String) { self = Self.names[name.lowercased()] ?? [] }
    }

    /// Where the keys begin.
    public let beginSearch: BeginSearch
    /// Which arguments from there are keys.
    public let findKeys: FindKeys
    /// How the keys are used.
    public let flags: Flags

    /// A spec described field by field (tests, and tables built by hand).
    public init(beginSearch: BeginSearch, findKeys: FindKeys, flags: Flags = []) {
        self.beginSearch = beginSearch
        self.findKeys = findKeys
        self.flags = flags
    }

    /// Parses one key specification of a `COMMAND` reply; a type or field this version does not
    /// know makes that part `.unknown`, so the keys are asked for rather than guessed.
    init(_ value: RESPValue, command: String) throws(CommandTableError) {
        guard let fields = CommandReply.pairs(value) else { throw .malformed("'\(command)': a key spec is not a map") }
        var flags: Flags = []
        var begin = BeginSearch.unknown
        var find = FindKeys.unknown
        for (name, value) in fields {
            switch name {
            case "flags":
                for flag in CommandReply.list(value) ?? [] { flags.insert(Flags(name: flag.stringValue ?? "")) }
            case "begin_search":
                let (type, spec) = Self.typed(value)
                let number = { (name: String) in CommandReply.int(spec[name]) }
                switch type {
                case "index":
                    if let index = number("index") { begin = .index(index) }
                case "keyword":
                    if let keyword = spec["keyword"]?.stringValue, !keyword.isEmpty, let start = number("startfrom") {
                        begin = .keyword(keyword.utf8.map(ASCII.lowercased), startFrom: start)
                    }
                default:
                    break
                }
            case "find_keys":
                let (type, spec) = Self.typed(value)
                let number = { (name: String) in CommandReply.int(spec[name]) }
                switch type {
                case "range":
                    if let last = number("lastkey"), let step = number("keystep"), let limit = number("limit") {
                        find = .range(lastKey: last, keyStep: step, limit: limit)
                    }
                case "keynum":
                    if let index = number("keynumidx"), let first = number("firstkey"), let step = number("keystep") {
                        find = .keyNumber(keyNumberIndex: index, firstKey: first, keyStep: step)
                    }
                default:
                    break
                }
            default:
                break  // "notes", and fields of later versions
            }
        }
        self.init(beginSearch: begin, findKeys: find, flags: flags)
    }

    /// `type` and `spec` of a `begin_search` or `find_keys` value.
    private static func typed(_ value: RESPValue) -> (type: String, spec: [String: RESPValue]) {
        var type = ""
        var spec: [String: RESPValue] = [:]
        for (name, field) in CommandReply.pairs(value) ?? [] {
            if name == "type" { type = field.stringValue ?? "" }
            if name == "spec" { for (key, value) in CommandReply.pairs(field) ?? [] { spec[key] = value } }
        }
        return (type, spec)
    }
}

/// What a key search over one request concluded.
public enum KeySearch: Sendable, Equatable {
    /// Every key was visited (possibly none).
    case complete
    /// The specs cannot find every key (flagged `incomplete`, or of an `unknown` type, or a
    /// movable-keys command without specs): only `COMMAND GETKEYS` can.
    case incomplete
    /// The arguments do not fit a complete spec (a key count that is not a number, is 0 or
    /// points past the end…): the server will answer a syntax error, or run the command without
    /// keys (`EVAL script 0`).
    case invalid
}

extension CommandInfo {
    /// Calls `visit` with the index of every key argument of `arguments`, in the order
    /// `COMMAND GETKEYS` lists them, following Redis 7.0's `getKeysUsingKeySpecs` (`db.c`); without
    /// key specs (Redis 6), the legacy first key / last key / step range as `getKeysFromCommand`
    /// uses it. The visited indices only mean something when the answer is ``KeySearch/complete``.
    ///
    /// `arguments` must be for this command (see ``CommandTable/command(for:)``); no arity check
    /// is made, and no index past the arguments is ever read or visited.
    ///
    /// - Parameter includingNotKeys: also visit the arguments of `not_key` specs (shard channels),
    ///   which a cluster hashes like keys; `COMMAND GETKEYS` leaves them out.
    public func visitKeys(
        in arguments: CommandArguments, includingNotKeys: Bool = false, _ visit: (Int) -> Void
    ) -> KeySearch {
        let count = arguments.count
        guard hasKeySpecs else { return legacyKeys(count, visit) }
        // Redis uses the specs only when one of them is about real keys, else the command's own
        // key function, which only movable-keys commands have (getKeysFromCommandWithSpecs).
        guard includingNotKeys || hasRealKeySpecs else { return flags.contains(.movableKeys) ? .incomplete : .complete }
        return keySpecs.withUnsafeBufferPointer { specs in
            for spec in specs.indices {
                let flags = specs[spec].flags
                if flags.contains(.notKey) && !includingNotKeys { continue }
                var first = 0
                switch specs[spec].beginSearch {
                case .index(let index):
                    first = index
                case .keyword(let keyword, let startFrom):
                    let start = startFrom > 0 ? startFrom : count &+ startFrom
                    let end = startFrom > 0 ? count - 1 : 1
                    var index = start
                    // As in Redis: `end` itself is never looked at, nor argument 0.
                    while index != end && index < count && index >= 1 {
                        if Self.equalsCString(arguments[index], keyword) {
                            first = index + 1
                            break
                        }
                        index += start <= end ? 1 : -1
                    }
                    if first == 0 { continue }  // keyword absent: the spec has no keys here
                case .unknown:
                    return .incomplete
                }
                // Redis falls back to the command's own key function for an incomplete spec.
                if flags.contains(.incomplete) { return .incomplete }
                // Wrapping arithmetic: a server's absurd numbers must not trap; the bounds check
                // below rejects whatever they wrap to.
                let last: Int
                let step: Int
                switch specs[spec].findKeys {
                case .range(let lastKey, let keyStep, let limit):
                    step = keyStep
                    if lastKey >= 0 {
                        last = first &+ lastKey
                    } else if limit == 0 {
                        last = count &+ lastKey
                    } else {
                        guard first >= 0 && first < count else { return .invalid }
                        last = first &+ ((count - first) / limit &+ lastKey)
                    }
                case .keyNumber(let keyNumberIndex, let firstKey, let keyStep):
                    step = keyStep
                    let at = first &+ keyNumberIndex
                    guard at >= 0 && at < count, let number = RedisDecimal.parse(arguments[at]), number >= 0 else {
                        return .invalid
                    }
                    first = first &+ firstKey
                    // Redis keeps the count in a C `int`: truncate the same way, so the same keys are found.
                    last = first &+ Int(Int32(truncatingIfNeeded: number)) &- 1
                case .unknown:
                    return .incomplete
                }
                guard step > 0 else { return .incomplete }  // a module's nonsense; Redis would loop forever
                if last >= count || last < first || first >= count || first < 0 { return .invalid }
                Self.visit(first, last, step, visit)
            }
            return .complete
        }
    }

    /// The key indices of `arguments` into `indices` (emptied first, its capacity kept).
    public func keyIndices(
        in arguments: CommandArguments, includingNotKeys: Bool = false, into indices: inout [Int]
    ) -> KeySearch {
        indices.removeAll(keepingCapacity: true)
        return visitKeys(in: arguments, includingNotKeys: includingNotKeys) { indices.append($0) }
    }

    /// The first key / last key / step range (Redis 6, and Redis 7 commands without specs).
    private func legacyKeys(_ count: Int, _ visit: (Int) -> Void) -> KeySearch {
        // Redis 6 finds these keys with a per-command function the range does not describe.
        if flags.contains(.movableKeys) { return .incomplete }
        guard firstKey > 0 else { return .complete }
        guard keyStep > 0 else { return .incomplete }
        let last = lastKey < 0 ? count + lastKey : lastKey
        // Past the end only when the arity allows too few arguments: Redis then finds no keys.
        if last >= count { return .invalid }
        Self.visit(firstKey, last, keyStep, visit)
        return .complete
    }

    /// `first`, `first + step`, … up to `last`; `step` > 0, and a step past `Int.max` ends it.
    @inline(__always) private static func visit(_ first: Int, _ last: Int, _ step: Int, _ visit: (Int) -> Void) {
        var index = first
        while index <= last {
            visit(index)
            let (next, overflow) = index.addingReportingOverflow(step)
            if overflow { return }
            index = next
        }
    }

    /// `strcasecmp(argument, keyword) == 0` as Redis calls it: the argument ends at its first NUL.
    @inline(__always) static func equalsCString(_ argument: UnsafeRawBufferPointer, _ lowercase: [UInt8]) -> Bool {
        let length = lowercase.count
        guard argument.count >= length else { return false }
        return lowercase.withUnsafeBufferPointer { keyword in
            for index in 0..<length where ASCII.lowercased(argument[index]) != keyword[index] { return false }
            return argument.count == length || argument[length] == 0
        }
    }
}

/// Readers for the shapes of `COMMAND` replies (used by ``CommandTable`` and ``KeySpec``).
enum CommandReply {
    /// The elements of an array or a set (`COMMAND` answers sets over RESP3).
    static func list(_ value: RESPValue) -> [RESPValue]? {
        switch value {
        case .array(let elements?), .set(let elements): return elements
        default: return nil
        }
    }

    /// Name/value pairs from a flat `[name, value, …]` array (RESP2) or a map (RESP3).
    static func pairs(_ value: RESPValue) -> [(name: String, value: RESPValue)]? {
        switch value {
        case .map(let entries):
            return entries.map { ($0.key.stringValue ?? "", $0.value) }
        case .array(let elements?) where elements.count % 2 == 0:
            return stride(from: 0, to: elements.count, by: 2).map { (elements[$0].stringValue ?? "", elements[$0 + 1]) }
        default:
            return nil
        }
    }

    /// An integer reply as an `Int`.
    static func int(_ value: RESPValue?) -> Int? {
        if case .integer(let integer)? = value { return Int(exactly: integer) }
        return nil
    }
}

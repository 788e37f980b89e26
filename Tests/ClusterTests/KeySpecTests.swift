import Cluster
import RESP
import Testing

/// Keys found by the specs against `COMMAND GETKEYS` of redis-server 7.0.15 (`Fixtures/getkeys-7.0.resp`:
/// every command and subcommand with generated argument lists, plus hand-written ones).
@Suite struct KeySpecTests {
    /// How a case compares; the summary test counts them.
    enum Outcome: Equatable {
        /// The server listed keys and the specs found exactly those.
        case sameKeys
        /// The server listed keys; the specs cannot (incomplete or unknown): the router asks it.
        case asksServer
        /// Neither found a key (or the arguments do not fit the specs, and the server found none).
        case noKeys
        /// The server rejected the argument count, the command, or could not be asked.
        case notCompared
    }

    /// Compares one case and says how, recording an issue on any disagreement.
    static func compare(_ testCase: CommandFixtures.GetKeysCase, table: CommandTable = CommandFixtures.table) -> Outcome {
        CommandArguments.with(testCase.arguments) { arguments in
            let info = table.command(for: arguments)
            var found: [Int] = []
            let search = info?.keyIndices(in: arguments, into: &found)
            let foundKeys = found.map { arguments.bytes($0) }
            switch testCase.reply {
            case .error("ERR Invalid command specified"):
                #expect(info == nil)
                return .notCompared
            case .error("ERR wrong number of arguments for 'command|getkeys' command"):
                #expect(arguments.count == 1)  // `COMMAND GETKEYS name` alone is its own arity error
                return .notCompared
            case .error("ERR Invalid number of arguments specified for command"):
                #expect(info.map { !$0.accepts(argumentCount: arguments.count) } == true)
                return .notCompared
            case .error("ERR The command has no key arguments"):
                // Checked before the arity by the server, so whatever the count.
                #expect(search == .complete && found.isEmpty)
                return .noKeys
            case .error("ERR Invalid arguments specified for command"), .array([]?):
                #expect(info?.accepts(argumentCount: arguments.count) == true)
                switch search {
                case .complete: #expect(found.isEmpty)
                case .incomplete: #expect(info?.hasIncompleteSpec == true)
                case .invalid, nil: break
                }
                return .noKeys
            case .array(let keys?):
                #expect(info?.accepts(argumentCount: arguments.count) == true)
                let expected = keys.map(\.fixtureBytes)
                if search == .incomplete && info?.hasIncompleteSpec == true { return .asksServer }
                if search == .invalid && Self.fallbackFindsKeys.contains(testCase.testDescription) { return .asksServer }
                #expect(search == .complete)
                #expect(foundKeys == expected)
                return .sameKeys
            default:
                Issue.record("unexpected reply \(testCase.reply)")
                return .notCompared
            }
        }
    }

    /// Where the specs reject a key count Redis's own fallback reads with `atoi`, which stops at the
    /// first non-digit: the command itself then fails ("value is not an integer"), so no key is
    /// touched and the router's any-master route gets the same error.
    static let fallbackFindsKeys: Set<String> = [
        #""EVAL" "s" "1x" "k""#, #""EVAL" "s" "1.0" "k""#, #""EVAL" "s" "01" "k""#, #""EVAL" "s" "+1" "k""#,
        #""EVAL" "s" " 1" "k""#, #""EVAL" "s" "1 " "k""#,
    ]

    @Test(arguments: CommandFixtures.getKeysCases)
    func keysMatchCommandGetKeys(testCase: CommandFixtures.GetKeysCase) {
        _ = Self.compare(testCase)
    }

    /// Counts what was compared, so a fixture that lost its cases cannot pass silently.
    @Test func summary() {
        var outcomes: [Outcome: Int] = [:]
        var commandsWithKeys = Set<String>()
        var commandsCompared = Set<String>()
        for testCase in CommandFixtures.getKeysCases {
            let outcome = Self.compare(testCase)
            outcomes[outcome, default: 0] += 1
            let name = CommandArguments.with(testCase.arguments) { CommandFixtures.table.command(for: $0)?.name }
            if let name, outcome != .notCompared { commandsCompared.insert(name) }
            if let name, outcome == .sameKeys { commandsWithKeys.insert(name) }
        }
        print("KeySpecTests: \(CommandFixtures.getKeysCases.count) argument lists; \(outcomes); "
            + "\(commandsCompared.count) commands compared, \(commandsWithKeys.count) with keys found")
        // 366 commands and subcommands; the 15 parents of subcommands cannot be asked about alone.
        #expect(CommandFixtures.getKeysCases.count == 4085)
        #expect(outcomes == [.sameKeys: 1674, .asksServer: 56, .noKeys: 1409, .notCompared: 946])
        #expect(commandsCompared.count == 351 && commandsWithKeys.count == 188)
        // Each listed exception is still one: the server found keys where the specs found the arguments invalid.
        let exceptions = CommandFixtures.getKeysCases.filter { Self.fallbackFindsKeys.contains($0.testDescription) }
        #expect(exceptions.count == Self.fallbackFindsKeys.count)
        for testCase in exceptions {
            #expect(testCase.reply != .array([]))
            let search = CommandArguments.with(testCase.arguments) { arguments in
                CommandFixtures.table.command(for: arguments)?.visitKeys(in: arguments) { _ in }
            }
            #expect(search == .invalid)
        }
    }

    /// Redis 6 tables: the legacy range gives the same keys for every fixed-position command;
    /// movable ones must be asked for.
    @Test(arguments: CommandFixtures.getKeysCases)
    func redis6RangeMatchesCommandGetKeys(testCase: CommandFixtures.GetKeysCase) throws {
        let redis7 = CommandArguments.with(testCase.arguments) { CommandFixtures.table.command(for: $0) }
        // Redis 6 described subcommands' keys on the parent (OBJECT: 2, 2, 1); a table cut from
        // 7.0's reply cannot: skip them, and the shard channels Redis 7 flags `not_key`.
        guard let redis7, !redis7.name.contains("|"), !redis7.keySpecs.contains(where: { $0.flags.contains(.notKey) }),
            case .array(let keys?) = testCase.reply, !keys.isEmpty
        else { return }
        try CommandArguments.with(testCase.arguments) { arguments in
            let info = try #require(CommandFixtures.redis6Table.command(for: arguments))
            var found: [Int] = []
            let search = info.keyIndices(in: arguments, into: &found)
            if info.flags.contains(.movableKeys) {
                #expect(search == .incomplete)
            } else {
                #expect(search == .complete)
                #expect(found.map { arguments.bytes($0) } == keys.map(\.fixtureBytes))
            }
        }
    }

    /// `not_key` specs (shard channels) are skipped, as `COMMAND GETKEYS` does, unless asked for.
    @Test func notKeySpecs() throws {
        let spublish = try #require(CommandFixtures.table.command(named: "spublish"))
        var found: [Int] = []
        CommandArguments.with(["SPUBLISH", "ch", "msg"]) { arguments in
            #expect(spublish.keyIndices(in: arguments, into: &found) == .complete && found.isEmpty)
            #expect(spublish.keyIndices(in: arguments, includingNotKeys: true, into: &found) == .complete && found == [1])
        }
        let ssubscribe = try #require(CommandFixtures.table.command(named: "ssubscribe"))
        CommandArguments.with(["SSUBSCRIBE", "a", "b", "c"]) { arguments in
            #expect(ssubscribe.keyIndices(in: arguments, includingNotKeys: true, into: &found) == .complete && found == [1, 2, 3])
        }
    }

    /// The buffer is emptied, not reallocated.
    @Test func keyIndicesReusesTheBuffer() throws {
        let mset = try #require(CommandFixtures.table.command(named: "mset"))
        var found: [Int] = []
        found.reserveCapacity(64)
        let capacity = found.capacity
        CommandArguments.with(["MSET", "a", "1", "b", "2"]) { #expect(mset.keyIndices(in: $0, into: &found) == .complete) }
        #expect(found == [1, 3])
        CommandArguments.with(["MSET", "c", "3"]) { #expect(mset.keyIndices(in: $0, into: &found) == .complete) }
        #expect(found == [1] && found.capacity == capacity)
    }

    /// Specs no 7.0 command has, decided by Ferry rather than observed: they must neither loop
    /// nor read past the arguments.
    @Test func degenerateSpecs() {
        func search(_ spec: KeySpec, _ words: [String]) -> (KeySearch, [Int]) {
            let info = CommandInfo(name: "x", arity: -1, keySpecs: [spec])
            var found: [Int] = []
            let result = CommandArguments.with(words) { info.keyIndices(in: $0, into: &found) }
            return (result, found)
        }
        // A zero or negative step would make Redis loop forever: ask the server instead.
        #expect(search(KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -1, keyStep: 0, limit: 0)), ["x", "a"]).0 == .incomplete)
        #expect(search(KeySpec(beginSearch: .index(1), findKeys: .keyNumber(keyNumberIndex: 0, firstKey: 1, keyStep: -1)), ["x", "1", "a"]).0 == .incomplete)
        // Beginnings and counts past either end.
        #expect(search(KeySpec(beginSearch: .index(5), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0)), ["x", "a"]).0 == .invalid)
        #expect(search(KeySpec(beginSearch: .index(1), findKeys: .keyNumber(keyNumberIndex: 4, firstKey: 1, keyStep: 1)), ["x", "1"]).0 == .invalid)
        #expect(search(KeySpec(beginSearch: .index(1), findKeys: .keyNumber(keyNumberIndex: -3, firstKey: 1, keyStep: 1)), ["x", "1"]).0 == .invalid)
        #expect(search(KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -9, keyStep: 1, limit: 0)), ["x", "a"]).0 == .invalid)
        #expect(search(KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0)), ["x"]).0 == .invalid)
        #expect(search(KeySpec(beginSearch: .keyword(Array("k".utf8), startFrom: 9), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0)), ["x", "k", "a"]) == (.complete, []))
        #expect(search(KeySpec(beginSearch: .keyword(Array("k".utf8), startFrom: -9), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0)), ["x", "k", "a"]) == (.complete, []))
        #expect(search(KeySpec(beginSearch: .keyword(Array("k".utf8), startFrom: 1), findKeys: .unknown), ["x", "k", "a"]).0 == .incomplete)
        #expect(search(KeySpec(beginSearch: .keyword(Array("k".utf8), startFrom: 1), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0)), []) == (.complete, []))
        // A keyword spec whose keyword is absent is simply skipped, even when flagged incomplete.
        #expect(search(KeySpec(beginSearch: .keyword(Array("k".utf8), startFrom: 1), findKeys: .unknown, flags: .incomplete), ["x", "a"]) == (.complete, []))
    }

    /// Extreme numbers from a broken server neither trap nor visit an index out of range.
    @Test(arguments: [Int.min, Int.min + 1, -1_000_000, -3, -2, -1, 0, 1, 2, 3, 1_000_000, Int.max - 1, Int.max])
    func extremeNumbersNeverTrap(number: Int) {
        let words = ["x", "k", "2", "a", "b", "c"]
        let specs: [KeySpec] = [0, 1, 2].flatMap { other in
            [
                KeySpec(beginSearch: .index(number), findKeys: .range(lastKey: other, keyStep: 1, limit: 0)),
                KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: number, keyStep: 1, limit: 0)),
                KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -1, keyStep: number, limit: 0)),
                KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -1, keyStep: 1, limit: number)),
                KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: number, keyStep: 1, limit: number)),
                KeySpec(beginSearch: .index(number), findKeys: .range(lastKey: -1, keyStep: 1, limit: 2)),
                KeySpec(beginSearch: .keyword(Array("k".utf8), startFrom: number), findKeys: .range(lastKey: other, keyStep: 1, limit: 0)),
                KeySpec(beginSearch: .index(number), findKeys: .keyNumber(keyNumberIndex: other, firstKey: 1, keyStep: 1)),
                KeySpec(beginSearch: .index(1), findKeys: .keyNumber(keyNumberIndex: number, firstKey: 1, keyStep: 1)),
                KeySpec(beginSearch: .index(2), findKeys: .keyNumber(keyNumberIndex: 0, firstKey: number, keyStep: 1)),
                KeySpec(beginSearch: .index(2), findKeys: .keyNumber(keyNumberIndex: 0, firstKey: 1, keyStep: number)),
            ]
        }
        let infos = specs.map { CommandInfo(name: "x", arity: -1, keySpecs: [$0]) } + [
            CommandInfo(name: "x", arity: -1, firstKey: number, lastKey: -1, keyStep: 1),
            CommandInfo(name: "x", arity: -1, firstKey: 1, lastKey: number, keyStep: 1),
            CommandInfo(name: "x", arity: -1, firstKey: 1, lastKey: -1, keyStep: number),
        ]
        CommandArguments.with(words) { arguments in
            for info in infos {
                _ = info.visitKeys(in: arguments) { index in #expect(words.indices.contains(index)) }
            }
        }
    }

    /// The legacy range (Redis 6): movable keys are asked for, a range past the end finds nothing.
    @Test func legacyRange() {
        func search(_ info: CommandInfo, _ words: [String]) -> (KeySearch, [Int]) {
            var found: [Int] = []
            let result = CommandArguments.with(words) { info.keyIndices(in: $0, into: &found) }
            return (result, found)
        }
        #expect(search(CommandInfo(name: "eval", arity: -3, flags: .movableKeys), ["EVAL", "s", "1", "k"]).0 == .incomplete)
        #expect(search(CommandInfo(name: "ping", arity: -1), ["PING"]) == (.complete, []))
        #expect(search(CommandInfo(name: "object", arity: -2, firstKey: 2, lastKey: 2, keyStep: 1), ["OBJECT", "ENCODING", "k"]) == (.complete, [2]))
        #expect(search(CommandInfo(name: "object", arity: -2, firstKey: 2, lastKey: 2, keyStep: 1), ["OBJECT", "HELP"]).0 == .invalid)
        #expect(search(CommandInfo(name: "mset", arity: -3, firstKey: 1, lastKey: -1, keyStep: 2), ["MSET", "a", "1", "b", "2"]) == (.complete, [1, 3]))
        #expect(search(CommandInfo(name: "bad", arity: -1, firstKey: 1, lastKey: -1, keyStep: 0), ["BAD", "a"]).0 == .incomplete)
    }
}

extension CommandInfo {
    /// True when some spec cannot find its keys by itself (tests only).
    var hasIncompleteSpec: Bool {
        keySpecs.contains { $0.flags.contains(.incomplete) || $0.beginSearch == .unknown || $0.findKeys == .unknown }
            || (keySpecs.isEmpty && flags.contains(.movableKeys))
    }
}

import Cluster
import RESP
import Testing

/// Redis 7 tips as the real `COMMAND` reply of redis-server 7.0.15 gives them, the merge rule Ferry
/// derives from them, and which commands it may split by slot.
@Suite struct CommandTipsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let words: [String]
        let request: RequestPolicy?
        let response: ResponsePolicy?
        let rule: ReplyMergeRule?
        var testDescription: String { words.joined(separator: " ") }
    }

    /// Every command of that server with a policy tip, and a few without.
    static let cases: [Case] = [
        Case(words: ["mget"], request: .multiShard, response: nil, rule: .keyOrder),
        Case(words: ["mset"], request: .multiShard, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["msetnx"], request: .multiShard, response: .aggregateMin, rule: .minimum),
        Case(words: ["del"], request: .multiShard, response: .aggregateSum, rule: .sum),
        Case(words: ["unlink"], request: .multiShard, response: .aggregateSum, rule: .sum),
        Case(words: ["exists"], request: .multiShard, response: .aggregateSum, rule: .sum),
        Case(words: ["touch"], request: .multiShard, response: .aggregateSum, rule: .sum),
        Case(words: ["dbsize"], request: .allShards, response: .aggregateSum, rule: .sum),
        Case(words: ["keys"], request: .allShards, response: nil, rule: .concatenate),
        Case(words: ["randomkey"], request: .allShards, response: nil, rule: .concatenate),
        Case(words: ["flushall"], request: .allShards, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["flushdb"], request: .allShards, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["ping"], request: .allShards, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["wait"], request: .allShards, response: .aggregateMin, rule: .minimum),
        Case(words: ["info"], request: .allShards, response: .special, rule: nil),
        Case(words: ["scan"], request: .special, response: nil, rule: nil),
        // 7.0.15 tips SCRIPT EXISTS all_shards (Redis's docs page for the tips shows all_nodes elsewhere).
        Case(words: ["script", "exists"], request: .allShards, response: .aggregateLogicalAnd, rule: .logicalAnd),
        Case(words: ["script", "kill"], request: .allShards, response: .oneSucceeded, rule: .oneSucceeded),
        Case(words: ["script", "load"], request: .allNodes, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["script", "flush"], request: .allNodes, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["function", "kill"], request: .allShards, response: .oneSucceeded, rule: .oneSucceeded),
        Case(words: ["function", "load"], request: .allShards, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["function", "stats"], request: .allShards, response: .special, rule: nil),
        Case(words: ["memory", "stats"], request: .allShards, response: .special, rule: nil),
        Case(words: ["latency", "doctor"], request: .allNodes, response: .special, rule: nil),
        Case(words: ["latency", "reset"], request: .allNodes, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["slowlog", "len"], request: .allNodes, response: .aggregateSum, rule: .sum),
        Case(words: ["slowlog", "get"], request: .allNodes, response: nil, rule: .concatenate),
        Case(words: ["config", "set"], request: .allNodes, response: .allSucceeded, rule: .allSucceeded),
        Case(words: ["get"], request: nil, response: nil, rule: nil),
        Case(words: ["sunionstore"], request: nil, response: nil, rule: nil),
        Case(words: ["eval"], request: nil, response: nil, rule: nil),
    ]

    static func info(_ words: [String]) -> CommandInfo? {
        CommandArguments.with(words) { CommandFixtures.table.command(for: $0) }
    }

    @Test(arguments: cases)
    func tipsAndRule(testCase: Case) throws {
        let info = try #require(Self.info(testCase.words))
        #expect(info.requestPolicy == testCase.request)
        #expect(info.responsePolicy == testCase.response)
        #expect(info.mergeRule == testCase.rule)
    }

    /// Every entry of the table: the rule is `nil` exactly when a special policy or no policy at all
    /// says so, and otherwise follows the response policy.
    @Test(arguments: CommandFixtures.allCommands.map(\.words))
    func ruleFollowsTheTips(words: [String]) throws {
        let info = try #require(Self.info(words))
        let rule = info.mergeRule
        switch (info.requestPolicy, info.responsePolicy) {
        case (_, .special?), (nil, nil), (.special?, nil):
            #expect(rule == nil)
        case (_, nil):
            #expect(rule == (info.requestPolicy == .multiShard ? .keyOrder : .concatenate))
        case (_, let response?):
            let expected: [ResponsePolicy: ReplyMergeRule] = [
                .oneSucceeded: .oneSucceeded, .allSucceeded: .allSucceeded, .aggregateLogicalAnd: .logicalAnd,
                .aggregateLogicalOr: .logicalOr, .aggregateMin: .minimum, .aggregateMax: .maximum, .aggregateSum: .sum,
            ]
            #expect(rule == expected[response])
        }
        // The Redis 6 cut has no tips.
        #expect(CommandArguments.with(words) { CommandFixtures.redis6Table.command(for: $0) }?.mergeRule == nil)
    }

    /// The whole combination table of the initialiser.
    @Test(arguments: [nil, RequestPolicy.allNodes, .allShards, .multiShard, .special])
    func ruleForEveryPolicyPair(request: RequestPolicy?) {
        let responses: [ResponsePolicy?] = [
            nil, .oneSucceeded, .allSucceeded, .aggregateLogicalAnd, .aggregateLogicalOr, .aggregateMin, .aggregateMax,
            .aggregateSum, .special,
        ]
        let expected: [ReplyMergeRule?] = [nil, .oneSucceeded, .allSucceeded, .logicalAnd, .logicalOr, .minimum, .maximum, .sum, nil]
        for (response, rule) in zip(responses, expected) {
            let withoutResponse: ReplyMergeRule? =
                switch request {
                case .multiShard: .keyOrder
                case .allShards, .allNodes: .concatenate
                case .special, nil: nil
                }
            #expect(ReplyMergeRule(requestPolicy: request, responsePolicy: response) == (response == nil ? withoutResponse : rule))
        }
    }

    // MARK: - Which commands split

    static let splittable: [String: MultiKeyCommand] = [
        "mget": MultiKeyCommand(layout: .keys, rule: .keyOrder),
        "mset": MultiKeyCommand(layout: .keyValuePairs, rule: .allSucceeded),
        "del": MultiKeyCommand(layout: .keys, rule: .sum),
        "unlink": MultiKeyCommand(layout: .keys, rule: .sum),
        "exists": MultiKeyCommand(layout: .keys, rule: .sum),
        "touch": MultiKeyCommand(layout: .keys, rule: .sum),
    ]

    /// Exactly six commands split, with the same description from Redis 7's tips and Redis 6's
    /// names; `MSETNX` (all or nothing) is not one of them.
    @Test(arguments: CommandFixtures.allCommands.map(\.words))
    func exactlyTheSixCommandsSplit(words: [String]) throws {
        let name = words.joined(separator: "|")
        let info = try #require(Self.info(words))
        #expect(MultiKeyCommand(info) == Self.splittable[name])
        let redis6 = try #require(CommandArguments.with(words) { CommandFixtures.redis6Table.command(for: $0) })
        #expect(MultiKeyCommand(redis6) == Self.splittable[name])
    }

    static let mgetSpec = KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -1, keyStep: 1, limit: 0), flags: [.readOnly, .access])

    /// Entries that look like a splittable command but are not.
    @Test(arguments: [
        ("JSON.MGET key… path", CommandInfo(
            name: "json.mget", arity: -3, firstKey: 1, lastKey: -2, keyStep: 1, requestPolicy: .multiShard,
            keySpecs: [KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -2, keyStep: 1, limit: 0))])),
        ("fixed arity", CommandInfo(
            name: "mget", arity: 3, firstKey: 1, lastKey: -1, keyStep: 1, requestPolicy: .multiShard, keySpecs: [mgetSpec])),
        ("movable keys", CommandInfo(
            name: "mget", arity: -2, flags: .movableKeys, firstKey: 1, lastKey: -1, keyStep: 1, requestPolicy: .multiShard,
            keySpecs: [mgetSpec])),
        ("not multi_shard", CommandInfo(name: "mget", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1, keySpecs: [mgetSpec])),
        ("incomplete spec", CommandInfo(
            name: "mget", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1, requestPolicy: .multiShard,
            keySpecs: [KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -1, keyStep: 1, limit: 0), flags: .incomplete)])),
        ("two specs", CommandInfo(
            name: "mget", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1, requestPolicy: .multiShard, keySpecs: [mgetSpec, mgetSpec])),
        ("spec disagrees with the range", CommandInfo(
            name: "mget", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1, requestPolicy: .multiShard,
            keySpecs: [KeySpec(beginSearch: .index(2), findKeys: .range(lastKey: -1, keyStep: 1, limit: 0))])),
        ("pairs in key order", CommandInfo(
            name: "mpairs", arity: -3, firstKey: 1, lastKey: -1, keyStep: 2, requestPolicy: .multiShard,
            keySpecs: [KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -1, keyStep: 2, limit: 0))])),
        ("pairs summed", CommandInfo(
            name: "mpairs", arity: -3, firstKey: 1, lastKey: -1, keyStep: 2, requestPolicy: .multiShard, responsePolicy: .aggregateSum,
            keySpecs: [KeySpec(beginSearch: .index(1), findKeys: .range(lastKey: -1, keyStep: 2, limit: 0))])),
        ("agg_max", CommandInfo(
            name: "mget", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1, requestPolicy: .multiShard, responsePolicy: .aggregateMax,
            keySpecs: [mgetSpec])),
        ("Redis 6, unknown name", CommandInfo(name: "mfoo", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1)),
        ("Redis 6, mset with step 1", CommandInfo(name: "mset", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1)),
        ("Redis 6, msetnx", CommandInfo(name: "msetnx", arity: -3, firstKey: 1, lastKey: -1, keyStep: 2)),
    ])
    func lookalikesDoNotSplit(label: String, info: CommandInfo) {
        #expect(MultiKeyCommand(info) == nil, "\(label)")
    }

    /// A module command tipped like `DEL` splits like it.
    @Test func aModuleCommandTippedLikeDelSplits() {
        let info = CommandInfo(
            name: "mod.mdel", arity: -2, firstKey: 1, lastKey: -1, keyStep: 1, requestPolicy: .multiShard,
            responsePolicy: .aggregateSum, keySpecs: [Self.mgetSpec])
        #expect(MultiKeyCommand(info) == MultiKeyCommand(layout: .keys, rule: .sum))
    }
}

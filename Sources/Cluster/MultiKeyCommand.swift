import RESP

/// A command whose keys may be split by slot into one sub-command per slot, and how the
/// sub-commands' replies merge back: `MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS`, `TOUCH`.
///
/// Found from the table, not from a list of names, when the server has Redis 7 metadata: the
/// command is tipped `request_policy:multi_shard`, every argument after the name is a key (or a
/// key and a value, step 2) by its legacy range (1, -1, step) and by its one key spec (when it has
/// specs), and its response policy is one Ferry can merge: none (the keys' order, `MGET`),
/// `agg_sum` (`DEL`, `UNLINK`, `EXISTS`, `TOUCH`) or `all_succeeded` (`MSET`).
///
/// Refused, so they stay `CROSSSLOT` as on a real cluster:
/// - `MSETNX` (`agg_min`): it sets all its keys or none, which no split can promise (one part
///   could set its keys while another finds one existing).
/// - anything else tipped `multi_shard` whose keys are not the whole tail of the arguments
///   (a module's `JSON.MGET key… path` would need the path in every part).
///
/// Redis 6 has no tips and no key specs: the six commands above are then recognised by name, with
/// the same range check.
///
/// Splitting is never atomic across slots: a split `MSET` or `DEL` may be seen half done by
/// another client, as with any Redis Cluster client library that splits (the cluster itself
/// refuses them with `CROSSSLOT`).
public struct MultiKeyCommand: Sendable, Equatable {
    /// How the keys sit among the arguments.
    public enum Layout: Sendable, Equatable {
        /// Every argument after the name is a key (`MGET k1 k2`).
        case keys
        /// Key and value pairs after the name (`MSET k1 v1 k2 v2`).
        case keyValuePairs

        /// Arguments per key: 1 or 2.
        public var step: Int { self == .keys ? 1 : 2 }
    }

    /// How the keys sit among the arguments.
    public let layout: Layout
    /// How the parts' replies merge: ``ReplyMergeRule/keyOrder``, ``ReplyMergeRule/sum`` or
    /// ``ReplyMergeRule/allSucceeded``.
    public let rule: ReplyMergeRule

    /// A description given field by field (tests).
    public init(layout: Layout, rule: ReplyMergeRule) {
        self.layout = layout
        self.rule = rule
    }

    /// The split description of `info`, or `nil` when Ferry must not split it (see the type's notes).
    public init?(_ info: CommandInfo) {
        guard info.arity < 0, info.firstKey == 1, info.lastKey == -1, info.keyStep == 1 || info.keyStep == 2,
            !info.flags.contains(.movableKeys)
        else { return nil }
        let layout: Layout = info.keyStep == 1 ? .keys : .keyValuePairs
        let rule: ReplyMergeRule
        if info.keySpecs.isEmpty && info.requestPolicy == nil && info.responsePolicy == nil {
            // Redis 6: no tips to go by.
            guard let known = Self.redis6[info.name], known.layout == layout else { return nil }
            rule = known.rule
        } else {
            guard info.requestPolicy == .multiShard, info.keySpecs.count == 1 else { return nil }
            let spec = info.keySpecs[0]
            guard spec.beginSearch == .index(1), spec.findKeys == .range(lastKey: -1, keyStep: info.keyStep, limit: 0),
                spec.flags.isDisjoint(with: [.notKey, .incomplete])
            else { return nil }
            switch info.mergeRule {
            case .keyOrder where layout == .keys: rule = .keyOrder
            case .sum where layout == .keys: rule = .sum
            case .allSucceeded: rule = .allSucceeded
            default: return nil
            }
        }
        self.layout = layout
        self.rule = rule
    }

    /// The commands Redis 6 can split, which it does not tip.
    private static let redis6: [String: MultiKeyCommand] = [
        "mget": .init(layout: .keys, rule: .keyOrder),
        "mset": .init(layout: .keyValuePairs, rule: .allSucceeded),
        "del": .init(layout: .keys, rule: .sum),
        "unlink": .init(layout: .keys, rule: .sum),
        "exists": .init(layout: .keys, rule: .sum),
        "touch": .init(layout: .keys, rule: .sum),
    ]
}

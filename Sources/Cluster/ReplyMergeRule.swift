/// How the replies of the parts of one client command (split by slot, or sent to every master)
/// become the one reply the client gets; see ``ReplyMerger``.
///
/// Derived from Redis 7's `response_policy` tip (and, without one, from the `request_policy`), as
/// the command tips page tells cluster clients to do. Every rule but ``allSucceeded`` and
/// ``oneSucceeded`` answers the first error (in part order) when a part failed.
public enum ReplyMergeRule: Sendable, Equatable, CaseIterable {
    /// Each part answered an array with one element per key it was given: the client gets one
    /// array with the elements back in its keys' order (`MGET`; no response policy, `multi_shard`).
    case keyOrder
    /// The parts' arrays, sets or maps, concatenated in part order (`KEYS`, `SLOWLOG GET`: no
    /// response policy, `all_shards`/`all_nodes`). A null part counts as empty.
    case concatenate
    /// `agg_sum`: the sum of integer replies, or element-wise of arrays of integers (`DEL`, `DBSIZE`).
    case sum
    /// `agg_min`: the smallest integer, or element-wise (`WAIT`, `WAITAOF`).
    case minimum
    /// `agg_max`: the largest integer, or element-wise.
    case maximum
    /// `agg_logical_and`: 1 when every reply is non-zero, else 0, element-wise for arrays
    /// (`SCRIPT EXISTS`); RESP3 booleans stay booleans.
    case logicalAnd
    /// `agg_logical_or`: 1 when some reply is non-zero, else 0, element-wise for arrays.
    case logicalOr
    /// `all_succeeded`: the first error if a part failed, else the first part's reply (`MSET`,
    /// `FLUSHALL`: every part answers the same `+OK`).
    case allSucceeded
    /// `one_succeeded`: the first reply that is not an error, else the first error (`SCRIPT KILL`).
    case oneSucceeded

    /// The rule for a command with these tips; `nil` when the command needs merging of its own
    /// (`response_policy:special`: `INFO`, `SCAN`…) or has no reason to be spread at all.
    ///
    /// Without a response policy the tips page's default applies: keyed commands (`multi_shard`)
    /// keep their keys' order, keyless ones (`all_shards`, `all_nodes`) are concatenated. That
    /// default only fits aggregate replies: `RANDOMKEY` (`all_shards`, a bulk reply) gets
    /// ``concatenate`` too, which cannot merge bulk strings, so a caller should keep sending it to
    /// one master.
    public init?(requestPolicy: RequestPolicy?, responsePolicy: ResponsePolicy?) {
        switch responsePolicy {
        case .oneSucceeded: self = .oneSucceeded
        case .allSucceeded: self = .allSucceeded
        case .aggregateLogicalAnd: self = .logicalAnd
        case .aggregateLogicalOr: self = .logicalOr
        case .aggregateMin: self = .minimum
        case .aggregateMax: self = .maximum
        case .aggregateSum: self = .sum
        case .special: return nil
        case nil:
            switch requestPolicy {
            case .multiShard: self = .keyOrder
            case .allShards, .allNodes: self = .concatenate
            case .special, nil: return nil
            }
        }
    }
}

extension CommandInfo {
    /// How the replies of this command's parts merge, from its tips (see
    /// ``ReplyMergeRule/init(requestPolicy:responsePolicy:)``); `nil` for Redis 6 entries, which
    /// have no tips, and for commands whose tips ask for special handling.
    public var mergeRule: ReplyMergeRule? {
        ReplyMergeRule(requestPolicy: requestPolicy, responsePolicy: responsePolicy)
    }
}

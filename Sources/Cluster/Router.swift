import RESP

/// Where one request goes in cluster mode.
public enum Route: Equatable, Sendable {
    /// Every key hashes to this slot: send it to the slot's master.
    case slot(UInt16)
    /// No keys, an unknown command or subcommand, a wrong number of arguments, or arguments the
    /// specs reject: any master (the caller picks), which runs it or answers the error itself.
    case anyMaster
    /// Ferry answers it itself (see ``Router``).
    case local
    /// It would change the server-side state of a connection Ferry shares, or block it: refused
    /// with ``Router/unsupportedMessage(for:)``.
    case unsupported
    /// The keys hash to different slots: refused with ``Router/crossSlotMessage``.
    case crossSlot
    /// The keys hash to different slots, and the command can be split by slot (`MGET`, `MSET`,
    /// `DEL`, `UNLINK`, `EXISTS`, `TOUCH`): one part per slot, merged back (``MultiKeySplitter``).
    case split(MultiKeyCommand)
    /// A keyless command the servers tip `all_shards` or `all_nodes` with a reply Ferry can merge
    /// (`DBSIZE`, `KEYS`, `FLUSHALL`, `SCRIPT LOAD|EXISTS|FLUSH`, `FUNCTION LOAD`…): sent to every
    /// master, the replies merged by the rule (``ReplyMerger``).
    case allMasters(ReplyMergeRule)
    /// A blocking command (`BLPOP`, `BRPOP`, `BLMOVE`, `BZPOPMIN`, `XREAD … BLOCK`…) whose keys
    /// hash to this slot: sent on a connection of its own to the slot's master, for as long as it
    /// blocks, so that it never holds up the commands of other clients on a shared link.
    case blocking(UInt16)
    /// `SUBSCRIBE`, `PSUBSCRIBE` (`nil`: any master, since a cluster's `PUBLISH` reaches every
    /// node), `SSUBSCRIBE` (its shard channels' slot) and the `UN…` forms: the client moves to a
    /// connection of its own, where everything it sends goes from then on.
    case subscribe(UInt16?)
    /// `SCAN cursor …`: one master at a time, the cursor saying which (``ClusterScanCursor``), so
    /// one iteration visits every master.
    case scan
    /// The specs cannot find the keys (`SORT`, `MIGRATE … KEYS`): ask a master `COMMAND GETKEYS`
    /// with the same arguments, then finish with ``Router/route(keysFromGetKeys:)``.
    case needsKeys
}

/// The one place that decides where a command goes in cluster mode.
///
/// In order:
/// 1. A command the table knows, given a wrong number of arguments, goes to ``Route/anyMaster``:
///    the server answers the arity error and runs nothing, whatever the command.
/// 2. **Local** (Ferry answers, whatever the table says): `PING`, `ECHO`, `QUIT`, `RESET`, `HELLO`,
///    `AUTH`, `SELECT`, `READONLY`, `READWRITE`, `CLIENT SETNAME|GETNAME|ID|INFO|SETINFO`,
///    `CLUSTER KEYSLOT|SLOTS|SHARDS|NODES|INFO|MYID`. `READONLY` only lets a connection read
///    from replicas and `READWRITE` undoes that; Ferry always reads from masters, so both are
///    answered `OK` (clients configured for replica reads send `READONLY` when they connect).
///    An empty request (`*0`) is local too: Redis ignores it without a reply, so Ferry must.
/// 3. **Blocking**: every `blocking` command (`BLPOP`…; `XREAD` and `XREADGROUP` only when given
///    `BLOCK`, since the flag is on the command whatever its arguments) goes to ``Route/blocking(_:)``
///    by its keys (CROSSSLOT for several slots; unsupported without keys: `WAIT`, `WAITAOF`).
///    **Subscriptions** (`SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` and their `UN…`) go to
///    ``Route/subscribe(_:)``. **Unsupported**: transactions (`WATCH`, `UNWATCH`, `MULTI`, `EXEC`,
///    `DISCARD`: the engine runs them on a pinned link before asking the router), `MONITOR`, `WAIT`, `WAITAOF`, replication (`SYNC`, `PSYNC`,
///    `REPLCONF`, `REPLICAOF`, `SLAVEOF`, `FAILOVER`), `SHUTDOWN` (it would stop one arbitrary
///    master), `ASKING` (Ferry follows redirections itself), every `CLIENT` subcommand but the
///    local ones and `LIST`/`HELP`, and every `CLUSTER` subcommand that reveals or alters the real
///    topology (all but the local ones, `HELP` and the two below).
/// 4. `CLUSTER COUNTKEYSINSLOT|GETKEYSINSLOT slot …` go to that slot's master.
/// 5. Otherwise the keys decide (shard channels count as keys, as Redis Cluster hashes them):
///    none → ``Route/scan`` for `SCAN`, ``Route/allMasters(_:)`` when the tips say so and the reply merges (not `RANDOMKEY`,
///    whose one key is not a list), else ``Route/anyMaster``; one slot → ``Route/slot(_:)``; more →
///    ``Route/split(_:)`` for the commands ``MultiKeyCommand`` can split, else ``Route/crossSlot``;
///    ``Route/needsKeys`` when the specs cannot tell, ``Route/anyMaster`` when the arguments do
///    not fit them. Commands the table does not know go to ``Route/anyMaster``.
///
/// `route` never allocates: names are matched by small hash tables built in `init`.
public final class Router: Sendable {
    /// The command table of the cluster's servers.
    public let table: CommandTable
    private let names: NameIndex
    private let policies: [Policy]
    private let clientSubcommands: NameIndex
    private let clientPolicies: [Policy]
    private let clusterSubcommands: NameIndex
    private let clusterPolicies: [Policy]

    /// What the name alone decides.
    private enum Policy: Sendable {
        case local, unsupported, anyMaster
        /// Decided by the subcommand (argument 1).
        case client, cluster
        /// The slot is argument 2.
        case slotArgument
        /// Blocking only with a `BLOCK` option.
        case streamRead
        /// Pub/Sub: any master (cluster `PUBLISH` reaches every node), or the shard channels' one.
        case subscription, shardSubscription
    }

    /// A router over `table`; builds its small name tables once.
    public init(table: CommandTable) {
        self.table = table
        let top: [(String, Policy)] =
            ["ping", "echo", "quit", "reset", "hello", "auth", "select", "readonly", "readwrite"].map { ($0, .local) }
            + [
                "watch", "unwatch", "multi", "exec", "discard", "monitor", "wait", "waitaof", "sync", "psync",
                "replconf", "replicaof", "slaveof", "failover", "shutdown", "asking",
            ].map { ($0, .unsupported) }
            + ["subscribe", "psubscribe", "unsubscribe", "punsubscribe"].map { ($0, .subscription) }
            + ["ssubscribe", "sunsubscribe"].map { ($0, .shardSubscription) }
            + [("client", .client), ("cluster", .cluster), ("xread", .streamRead), ("xreadgroup", .streamRead)]
        (names, policies) = Self.index(top)
        (clientSubcommands, clientPolicies) = Self.index(
            ["setname", "getname", "id", "info", "setinfo"].map { ($0, .local) }
                + [("list", .anyMaster), ("help", .anyMaster)])
        (clusterSubcommands, clusterPolicies) = Self.index(
            ["keyslot", "slots", "shards", "nodes", "info", "myid"].map { ($0, .local) }
                + [("help", .anyMaster), ("countkeysinslot", .slotArgument), ("getkeysinslot", .slotArgument)])
    }

    private static func index(_ entries: [(String, Policy)]) -> (NameIndex, [Policy]) {
        (NameIndex(entries.map { Array($0.0.utf8) }), entries.map(\.1))
    }

    /// Where `arguments` (the command name first) goes.
    public func route(_ arguments: CommandArguments) -> Route {
        guard arguments.count > 0 else { return .local }
        let info = table.command(for: arguments)
        if let info, !info.accepts(argumentCount: arguments.count) { return .anyMaster }
        if let number = names.find(arguments[0]) {
            switch policies[number] {
            case .local: return .local
            case .unsupported: return .unsupported
            case .client: return subcommandRoute(arguments, clientSubcommands, clientPolicies, otherwise: .unsupported)
            case .cluster: return subcommandRoute(arguments, clusterSubcommands, clusterPolicies, otherwise: .unsupported)
            case .streamRead: if Self.hasBlockOption(arguments), let info { return Self.blocking(keysRoute(info, arguments)) }
            case .subscription: return .subscribe(nil)
            case .shardSubscription:
                guard let info else { return .subscribe(nil) }
                switch keysRoute(info, arguments) {
                case .slot(let slot): return .subscribe(slot)
                case .crossSlot, .split: return .crossSlot
                default: return .subscribe(nil)  // SUNSUBSCRIBE of every channel
                }
            case .anyMaster, .slotArgument: break
            }
        }
        guard let info else { return .anyMaster }
        if info.flags.contains(.blocking) && !Self.isStreamRead(arguments) { return Self.blocking(keysRoute(info, arguments)) }
        return keysRoute(info, arguments)
    }

    /// Finishes a ``Route/needsKeys`` route with the reply of `COMMAND GETKEYS`: an array of keys
    /// picks their slot (or ``Route/crossSlot``); an error (no keys, bad arguments) or an empty
    /// array means ``Route/anyMaster``, where the command runs without keys or fails the same way.
    public func route(keysFromGetKeys reply: RESPValue) -> Route {
        guard case .array(let keys?) = reply else { return .anyMaster }
        var slot: UInt16?
        for key in keys {
            guard case .bulkString(let bytes?) = key else { return .anyMaster }
            let keySlot = HashSlot.of(bytes)
            if let slot, slot != keySlot { return .crossSlot }
            slot = keySlot
        }
        return slot.map { .slot($0) } ?? .anyMaster
    }

    /// Redis's own text for keys in several slots.
    public static let crossSlotMessage = "CROSSSLOT Keys in request don't hash to the same slot"

    /// `ERR ferry: 'name' is not supported in cluster mode yet`, naming the command as Redis's
    /// own errors do (`wrong number of arguments for 'client|kill'`): lower case, with the
    /// subcommand after a `|` for `CLIENT` and `CLUSTER`. Bytes that could break the reply line
    /// are escaped as `\xNN` and each name is cut at 128 bytes. Rare path: it allocates.
    public static func unsupportedMessage(for arguments: CommandArguments) -> String {
        guard arguments.count > 0 else { return "ERR ferry: this command is not supported in cluster mode yet" }
        var name = printable(arguments[0])
        if arguments.count > 1 && (arguments.matches(0, "client") || arguments.matches(0, "cluster")) {
            name += "|" + printable(arguments[1])
        }
        return "ERR ferry: '\(name)' is not supported in cluster mode yet"
    }

    /// Redis's own text for a wrong number of arguments (`MSET a 1 b`, which one server refuses
    /// before looking at its keys, where a cluster node would answer CROSSSLOT).
    public static func arityMessage(for arguments: CommandArguments) -> String {
        "ERR wrong number of arguments for '\(arguments.count > 0 ? printable(arguments[0]) : "")' command"
    }

    // MARK: - Steps

    private func subcommandRoute(
        _ arguments: CommandArguments, _ names: NameIndex, _ policies: [Policy], otherwise: Route
    ) -> Route {
        // Without a subcommand the server answers the arity error.
        guard arguments.count > 1 else { return .anyMaster }
        guard let number = names.find(arguments[1]) else { return otherwise }
        switch policies[number] {
        case .local: return .local
        case .anyMaster: return .anyMaster
        case .slotArgument:
            guard arguments.count > 2, let slot = RedisDecimal.parse(arguments[2]), slot >= 0, slot < HashSlot.count
            else { return .anyMaster }
            return .slot(UInt16(slot))
        case .unsupported, .client, .cluster, .streamRead, .subscription, .shardSubscription: return .unsupported
        }
    }

    private func keysRoute(_ info: CommandInfo, _ arguments: CommandArguments) -> Route {
        var slot = -1
        var crossSlot = false
        let search = info.visitKeys(in: arguments, includingNotKeys: true) { index in
            let keySlot = Int(HashSlot.of(arguments[index]))
            if slot >= 0 && slot != keySlot { crossSlot = true }
            slot = keySlot
        }
        switch search {
        case .complete:
            if slot >= 0 { return crossSlot ? MultiKeyCommand(info).map { .split($0) } ?? .crossSlot : .slot(UInt16(slot)) }
            return keylessRoute(info)
        case .incomplete: return .needsKeys
        case .invalid: return .anyMaster
        }
    }

    /// Every master for the commands tipped so, with a reply that merges; one master otherwise.
    private func keylessRoute(_ info: CommandInfo) -> Route {
        if info.requestPolicy == .special && info.name == "scan" { return .scan }
        guard info.requestPolicy == .allShards || info.requestPolicy == .allNodes, let rule = info.mergeRule,
              !(rule == .concatenate && info.name == "randomkey") else { return .anyMaster }
        return .allMasters(rule)
    }

    /// A blocking command's route: its slot's master on a connection of its own; Redis's CROSSSLOT
    /// for keys of several slots; without keys (`WAIT`, `WAITAOF`), or keys the specs cannot find,
    /// not supported (there is no one master to block on).
    private static func blocking(_ route: Route) -> Route {
        switch route {
        case .slot(let slot): .blocking(slot)
        case .crossSlot, .split: .crossSlot
        default: .unsupported
        }
    }

    @inline(__always) private static func isStreamRead(_ arguments: CommandArguments) -> Bool {
        arguments.matches(0, "xread") || arguments.matches(0, "xreadgroup")
    }

    /// True when `XREAD`/`XREADGROUP` will block: its options, read as `xreadCommand` reads them
    /// up to `STREAMS`, include `BLOCK` (with a value). A syntax error stops the reading: the
    /// server then answers the error without blocking.
    private static func hasBlockOption(_ arguments: CommandArguments) -> Bool {
        let count = arguments.count
        var index = 1
        while index < count {
            let more = count - index - 1
            let option = arguments[index]
            if more > 0 && CommandInfo.equalsCString(option, Self.block) {
                return true
            } else if more > 0 && CommandInfo.equalsCString(option, Self.countOption) {
                index += 2
            } else if more > 0 && CommandInfo.equalsCString(option, Self.streams) {
                return false
            } else if more >= 2 && CommandInfo.equalsCString(option, Self.group) {
                index += 3
            } else if CommandInfo.equalsCString(option, Self.noAck) {
                index += 1
            } else {
                return false
            }
        }
        return false
    }

    private static let block = Array("block".utf8)
    private static let countOption = Array("count".utf8)
    private static let streams = Array("streams".utf8)
    private static let group = Array("group".utf8)
    private static let noAck = Array("noack".utf8)

    /// Lower case, at most 128 bytes, `\xNN` for anything outside printable ASCII and for `'`, `\`.
    private static func printable(_ bytes: UnsafeRawBufferPointer) -> String {
        var text = ""
        for byte in bytes.prefix(128) {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "'") && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(UnicodeScalar(ASCII.lowercased(byte)))
            } else {
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text
    }
}

import Yams

/// `cluster:` — Redis Cluster mode's settings, only allowed with `proxy.mode: cluster`.
extension ConfigDecoder {
    static let clusterKeys = ["refresh", "connections_per_server", "hold"]

    /// Reads `cluster:`; `mode` is `proxy.mode`, or `nil` when that could not be read (then the
    /// section is read as if it were allowed). A `cluster:` with nothing under it is "not set" and
    /// allowed in either mode, like any other empty section.
    func decodeCluster(_ value: ConfigValue, mode: ProxyMode?, into cluster: inout ClusterConfig) {
        if value.node.isNull { return }
        if mode == .tcp {
            // At the section's key: the whole section is what is misplaced.
            report(value.key, at: value.keyMark, Self.clusterModeOnly)
            return
        }
        guard let fields = mapping(value, keys: Self.clusterKeys) else { return }
        if let refresh = fields["refresh"], let duration = duration(refresh) {
            // 0 would re-read the slot map in a loop; past an hour, a resharding goes unseen for too long.
            if duration == .zero || duration > .seconds(3600) {
                report(refresh, "must be greater than 0 and at most 1h")
            } else {
                cluster.refresh = duration
            }
        }
        if let connections = fields["connections_per_server"], let number = integer(connections, 1...64) {
            cluster.connectionsPerServer = number
        }
        if let hold = fields["hold"], let duration = duration(hold) {
            // Longer than a minute, a client would rather hear that the cluster is down.
            if duration > .seconds(60) {
                report(hold, "must be at most 1m (0 = answer CLUSTERDOWN at once)")
            } else {
                cluster.hold = duration
            }
        }
    }
}

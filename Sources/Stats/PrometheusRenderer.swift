import Proxy

/// `/metrics`: Prometheus text exposition 0.0.4. Every name starts with `ferry_`; counters end in
/// `_total`; servers are labelled `server="<address>"`, VRRP instances `instance="<name>"`.
/// State sets (`ferry_backend_state`, ...) carry every possible value, 1 for the current one.
///
/// cluster mode adds (only then, like the VRRP families only with VRRP):
/// - `ferry_frontend_commands_total` (counter), `ferry_frontend_command_rate` (gauge, per second);
/// - `ferry_frontend_command_latency_seconds` (histogram): cumulative `_bucket{le}` at 2^i µs,
///   i = 0…26 (1e-06 … 67.108864 s), then `+Inf`. A bucket counts latencies below its bound (measured
///   in whole µs), so `le` is exact to 1 µs; `_sum` (seconds) and `_count` follow;
/// - per master, labelled `master="<host:port>"`: `ferry_cluster_master_commands_total`,
///   `_moved_total`, `_asked_total`, `_tryagain_total`, `_errors_total`, `_held_total`, `_connects_total`
///   (counters), `ferry_cluster_master_in_flight` and `ferry_cluster_master_slots` (gauges);
/// - `ferry_cluster_slots_covered` (gauge; 0 before the first map) and
///   `ferry_cluster_slot_map_age_seconds` (gauge; absent before the first map).
public enum PrometheusRenderer {
    /// `text/plain; version=0.0.4`, what Prometheus expects for this format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ snapshot: StatsSnapshot) -> String {
        typealias Sample = PrometheusExposition.Sample
        var out = PrometheusExposition()
        let proxy = snapshot.proxy, frontend = proxy.frontend
        let servers = proxy.backends.map { [("server", $0.status.address)] }

        func perServer(_ name: String, _ kind: PrometheusExposition.Kind, _ help: String,
                       _ value: (ProxySnapshot.Backend) -> PrometheusExposition.Value?) {
            out.family(name, kind, help: help, proxy.backends.indices.compactMap { index in
                value(proxy.backends[index]).map { Sample(servers[index], $0) }
            })
        }

        out.family("ferry_info", .gauge, help: "Ferry's version; always 1.",
                   [Sample([("version", snapshot.version)], .int(1))])
        out.family("ferry_uptime_seconds", .gauge, help: "Seconds since the daemon started.",
                   [Sample(.double(StatsFormat.seconds(snapshot.uptime)))])

        out.family("ferry_frontend_sessions", .gauge, help: "Client sessions open now.",
                   [Sample(.int(Int64(proxy.sessionsCurrent)))])
        out.family("ferry_frontend_sessions_max", .gauge, help: "Most client sessions open at once since start.",
                   [Sample(.int(Int64(proxy.sessionsMax)))])
        out.family("ferry_frontend_sessions_limit", .gauge, help: "proxy.maxconn.",
                   [Sample(.int(Int64(proxy.sessionsLimit)))])
        out.family("ferry_frontend_sessions_total", .counter, help: "Client sessions accepted.",
                   [Sample(.uint(frontend.sessionsTotal))])
        out.family("ferry_frontend_session_rate", .gauge, help: "New client sessions per second over the last second.",
                   [Sample(.double(snapshot.history.currentSessionRate))])
        out.family("ferry_frontend_bytes_in_total", .counter, help: "Bytes received from clients.",
                   [Sample(.uint(frontend.bytesIn))])
        out.family("ferry_frontend_bytes_out_total", .counter, help: "Bytes sent to clients.",
                   [Sample(.uint(frontend.bytesOut))])
        out.family("ferry_frontend_no_backend_total", .counter,
                   help: "Clients refused because no server was routable (-ERR ferry: no backend available).",
                   [Sample(.uint(frontend.noBackend))])
        out.family("ferry_frontend_accept_errors_total", .counter, help: "accept() failures such as EMFILE.",
                   [Sample(.uint(frontend.acceptErrors))])
        out.family("ferry_frontend_out_of_resources_total", .counter,
                   help: "Clients refused because a connect failed for lack of local descriptors or memory (-ERR ferry: out of file descriptors).",
                   [Sample(.uint(frontend.outOfResources))])
        out.family("ferry_relay_pending_blocks", .gauge, help: "64 KiB relay blocks held for slow receivers.",
                   [Sample(.int(Int64(proxy.pendingBlocks)))])
        out.family("ferry_backends_routable", .gauge, help: "Servers in rotation for new sessions.",
                   [Sample(.int(Int64(snapshot.routableCount)))])

        perServer("ferry_backend_up", .gauge, "1 if the health checks consider the server UP.") {
            .int($0.status.status == .up ? 1 : 0)
        }
        perServer("ferry_backend_routable", .gauge, "1 if the server takes new sessions now.") {
            .int($0.status.routable ? 1 : 0)
        }
        out.family("ferry_backend_state", .gauge, help: "The stats page's status of the server (state set).",
                   proxy.backends.indices.flatMap { index in
                       let key = ServerState(proxy.backends[index].status).key
                       return ServerState.allKeys.map { Sample(servers[index] + [("state", $0)], .int($0 == key ? 1 : 0)) }
                   })
        out.family("ferry_backend_admin_state", .gauge, help: "The operator's READY / DRAIN / MAINT (state set).",
                   proxy.backends.indices.flatMap { index in
                       AdminState.allCases.map {
                           Sample(servers[index] + [("state", $0.rawValue)],
                                  .int($0 == proxy.backends[index].status.adminState ? 1 : 0))
                       }
                   })
        out.family("ferry_backend_role", .gauge, help: "The role from the last ROLE reply (state set; unknown before one).",
                   proxy.backends.indices.flatMap { index in
                       let role = proxy.backends[index].status.role?.rawValue ?? "unknown"
                       return (RedisRole.allCases.map(\.rawValue) + ["unknown"]).map {
                           Sample(servers[index] + [("role", $0)], .int($0 == role ? 1 : 0))
                       }
                   })
        perServer("ferry_backend_sessions", .gauge, "Sessions open to the server now.") {
            .int(Int64($0.counters.sessionsCurrent))
        }
        perServer("ferry_backend_sessions_max", .gauge, "Most sessions open to the server at once (summed over loops).") {
            .int(Int64($0.counters.sessionsMax))
        }
        perServer("ferry_backend_sessions_total", .counter, "Sessions sent to the server.") { .uint($0.counters.sessionsTotal) }
        perServer("ferry_backend_bytes_in_total", .counter, "Bytes relayed from clients to the server.") {
            .uint($0.counters.bytesIn)
        }
        perServer("ferry_backend_bytes_out_total", .counter, "Bytes relayed from the server to clients.") {
            .uint($0.counters.bytesOut)
        }
        perServer("ferry_backend_connection_errors_total", .counter, "Failed connects to the server.") {
            .uint($0.counters.connectErrors)
        }
        perServer("ferry_backend_retries_total", .counter, "Connects retried on another server after this one failed.") {
            .uint($0.counters.retries)
        }
        perServer("ferry_backend_sessions_shut_down_total", .counter,
                  "Sessions closed because the server left rotation (on_down: shutdown-sessions) or went to MAINT.") {
            .uint($0.counters.sessionsShutDown)
        }
        perServer("ferry_backend_client_aborts_total", .counter, "Sessions ended by an error on the client socket.") {
            .uint($0.counters.clientAborts)
        }
        perServer("ferry_backend_server_aborts_total", .counter, "Sessions ended by an error on the server socket.") {
            .uint($0.counters.serverAborts)
        }
        perServer("ferry_backend_check_failures_total", .counter, "Failed health checks.") { .uint($0.status.checksFailed) }
        perServer("ferry_backend_downs_total", .counter, "UP to DOWN transitions.") {
            .uint(UInt64(max(0, $0.status.downTransitions)))
        }
        perServer("ferry_backend_downtime_seconds_total", .counter, "Time spent DOWN since start.") {
            .double(StatsFormat.seconds(snapshot.downtime($0)))
        }
        perServer("ferry_backend_last_change_seconds", .gauge, "Seconds since the status or routability last changed.") {
            .double(StatsFormat.seconds(snapshot.sinceLastChange($0)))
        }
        perServer("ferry_backend_check_duration_seconds", .gauge, "Duration of the last health check.") {
            $0.status.lastCheck.map { .double(StatsFormat.seconds($0.duration)) }
        }
        perServer("ferry_backend_check_passed", .gauge, "1 if the last health check passed.") {
            $0.status.lastCheck.map { .int($0.code.passed ? 1 : 0) }
        }

        if let cluster = snapshot.cluster {
            renderCluster(cluster, snapshot, into: &out)
        }

        if !snapshot.vrrp.isEmpty {
            renderVRRP(snapshot, into: &out)
        }

        let http = snapshot.http
        out.family("ferry_stats_requests_total", .counter, help: "Requests answered by the stats server.",
                   [Sample(.uint(http.requests))])
        out.family("ferry_stats_malformed_requests_total", .counter,
                   help: "Requests the stats server rejected as malformed HTTP (answered 400).",
                   [Sample(.uint(http.malformed))])
        out.family("ferry_stats_rejected_paths_total", .counter,
                   help: "Stats requests refused for their target: traversal, encoded separators, over-long URI (400/414).",
                   [Sample(.uint(http.rejectedPaths))])
        out.family("ferry_stats_head_timeouts_total", .counter,
                   help: "Stats connections closed because a request head did not arrive in time (slow clients).",
                   [Sample(.uint(http.headTimeouts))])
        out.family("ferry_stats_unauthorized_total", .counter, help: "Stats requests answered 401.",
                   [Sample(.uint(http.unauthorized))])
        out.family("ferry_stats_forbidden_total", .counter, help: "Stats requests answered 403.",
                   [Sample(.uint(http.forbidden))])
        out.family("ferry_stats_admin_actions_total", .counter, help: "Admin actions carried out from the stats page.",
                   [Sample(.uint(http.adminActions))])
        return out.text
    }

    private static func renderCluster(_ cluster: ClusterStats, _ snapshot: StatsSnapshot,
                                      into out: inout PrometheusExposition) {
        typealias Sample = PrometheusExposition.Sample
        let frontend = snapshot.proxy.frontend
        out.family("ferry_frontend_commands_total", .counter,
                   help: "Client commands received in cluster mode (Ferry's own answers included).",
                   [Sample(.uint(frontend.commands))])
        out.family("ferry_frontend_command_rate", .gauge, help: "Client commands per second over the last second.",
                   [Sample(.double(snapshot.history.currentCommandRate))])
        let buckets = frontend.latency.buckets
        out.histogram("ferry_frontend_command_latency_seconds",
                      help: "Command latency, from a request's arrival to its reply being queued for the client.",
                      bounds: buckets.indices.map(LatencyHistogram.upperBoundSeconds), counts: buckets,
                      sum: Double(frontend.latency.sumNanoseconds) / 1e9)

        func perMaster(_ name: String, _ kind: PrometheusExposition.Kind, _ help: String,
                       _ value: (ClusterStats.Master) -> PrometheusExposition.Value) {
            out.family(name, kind, help: help, cluster.masters.map { Sample([("master", $0.name)], value($0)) })
        }
        perMaster("ferry_cluster_master_commands_total", .counter,
                  "Client commands sent to the master (a redirected command counts again at its new master).") {
            .uint($0.counters.commands)
        }
        perMaster("ferry_cluster_master_moved_total", .counter, "MOVED replies from the master that Ferry followed.") {
            .uint($0.counters.moved)
        }
        perMaster("ferry_cluster_master_asked_total", .counter, "ASK replies from the master that Ferry followed.") {
            .uint($0.counters.asked)
        }
        perMaster("ferry_cluster_master_tryagain_total", .counter, "TRYAGAIN replies from the master that Ferry retried.") {
            .uint($0.counters.tryAgain)
        }
        perMaster("ferry_cluster_master_errors_total", .counter,
                  "Commands for the master answered with an error of Ferry's (connect failed, connection lost).") {
            .uint($0.counters.errors)
        }
        perMaster("ferry_cluster_master_held_total", .counter,
                  "Commands that waited for the master while it was down or failing over (cluster.hold).") {
            .uint($0.counters.held)
        }
        perMaster("ferry_cluster_master_connects_total", .counter, "Connections opened to the master.") {
            .uint($0.counters.connects)
        }
        perMaster("ferry_cluster_master_in_flight", .gauge, "Commands sent to the master and not yet answered.") {
            .int(Int64($0.counters.inFlight))
        }
        perMaster("ferry_cluster_master_slots", .gauge, "Slots the slot map gives the master.") { .int(Int64($0.slots)) }
        out.family("ferry_cluster_slots_covered", .gauge, help: "Slots with a master in the slot map (16384 = all).",
                   [Sample(.int(Int64(cluster.coveredSlots)))])
        if let map = cluster.slotMap {
            out.family("ferry_cluster_slot_map_age_seconds", .gauge, help: "Seconds since the slot map was read from the cluster.",
                       [Sample(.double(StatsFormat.seconds(snapshot.slotMapAge(map))))])
        }
    }

    private static func renderVRRP(_ snapshot: StatsSnapshot, into out: inout PrometheusExposition) {
        typealias Sample = PrometheusExposition.Sample
        let instances = snapshot.vrrp
        func perInstance(_ name: String, _ kind: PrometheusExposition.Kind, _ help: String,
                         _ value: (VRRPInstanceStatus) -> PrometheusExposition.Value?) {
            out.family(name, kind, help: help, instances.compactMap { instance in
                value(instance).map { Sample([("instance", instance.name)], $0) }
            })
        }
        out.family("ferry_vrrp_state", .gauge, help: "VRRP state of the instance (state set).",
                   instances.flatMap { instance in
                       VRRPInstanceStatus.State.allCases.map {
                           Sample([("instance", instance.name), ("state", $0.rawValue)], .int($0 == instance.state ? 1 : 0))
                       }
                   })
        perInstance("ferry_vrrp_priority", .gauge, "Configured priority.") { .int(Int64($0.configuredPriority)) }
        perInstance("ferry_vrrp_effective_priority", .gauge, "Priority advertised now (tracking and step-down applied).") {
            .int(Int64($0.effectivePriority))
        }
        perInstance("ferry_vrrp_stepped_down", .gauge, "1 while an operator's step-down is in effect.") {
            .int($0.steppedDown ? 1 : 0)
        }
        perInstance("ferry_vrrp_adverts_sent_total", .counter, "Advertisements sent.") { .uint($0.advertsSent) }
        perInstance("ferry_vrrp_adverts_received_total", .counter, "Advertisements received.") { .uint($0.advertsReceived) }
        out.family("ferry_vrrp_dropped_total", .counter, help: "Received packets dropped, by reason.",
                   instances.flatMap { instance in
                       instance.drops.sorted { $0.key < $1.key }.map {
                           Sample([("instance", instance.name), ("reason", $0.key)], .uint($0.value))
                       }
                   })
        perInstance("ferry_vrrp_mismatches_total", .counter,
                    "Adverts whose address count or interval differs from ours (split-brain risk).") { .uint($0.mismatches) }
        perInstance("ferry_vrrp_last_transition_seconds", .gauge, "Seconds since the last state change.") {
            snapshot.sinceTransition($0).map { .double(StatsFormat.seconds($0)) }
        }
    }
}

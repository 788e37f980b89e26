import Proxy

/// `/stats;csv`: HAProxy's `show stat` layout, so tools that read HAProxy's CSV (by column name or
/// by position) read Ferry's. The first 83 columns are HAProxy's, in its order, filled where the
/// meaning is the same and left empty where Ferry has no such thing (queues, HTTP codes); Ferry's
/// own facts follow in `ferry_*` columns. Rows: `ferry,FRONTEND`, one `redis,<address>` per server,
/// `redis,BACKEND`. VRRP is not in the CSV (HAProxy has no such rows): see `;json` and `/metrics`.
///
/// cluster mode appends, as HAProxy appends a proxy's rows: one `cluster,<host:port>` row per master
/// (`type` 2, `iid` 3, `sid` = position + 1, `addr`) and a `cluster,BACKEND` row adding them up
/// (`type` 1). Commands go in HAProxy's request columns: `req_tot` (frontend: received; master: sent
/// to it), and on the frontend `req_rate` / `req_rate_max` (commands per second over the last second,
/// highest since start); they stay empty in tcp mode, which does not parse commands. Ferry's columns:
/// `ferry_latency_p50_us` / `_p99_us` (frontend; the upper bound of the power-of-two bucket, empty
/// before any command), `ferry_moved`, `ferry_asked`, `ferry_tryagain`, `ferry_errors`,
/// `ferry_in_flight`, `ferry_connects`, `ferry_slots` (master: slots it serves; `cluster,BACKEND`:
/// slots covered), `ferry_slot_ranges` (master: `0-5460 10923`), `ferry_slot_map_age` (seconds
/// since the slot map was read; empty before the first map), `ferry_held` (commands that waited for a
/// new master, `cluster.hold`).
public enum CSVRenderer {
    /// HAProxy 2.6's first columns, positions 0...82.
    public static let haproxyColumns = [
        "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "dreq", "dresp", "ereq",
        "econ", "eresp", "wretr", "wredis", "status", "weight", "act", "bck", "chkfail", "chkdown", "lastchg",
        "downtime", "qlimit", "pid", "iid", "sid", "throttle", "lbtot", "tracked", "type", "rate", "rate_lim",
        "rate_max", "check_status", "check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
        "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt", "srv_abrt",
        "comp_in", "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime", "rtime",
        "ttime", "agent_status", "agent_code", "agent_duration", "check_desc", "agent_desc", "check_rise",
        "check_fall", "check_health", "agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo",
        "conn_rate", "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses",
    ]

    /// Ferry's columns after HAProxy's. New ones are appended, as HAProxy does, so a reader by
    /// position keeps finding the older ones where they were.
    public static let ferryColumns = [
        "ferry_role", "ferry_admin_state", "ferry_routable", "ferry_state", "ferry_sessions_shut_down",
        "ferry_no_backend", "ferry_accept_errors", "ferry_check_duration_us", "ferry_out_of_resources",
        // cluster mode
        "ferry_latency_p50_us", "ferry_latency_p99_us", "ferry_moved", "ferry_asked", "ferry_tryagain", "ferry_errors",
        "ferry_in_flight", "ferry_connects", "ferry_slots", "ferry_slot_ranges", "ferry_slot_map_age", "ferry_held",
    ]

    public static var columns: [String] { haproxyColumns + ferryColumns }

    /// The proxy names in the `pxname` column (`cluster`: cluster mode's masters).
    public static let frontendName = "ferry", backendName = "redis", clusterName = "cluster"

    public static func render(_ snapshot: StatsSnapshot) -> String {
        var out = "# " + columns.joined(separator: ",") + ",\n"
        for row in rows(snapshot) {
            out += columns.map { escape(row[$0] ?? "") }.joined(separator: ",") + ",\n"
        }
        return out
    }

    /// The rows as column → value (absent = empty), in output order.
    static func rows(_ snapshot: StatsSnapshot) -> [[String: String]] {
        let proxy = snapshot.proxy
        let pid = String(snapshot.pid)
        let rate = String(Int(snapshot.history.currentSessionRate.rounded()))
        let rateMax = String(Int(snapshot.history.maxSessionRate.rounded()))
        var result: [[String: String]] = []
        let cluster = snapshot.cluster

        var frontendRow: [String: String] = [
            "pxname": frontendName, "svname": "FRONTEND",
            "scur": String(proxy.sessionsCurrent), "smax": String(proxy.sessionsMax), "slim": String(proxy.sessionsLimit),
            "stot": String(proxy.frontend.sessionsTotal), "bin": String(proxy.frontend.bytesIn),
            "bout": String(proxy.frontend.bytesOut), "dreq": "0", "dresp": "0", "status": "OPEN",
            "pid": pid, "iid": "1", "sid": "0", "type": "0", "rate": rate, "rate_max": rateMax, "mode": "tcp",
            "conn_rate": rate, "conn_rate_max": rateMax, "conn_tot": String(proxy.frontend.sessionsTotal),
            "dcon": "0", "dses": "0",
            "ferry_no_backend": String(proxy.frontend.noBackend),
            "ferry_out_of_resources": String(proxy.frontend.outOfResources),
            "ferry_accept_errors": String(proxy.frontend.acceptErrors),
        ]
        if cluster != nil {
            let latency = proxy.frontend.latency
            frontendRow["req_tot"] = String(proxy.frontend.commands)
            frontendRow["req_rate"] = String(Int(snapshot.history.currentCommandRate.rounded()))
            frontendRow["req_rate_max"] = String(Int(snapshot.history.maxCommandRate.rounded()))
            frontendRow["ferry_latency_p50_us"] = latency.quantileMicroseconds(0.5).map { String($0) } ?? ""
            frontendRow["ferry_latency_p99_us"] = latency.quantileMicroseconds(0.99).map { String($0) } ?? ""
        }
        result.append(frontendRow)

        let total = snapshot.backendTotals
        for (index, backend) in proxy.backends.enumerated() {
            let status = backend.status, counters = backend.counters
            let state = ServerState(status)
            var row: [String: String] = [
                "pxname": backendName, "svname": status.address,
                "scur": String(counters.sessionsCurrent), "smax": String(counters.sessionsMax),
                "stot": String(counters.sessionsTotal), "bin": String(counters.bytesIn), "bout": String(counters.bytesOut),
                "dresp": "0", "econ": String(counters.connectErrors), "eresp": "0", "wretr": String(counters.retries),
                "cli_abrt": String(counters.clientAborts), "srv_abrt": String(counters.serverAborts),
                "wredis": "0", "status": state.csvStatus, "weight": status.routable ? "1" : "0", "act": "1", "bck": "0",
                "chkfail": String(status.checksFailed), "chkdown": String(status.downTransitions),
                "lastchg": String(snapshot.sinceLastChange(backend).components.seconds),
                "downtime": String(snapshot.downtime(backend).components.seconds),
                "pid": pid, "iid": "2", "sid": String(index + 1), "lbtot": String(counters.sessionsTotal), "type": "2",
                "addr": status.address, "mode": "tcp",
                "ferry_role": status.role?.rawValue ?? "", "ferry_admin_state": status.adminState.rawValue,
                "ferry_routable": status.routable ? "1" : "0", "ferry_state": state.key,
                "ferry_sessions_shut_down": String(counters.sessionsShutDown),
            ]
            if let check = status.lastCheck {
                row["check_status"] = check.code.rawValue
                row["check_duration"] = String(check.milliseconds)
                row["last_chk"] = check.detail
                row["check_desc"] = check.code.explanation
                row["ferry_check_duration_us"] = String(check.duration.components.seconds * 1_000_000
                                                        + check.duration.components.attoseconds / 1_000_000_000_000)
            }
            result.append(row)
        }

        let routable = snapshot.routableCount
        result.append([
            "pxname": backendName, "svname": "BACKEND",
            "scur": String(total.sessionsCurrent), "smax": String(total.sessionsMax), "slim": String(proxy.sessionsLimit),
            "stot": String(total.sessionsTotal), "bin": String(total.bytesIn), "bout": String(total.bytesOut),
            "dreq": "0", "dresp": "0", "econ": String(total.connectErrors), "eresp": "0",
            "cli_abrt": String(total.clientAborts), "srv_abrt": String(total.serverAborts),
            "wretr": String(total.retries), "wredis": "0", "status": routable > 0 ? "UP" : "DOWN",
            "weight": String(routable), "act": String(routable), "bck": "0",
            "chkdown": String(proxy.backends.reduce(0) { $0 + $1.status.downTransitions }),
            "pid": pid, "iid": "2", "sid": "0", "lbtot": String(total.sessionsTotal), "type": "1",
            "mode": "tcp", "algo": "roundrobin",
            "ferry_routable": String(routable), "ferry_sessions_shut_down": String(total.sessionsShutDown),
            "ferry_no_backend": String(proxy.frontend.noBackend),
            "ferry_out_of_resources": String(proxy.frontend.outOfResources),
        ])
        if let cluster { result += clusterRows(cluster, snapshot) }
        return result
    }

    /// cluster mode: one row per master, then their sum.
    private static func clusterRows(_ cluster: ClusterStats, _ snapshot: StatsSnapshot) -> [[String: String]] {
        let pid = String(snapshot.pid)
        func counterColumns(_ counters: MasterCounters) -> [String: String] {
            ["req_tot": String(counters.commands), "ferry_moved": String(counters.moved),
             "ferry_asked": String(counters.asked), "ferry_tryagain": String(counters.tryAgain),
             "ferry_errors": String(counters.errors), "ferry_in_flight": String(counters.inFlight),
             "ferry_held": String(counters.held),
             "ferry_connects": String(counters.connects)]
        }
        var rows: [[String: String]] = cluster.masters.enumerated().map { index, master in
            counterColumns(master.counters).merging([
                "pxname": clusterName, "svname": master.name, "pid": pid, "iid": "3", "sid": String(index + 1),
                "type": "2", "addr": master.name, "mode": "tcp", "ferry_slots": String(master.slots),
                "ferry_slot_ranges": cluster.rangeList(of: master.name),
            ]) { $1 }
        }
        var backend = counterColumns(cluster.totals).merging([
            "pxname": clusterName, "svname": "BACKEND", "pid": pid, "iid": "3", "sid": "0", "type": "1", "mode": "tcp",
            "ferry_slots": String(cluster.coveredSlots),
        ]) { $1 }
        if let map = cluster.slotMap {
            backend["ferry_slot_map_age"] = String(snapshot.slotMapAge(map).components.seconds)
        }
        rows.append(backend)
        return rows
    }

    /// RFC 4180 quoting for values with a comma, quote or line break (check details come from the network).
    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        var quoted = "\""
        for character in value { quoted += character == "\"" ? "\"\"" : String(character) }
        return quoted + "\""
    }
}

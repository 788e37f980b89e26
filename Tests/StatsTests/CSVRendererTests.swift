import Testing

@testable import Proxy
@testable import Stats

/// `;csv` parsed back and checked against the snapshot; HAProxy's column names and positions.
@Suite struct CSVRendererTests {
    /// Parses the CSV as HAProxy's readers do: a `# `-prefixed header, a trailing comma on every line,
    /// RFC 4180 quoting.
    static func parse(_ text: String) -> (header: [String], rows: [[String: String]]) {
        var records: [[String]] = [], field = "", record: [String] = [], quoted = false, index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if quoted {
                if character == "\"" {
                    let next = text.index(after: index)
                    if next < text.endIndex && text[next] == "\"" { field.append("\""); index = next } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                record.append(field); field = ""
            } else if character == "\n" {
                record.append(field); records.append(record); record = []; field = ""
            } else {
                field.append(character)
            }
            index = text.index(after: index)
        }
        var header = records.removeFirst()
        header[0] = String(header[0].dropFirst(2))  // "# pxname"
        return (header, records.map { values in
            Dictionary(uniqueKeysWithValues: zip(header, values).filter { !$0.0.isEmpty })
        })
    }

    /// HAProxy 2.6's `show stat` header, positions 0…82, as printed by `haproxy` itself.
    static let haproxyHeader = """
        pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,\
        bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,\
        check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,\
        req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,\
        rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,\
        agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses
        """

    @Test func haproxyColumnsAreInHAProxysOrder() {
        let text = CSVRenderer.render(Fixtures.snapshot())
        #expect(text.hasPrefix("# " + Self.haproxyHeader + ","))
        #expect(CSVRenderer.haproxyColumns.count == 83)
    }

    /// Ferry's columns keep their positions: new ones are only appended (readers by position).
    @Test func ferryColumnsKeepTheirPositions() {
        let first = ["ferry_role", "ferry_admin_state", "ferry_routable", "ferry_state", "ferry_sessions_shut_down",
                     "ferry_no_backend", "ferry_accept_errors", "ferry_check_duration_us"]
        #expect(Array(CSVRenderer.ferryColumns.prefix(first.count)) == first)
        #expect(CSVRenderer.columns.firstIndex(of: "ferry_out_of_resources") == 83 + first.count)
    }

    @Test func everyLineHasEveryColumnAndATrailingComma() {
        let text = CSVRenderer.render(Fixtures.snapshot())
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1 + 1 + Fixtures.statesByServer.count + 1)
        for line in lines { #expect(line.hasSuffix(",")) }
        let (header, rows) = Self.parse(text)
        #expect(header.dropLast() == ArraySlice(CSVRenderer.columns))
        for row in rows { #expect(row.count == CSVRenderer.columns.count) }
    }

    @Test func frontendRowMatchesTheSnapshot() throws {
        let snapshot = Fixtures.snapshot()
        let row = try #require(Self.parse(CSVRenderer.render(snapshot)).rows.first)
        let proxy = snapshot.proxy
        #expect(row["pxname"] == "ferry")
        #expect(row["svname"] == "FRONTEND")
        #expect(row["scur"] == "42")
        #expect(row["smax"] == "99")
        #expect(row["slim"] == "10000")
        #expect(row["stot"] == String(proxy.frontend.sessionsTotal))
        #expect(row["bin"] == String(proxy.frontend.bytesIn))
        #expect(row["bout"] == String(proxy.frontend.bytesOut))
        #expect(row["status"] == "OPEN")
        #expect(row["type"] == "0")
        #expect(row["pid"] == "4242")
        #expect(row["rate"] == String(Int(snapshot.history.currentSessionRate.rounded())))
        #expect(row["rate_max"] == String(Int(snapshot.history.maxSessionRate.rounded())))
        #expect(row["conn_tot"] == String(proxy.frontend.sessionsTotal))
        #expect(row["ferry_no_backend"] == "7")
        #expect(row["ferry_accept_errors"] == "3")
        #expect(row["ferry_out_of_resources"] == "11")
        #expect(row["qcur"] == "", "Ferry has no queue: empty like HAProxy's unknowns")
    }

    @Test(arguments: Array(Fixtures.statesByServer.enumerated()).map { ($0.offset, $0.element.1) })
    func serverRowMatchesTheSnapshot(index: Int, state: ServerState) throws {
        let snapshot = Fixtures.snapshot()
        let rows = Self.parse(CSVRenderer.render(snapshot)).rows
        let row = rows[1 + index]
        let backend = snapshot.proxy.backends[index]
        let status = backend.status, counters = backend.counters
        #expect(row["pxname"] == "redis")
        #expect(row["svname"] == status.address)
        #expect(row["addr"] == status.address)
        #expect(row["status"] == state.csvStatus)
        #expect(row["scur"] == String(counters.sessionsCurrent))
        #expect(row["smax"] == String(counters.sessionsMax))
        #expect(row["stot"] == String(counters.sessionsTotal))
        #expect(row["lbtot"] == String(counters.sessionsTotal))
        #expect(row["bin"] == String(counters.bytesIn))
        #expect(row["bout"] == String(counters.bytesOut))
        #expect(row["econ"] == String(counters.connectErrors))
        #expect(row["wretr"] == String(counters.retries))
        #expect(row["chkfail"] == String(status.checksFailed))
        #expect(row["chkdown"] == String(status.downTransitions))
        #expect(row["lastchg"] == "90")
        #expect(row["downtime"] == String(snapshot.downtime(backend).components.seconds))
        #expect(row["sid"] == String(index + 1))
        #expect(row["type"] == "2")
        #expect(row["weight"] == (status.routable ? "1" : "0"))
        #expect(row["check_status"] == (status.lastCheck?.code.rawValue ?? ""))
        #expect(row["check_duration"] == (status.lastCheck.map { String($0.milliseconds) } ?? ""))
        #expect(row["last_chk"] == (status.lastCheck?.detail ?? ""))
        #expect(row["check_desc"] == (status.lastCheck?.code.explanation ?? ""))
        #expect(row["ferry_role"] == (status.role?.rawValue ?? ""))
        #expect(row["ferry_admin_state"] == status.adminState.rawValue)
        #expect(row["ferry_routable"] == (status.routable ? "1" : "0"))
        #expect(row["ferry_state"] == state.key)
        #expect(row["ferry_sessions_shut_down"] == String(counters.sessionsShutDown))
    }

    @Test func backendRowSumsTheServers() throws {
        let snapshot = Fixtures.snapshot()
        let row = try #require(Self.parse(CSVRenderer.render(snapshot)).rows.last)
        let backends = snapshot.proxy.backends
        #expect(row["svname"] == "BACKEND")
        #expect(row["type"] == "1")
        #expect(row["stot"] == String(backends.reduce(UInt64(0)) { $0 + $1.counters.sessionsTotal }))
        #expect(row["bin"] == String(backends.reduce(UInt64(0)) { $0 + $1.counters.bytesIn }))
        #expect(row["econ"] == String(backends.reduce(UInt64(0)) { $0 + $1.counters.connectErrors }))
        #expect(row["act"] == String(snapshot.routableCount))
        #expect(row["status"] == "UP")
        #expect(row["ferry_no_backend"] == "7")
        #expect(row["ferry_out_of_resources"] == "11")
        let down = Self.parse(CSVRenderer.render(Fixtures.snapshot([Fixtures.status(routable: false)]))).rows.last
        #expect(down?["status"] == "DOWN")
    }

    // MARK: - Cluster mode

    /// cluster mode's columns come after every older one, in this order (readers by position).
    @Test func clusterColumnsAreAppended() {
        let cluster = ["ferry_latency_p50_us", "ferry_latency_p99_us", "ferry_moved", "ferry_asked", "ferry_tryagain",
                       "ferry_errors", "ferry_in_flight", "ferry_connects", "ferry_slots", "ferry_slot_ranges",
                       "ferry_slot_map_age", "ferry_held"]
        let start = 83 + 9
        #expect(CSVRenderer.columns.count == start + cluster.count)
        #expect(Array(CSVRenderer.columns[start...]) == cluster)
        #expect(CSVRenderer.columns[start - 1] == "ferry_out_of_resources")
        #expect(Set(CSVRenderer.columns).count == CSVRenderer.columns.count, "no column twice")
    }

    /// tcp mode: no cluster rows, command columns empty (unknown), as HAProxy leaves a tcp frontend's.
    @Test func tcpModeHasNoClusterRows() throws {
        let (_, rows) = Self.parse(CSVRenderer.render(Fixtures.snapshot()))
        #expect(!rows.contains { $0["pxname"] == "cluster" })
        let frontend = try #require(rows.first)
        for column in ["req_tot", "req_rate", "req_rate_max", "ferry_latency_p50_us", "ferry_latency_p99_us"] {
            #expect(frontend[column] == "", "\(column)")
        }
    }

    /// cluster mode: the seeds' rows stay where they were; the masters' rows and their sum follow.
    @Test func clusterRowsFollowTheBackend() {
        let snapshot = Fixtures.clusterSnapshot()
        let text = CSVRenderer.render(snapshot)
        let (header, rows) = Self.parse(text)
        #expect(header.dropLast() == ArraySlice(CSVRenderer.columns))
        let seeds = snapshot.proxy.backends.count
        #expect(rows.count == 1 + seeds + 1 + Fixtures.mastersInOrder.count + 1)
        #expect(rows.map { "\($0["pxname"]!),\($0["svname"]!)" }
                == ["ferry,FRONTEND"] + snapshot.proxy.backends.map { "redis,\($0.status.address)" } + ["redis,BACKEND"]
                + Fixtures.mastersInOrder.map { "cluster,\($0.name)" } + ["cluster,BACKEND"])
        for row in rows { #expect(row.count == CSVRenderer.columns.count) }
        for line in text.split(separator: "\n") { #expect(line.hasSuffix(",")) }
    }

    @Test func clusterFrontendCountsCommands() throws {
        let snapshot = Fixtures.clusterSnapshot()
        let row = try #require(Self.parse(CSVRenderer.render(snapshot)).rows.first)
        #expect(row["req_tot"] == "1234567")
        #expect(row["req_rate"] == String(Int(snapshot.history.currentCommandRate.rounded())))
        #expect(row["req_rate_max"] == String(Int(snapshot.history.maxCommandRate.rounded())))
        #expect(row["ferry_latency_p50_us"] == String(Fixtures.latencyP50))
        #expect(row["ferry_latency_p99_us"] == String(Fixtures.latencyP99))
        #expect(row["stot"] == String(snapshot.proxy.frontend.sessionsTotal), "sessions stay sessions")
        let idle = try #require(Self.parse(CSVRenderer.render(Fixtures.clusterSnapshot(latency: LatencyHistogram(), commands: 0))).rows.first)
        #expect(idle["req_tot"] == "0")
        #expect(idle["ferry_latency_p50_us"] == "", "no quantile before the first command")
    }

    @Test(arguments: Array(Fixtures.mastersInOrder.enumerated()).map { ($0.offset, $0.element.name, $0.element.slots) })
    func masterRowMatchesTheSnapshot(index: Int, name: String, slots: Int) throws {
        let snapshot = Fixtures.clusterSnapshot()
        let rows = Self.parse(CSVRenderer.render(snapshot)).rows
        let row = rows[1 + snapshot.proxy.backends.count + 1 + index]
        let counters = Fixtures.masterTraffic[name] ?? MasterCounters()
        #expect(row["pxname"] == "cluster")
        #expect(row["svname"] == name)
        #expect(row["addr"] == name)
        #expect(row["type"] == "2")
        #expect(row["iid"] == "3")
        #expect(row["sid"] == String(index + 1))
        #expect(row["pid"] == "4242")
        #expect(row["req_tot"] == String(counters.commands))
        #expect(row["ferry_moved"] == String(counters.moved))
        #expect(row["ferry_asked"] == String(counters.asked))
        #expect(row["ferry_tryagain"] == String(counters.tryAgain))
        #expect(row["ferry_errors"] == String(counters.errors))
        #expect(row["ferry_held"] == String(counters.held))
        #expect(row["ferry_in_flight"] == String(counters.inFlight))
        #expect(row["ferry_connects"] == String(counters.connects))
        #expect(row["ferry_slots"] == String(slots))
        let ranges: [String: String] = ["127.0.0.1:7001": "0-5460", "127.0.0.1:7002": "5461-10922 16383",
                                        "127.0.0.1:7003": "", "127.0.0.1:7010": "10923-16382"]
        #expect(row["ferry_slot_ranges"] == ranges[name])
        #expect(row["status"] == "", "Ferry has no health of its own for a master")
        #expect(row["ferry_slot_map_age"] == "")
    }

    @Test(arguments: [(Fixtures.slotMap(), "16384", "4"), (Fixtures.slotMap(covered: 16_000, age: 95), "16000", "95"),
                      (nil, "0", "")])
    func clusterBackendRowSumsTheMasters(map: SlotMapSummary?, covered: String, age: String) throws {
        let snapshot = Fixtures.clusterSnapshot(slotMap: map)
        let row = try #require(Self.parse(CSVRenderer.render(snapshot)).rows.last)
        let all = Fixtures.masterTraffic.values
        func sum(_ value: (MasterCounters) -> UInt64) -> String { String(all.reduce(UInt64(0)) { $0 + value($1) }) }
        #expect(row["pxname"] == "cluster")
        #expect(row["svname"] == "BACKEND")
        #expect(row["type"] == "1")
        #expect(row["req_tot"] == sum(\.commands))
        #expect(row["ferry_moved"] == sum(\.moved))
        #expect(row["ferry_asked"] == sum(\.asked))
        #expect(row["ferry_tryagain"] == sum(\.tryAgain))
        #expect(row["ferry_errors"] == sum(\.errors))
        #expect(row["ferry_held"] == sum(\.held))
        #expect(row["ferry_in_flight"] == sum { UInt64($0.inFlight) })
        #expect(row["ferry_connects"] == sum(\.connects))
        #expect(row["ferry_slots"] == covered)
        #expect(row["ferry_slot_map_age"] == age)
    }

    /// Master names come from CLUSTER SHARDS: quoted when they need it, read back exactly.
    @Test(arguments: [Fixtures.hostile, "a,b", "say \"hi\"", "line\r\nbreak", "host:7001"])
    func masterNamesRoundTrip(name: String) {
        let snapshot = Fixtures.clusterSnapshot(masters: [name: Fixtures.masterCounters(1)], slotMap: Fixtures.slotMap(master: name))
        let rows = Self.parse(CSVRenderer.render(snapshot)).rows
        #expect(rows.count == 1 + snapshot.proxy.backends.count + 1 + 2)
        let master = rows[rows.count - 2]
        #expect(master["svname"] == name)
        #expect(master["addr"] == name)
        #expect(master["ferry_slots"] == "16384")
    }

    @Test(arguments: [Fixtures.hostile, "a,b", "say \"hi\"", "line\r\nbreak", "plain"])
    func valuesFromTheNetworkRoundTrip(detail: String) {
        let snapshot = Fixtures.snapshot([Fixtures.status(detail, check: Fixtures.check(.l7rsp, detail: detail))])
        let (_, rows) = Self.parse(CSVRenderer.render(snapshot))
        #expect(rows.count == 3, "a quoted line break must not split the record")
        #expect(rows[1]["last_chk"] == detail)
        #expect(rows[1]["svname"] == detail)
    }
}

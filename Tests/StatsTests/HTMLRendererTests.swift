import Foundation
import Testing

@testable import Proxy
@testable import Stats

/// The page, rendered from snapshots: every column, every status, escaping, refresh and admin.
@Suite struct HTMLRendererTests {
    static let options = HTMLPageOptions(statsPath: "/stats", refresh: .seconds(5), configuredRefresh: .seconds(5))

    func render(_ snapshot: StatsSnapshot = Fixtures.snapshot(), _ options: HTMLPageOptions = options) -> String {
        HTMLRenderer.render(snapshot, options: options)
    }

    @Test(arguments: [
        "Sessions", "Session rate", "Bytes", "Denied", "Errors", "Status", "Cur", "Max", "Limit", "Total", "In", "Out",
        "No backend", "Accept", "Resources", "Server", "Role", "Last check", "Conn", "Retr", "Shut", "Checks", "Fail", "Downs",
        "Downtime", "Last change", "Legend", "General process information",
    ])
    func everyColumnHasAHeading(heading: String) {
        let page = render()
        #expect(page.contains(">\(heading)</th>") || page.contains(">\(heading)</b>") || page.contains("\">\(heading)</th>"),
                "no heading \(heading)")
    }

    /// The footer names every counter of the stats server itself (the fixture gives each a distinct value).
    @Test func footerShowsTheStatsServerCounters() {
        let page = render()
        for text in ["10 requests", "1 malformed", "6 rejected paths", "2 slow heads", "3 unauthorized", "4 forbidden",
                     "5 admin actions"] {
            #expect(page.contains(text), "\(text)")
        }
    }

    @Test func frontendRowShowsTheSnapshot() throws {
        let page = render()
        let row = try #require(Self.row(page, containing: "FRONTEND"))
        // Cur, Max, Limit, Total, rate cur, rate max, bytes in/out, no backend, accept errors, out of resources, status.
        let cells = Self.cells(row)
        let snapshot = Fixtures.snapshot()
        #expect(cells[1] == "42")
        #expect(cells[2] == "99")
        #expect(cells[3] == "10\u{2009}000")
        #expect(cells[4] == "123\u{2009}456")
        #expect(cells[5] == String(Int(snapshot.history.currentSessionRate.rounded())))
        #expect(cells[6] == String(Int(snapshot.history.maxSessionRate.rounded())))
        #expect(cells[7] == "9.2 GiB")
        #expect(cells[8] == "1.2 MiB")
        #expect(cells[9] == "7")
        #expect(cells[10] == "3")
        #expect(cells[11] == "11")
        #expect(cells[12] == "OPEN")
        #expect(row.contains("<td class=\"n warn\">11</td>"), "out of resources > 0 is shown in the warn colour")
    }

    @Test(arguments: Array(Fixtures.statesByServer.enumerated()).map { ($0.offset, $0.element.0, $0.element.1) })
    func everyServerRowShowsItsStateAndCounters(index: Int, status: BackendStatus, state: ServerState) throws {
        let snapshot = Fixtures.snapshot()
        let page = render(snapshot)
        let row = try #require(Self.row(page, containing: "id=\"server-\(index)\""))
        #expect(row.contains("class=\"\(state.cssClass)\""))
        let cells = Self.cells(row)
        let counters = snapshot.proxy.backends[index].counters
        #expect(cells[0] == status.address)
        #expect(cells[1] == (status.role?.rawValue ?? "?"))
        #expect(cells[2].hasPrefix(state.label))
        if let check = status.lastCheck {
            #expect(cells[3].hasPrefix("\(check.code.rawValue) in \(StatsFormat.milliseconds(check.duration))"))
            #expect(cells[3].hasSuffix(check.detail))
        } else {
            #expect(cells[3] == "none yet")
        }
        #expect(cells[4] == StatsFormat.count(counters.sessionsCurrent))
        #expect(cells[5] == StatsFormat.count(counters.sessionsMax))
        #expect(cells[6] == StatsFormat.count(counters.sessionsTotal))
        #expect(cells[7] == StatsFormat.bytes(counters.bytesIn))
        #expect(cells[8] == StatsFormat.bytes(counters.bytesOut))
        #expect(cells[9] == StatsFormat.count(counters.connectErrors))
        #expect(cells[10] == StatsFormat.count(counters.retries))
        #expect(cells[11] == StatsFormat.count(counters.sessionsShutDown))
        #expect(cells[12] == StatsFormat.count(status.checksFailed))
        #expect(cells[13] == StatsFormat.count(status.downTransitions))
        #expect(cells[14] == StatsFormat.duration(snapshot.downtime(snapshot.proxy.backends[index])))
        #expect(cells[15] == "1m30s")
        #expect(cells.count == 16, "no admin column without admin")
    }

    @Test func downtimeIncludesTheCurrentDownPeriod() {
        var status = Fixtures.status("127.0.0.1:7001", .down, routable: false, changedSecondsAgo: 60)
        status.downtimeBeforeCurrent = .seconds(30)
        let snapshot = Fixtures.snapshot([status])
        #expect(snapshot.downtime(snapshot.proxy.backends[0]) == .seconds(90))
        var up = status
        up.status = .up
        let upSnapshot = Fixtures.snapshot([up])
        #expect(upSnapshot.downtime(upSnapshot.proxy.backends[0]) == .seconds(30))
    }

    @Test func backendRowSumsTheServers() throws {
        let snapshot = Fixtures.snapshot()
        let row = try #require(Self.row(render(snapshot), containing: ">BACKEND<"))
        let cells = Self.cells(row)
        let total = snapshot.proxy.backends.reduce(UInt64(0)) { $0 + $1.counters.sessionsTotal }
        #expect(cells[2] == "UP (\(snapshot.routableCount)/\(snapshot.proxy.backends.count))")
        #expect(cells[6] == StatsFormat.count(total))
    }

    @Test func theLegendListsEveryColour() {
        let page = render()
        for state in ServerState.legendOrder {
            #expect(page.contains("<td class=\"swatch \(state.cssClass)\"></td><td>\(state.legend)</td>"))
            #expect(page.contains(".\(state.cssClass){background:#"))
        }
    }

    @Test func headerShowsUptimeVersionAndConfigPath() {
        let page = render()
        #expect(page.contains("uptime = 3h05m"))
        #expect(page.contains("version = 0.1.0"))
        #expect(page.contains("config = <code>/etc/ferry/ferry.yaml</code>"))
        #expect(page.contains("pid = 4242"))
        #expect(page.contains("generated = 2023-11-14T22:13:20Z"))
        #expect(render(Fixtures.snapshot(configPath: nil)).contains("config = <code>(none)</code>"))
    }

    @Test(arguments: [true, false])
    func refreshFollowsTheOption(refresh: Bool) {
        var options = Self.options
        options.refresh = refresh ? .seconds(7) : nil
        let page = render(Fixtures.snapshot(), options)
        #expect(page.contains("<meta http-equiv=\"refresh\" content=\"7;url=/stats\">") == refresh)
        #expect(page.contains("http-equiv=\"refresh\"") == refresh)
        #expect(page.contains(refresh ? "href=\"/stats;norefresh\">Disable refresh" : "href=\"/stats\">Enable refresh (5s)"))
    }

    @Test func noAdminButtonsWithoutAdmin() {
        let page = render()
        #expect(!page.contains("<form"))
        #expect(!page.contains("<button"))
        #expect(!page.contains(">Admin</th>"))
    }

    @Test func adminFormsCarryTheTokenAndDisableTheCurrentState() throws {
        var options = Self.options
        options.admin = .init(actionPath: "/stats/admin", csrfToken: "c0ffee")
        let snapshot = Fixtures.snapshot([Fixtures.status("127.0.0.1:7001"), Fixtures.status("127.0.0.1:7002", admin: .drain)],
                                         vrrp: [Fixtures.vrrp(), Fixtures.vrrp(name: "other", steppedDown: true)])
        let page = render(snapshot, options)
        #expect(page.components(separatedBy: "<form method=\"post\" action=\"/stats/admin\">").count - 1 == 4)
        #expect(page.components(separatedBy: "name=\"csrf\" value=\"c0ffee\"").count - 1 == 4)
        let drained = try #require(Self.row(page, containing: "id=\"server-1\""))
        #expect(drained.contains("value=\"drain\" disabled"))
        #expect(!drained.contains("value=\"ready\" disabled"))
        #expect(page.contains("value=\"vrrp-step-down\""))
        #expect(page.contains("value=\"vrrp-restore\""))
        #expect(page.contains(">Admin</th>"))
    }

    @Test func vrrpSectionSaysNotConfiguredWithoutInstances() {
        #expect(render().contains("VRRP: not configured."))
    }

    @Test(arguments: VRRPInstanceStatus.State.allCases)
    func vrrpInstanceRowShowsEveryField(state: VRRPInstanceStatus.State) throws {
        let instance = Fixtures.vrrp(state: state, steppedDown: state == .backup)
        let page = render(Fixtures.snapshot(vrrp: [instance]))
        #expect(!page.contains("not configured"))
        let row = try #require(Self.row(page, containing: ">redis-vip<"))
        #expect(row.contains("class=\"v-\(state.rawValue.lowercased())\""))
        let cells = Self.cells(row)
        #expect(cells[0] == "redis-vip")
        #expect(cells[1] == "eth1 / 51")
        #expect(cells[2] == state.rawValue + (state == .backup ? " (stepped down)" : ""))
        #expect(cells[3] == "150")
        #expect(cells[4] == (state == .backup ? "50" : "150"))
        #expect(cells[5] == "10.0.0.123/2410.0.0.124/24")  // two lines
        #expect(cells[6] == "10.0.0.1")
        #expect(cells[7] == "1\u{2009}234")
        #expect(cells[8] == "56")
        #expect(cells[9] == "3checksum: 1ttl: 2")
        #expect(cells[10] == "4")
        #expect(cells[11] == "5m00s agomaster down timer expired")
    }

    /// Anything from the network (check details, addresses) or the configuration (paths, names) is escaped.
    @Test func everythingFromOutsideIsEscaped() {
        let hostile = Fixtures.hostile
        var status = Fixtures.status(hostile, check: Fixtures.check(.l7rsp, detail: hostile))
        status.role = .master
        var snapshot = Fixtures.snapshot([status], vrrp: [Fixtures.vrrp(name: hostile)], configPath: hostile)
        snapshot.version = hostile
        snapshot.vrrp[0].virtualIPs = [hostile]
        snapshot.vrrp[0].masterAddress = hostile
        snapshot.vrrp[0].lastTransitionReason = hostile
        snapshot.vrrp[0].drops = [hostile: 1]
        snapshot.vrrp[0].interface = hostile
        var options = Self.options
        options.statsPath = hostile
        options.notice = hostile
        options.admin = .init(actionPath: hostile, csrfToken: hostile)
        let page = render(snapshot, options)
        #expect(!page.contains("<script"))
        #expect(!page.contains(hostile))
        #expect(!page.contains("\"x\")"))
        #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quote&#39;"))
    }

    @Test(arguments: [
        ("a<b", "a&lt;b"), ("a>b", "a&gt;b"), ("a&b", "a&amp;b"), ("\"", "&quot;"), ("'", "&#39;"),
        ("\u{1}x", "\\x01x"), ("tab\tok", "tab\tok"), ("é✓", "é✓"),
    ])
    func htmlEscaping(raw: String, escaped: String) {
        #expect(raw.htmlEscaped == escaped)
    }

    /// It must render offline: no scripts, no external URLs, only relative links and data: URIs.
    @Test func noExternalAssets() {
        var options = Self.options
        options.admin = .init(actionPath: "/stats/admin", csrfToken: "t")
        let page = render(Fixtures.snapshot(vrrp: [Fixtures.vrrp()]), options)
        #expect(!page.contains("<script"))
        #expect(!page.contains("url("))
        #expect(!page.contains("@import"))
        for attribute in ["href=\"", "src=\"", "action=\""] {
            for value in page.components(separatedBy: attribute).dropFirst() {
                #expect(value.hasPrefix("/") || value.hasPrefix("data:"), "\(attribute)\(value.prefix(40))")
            }
        }
        // The only absolute URL is the SVG namespace, which is not fetched.
        #expect(page.components(separatedBy: "http://").count - 1 == page.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
    }

    @Test func chartsDrawTheHistory() {
        let page = render()
        #expect(page.contains("<svg id=\"chart-rate\""))
        #expect(page.contains("<svg id=\"chart-latency\""))
        #expect(page.contains("<polyline"))
        let empty = render(Fixtures.snapshot(history: StatsHistory()))
        #expect(empty.contains("collecting samples"))
        #expect(!empty.contains("<polyline"))
    }

    @Test(arguments: [(0.0, 1.0), (0.3, 0.5), (1.0, 1.0), (1.2, 2.0), (3.0, 5.0), (7.0, 10.0), (42.0, 50.0), (101.0, 200.0)])
    func chartScaleIsRound(value: Double, ceiling: Double) {
        #expect(HTMLRenderer.niceCeiling(value) == ceiling)
    }

    // MARK: - Cluster mode

    /// The section appears when the snapshot has masters or a slot map, never in tcp mode.
    @Test(arguments: [("tcp", false), ("masters only", true), ("slot map only", true), ("both", true)])
    func clusterSectionOnlyInClusterMode(shape: String, shown: Bool) {
        let snapshot: StatsSnapshot = switch shape {
        case "tcp": Fixtures.snapshot()
        case "masters only": Fixtures.clusterSnapshot(slotMap: nil)
        case "slot map only": Fixtures.clusterSnapshot(masters: [:])
        default: Fixtures.clusterSnapshot()
        }
        let page = render(snapshot)
        #expect(page.contains("<h2>Cluster</h2>") == shown)
        #expect(page.contains("id=\"masters\"") == shown)
        #expect(page.contains("<svg id=\"chart-commands\"") == shown)
        #expect(page.contains("id=\"backend\""), "the seeds' table stays")
    }

    @Test(arguments: [
        "Commands", "Command rate", "Latency", "Total", "p50", "p99", "Master", "Redirections followed", "MOVED", "ASK",
        "TRYAGAIN", "Errors", "In flight", "Connects", "Slots", "Count",
    ])
    func everyClusterColumnHasAHeading(heading: String) throws {
        let page = render(Fixtures.clusterSnapshot())
        let section = try #require(page.components(separatedBy: "<h2>Cluster</h2>").last)
        #expect(section.contains(">\(heading)</th>"), "no heading \(heading)")
    }

    @Test func clusterFrontendShowsCommandsRateAndLatency() throws {
        let snapshot = Fixtures.clusterSnapshot()
        let row = try #require(Self.row(render(snapshot), containing: "id=\"cluster-commands\""))
        let cells = Self.cells(row)
        #expect(snapshot.history.currentCommandRate > 0 && snapshot.history.maxCommandRate > snapshot.history.currentCommandRate)
        #expect(cells == ["FRONTEND", "1\u{2009}234\u{2009}567", StatsFormat.count(Int(snapshot.history.currentCommandRate.rounded())),
                          StatsFormat.count(Int(snapshot.history.maxCommandRate.rounded())), "&lt; 128 µs", "&lt; 512 µs"])
        let idle = try #require(Self.row(render(Fixtures.clusterSnapshot(latency: LatencyHistogram(), commands: 0)),
                                         containing: "id=\"cluster-commands\""))
        #expect(Array(Self.cells(idle).suffix(2)) == ["–", "–"], "no quantile before the first command")
    }

    /// One row per master, sorted by host then numeric port, from the traffic and the slot map together.
    @Test(arguments: Array(Fixtures.mastersInOrder.enumerated()).map { ($0.offset, $0.element.name, $0.element.slots) })
    func everyMasterRowShowsItsCounters(index: Int, name: String, slots: Int) throws {
        let page = render(Fixtures.clusterSnapshot())
        let row = try #require(Self.row(page, containing: "id=\"master-\(index)\""))
        let counters = Fixtures.masterTraffic[name] ?? MasterCounters()
        let expected = [name] + [counters.commands, counters.moved, counters.asked, counters.tryAgain, counters.errors,
                                 counters.held, UInt64(counters.inFlight), counters.connects, UInt64(slots)].map { StatsFormat.count($0) }
        #expect(Self.cells(row) == expected)
        #expect(row.contains("class=\"\(slots > 0 ? "s-up" : "s-not-checked")\""), "a master without slots is greyed")
        #expect(row.contains("<td class=\"n warn\">") == (counters.errors > 0), "errors are highlighted")
        #expect(!page.contains("id=\"master-\(Fixtures.mastersInOrder.count)\""))
    }

    @Test func mastersTotalRowSumsTheMasters() throws {
        let row = try #require(Self.row(render(Fixtures.clusterSnapshot()), containing: "id=\"masters-total\""))
        let all = Fixtures.masterTraffic.values
        func sum(_ value: (MasterCounters) -> UInt64) -> String { StatsFormat.count(all.reduce(UInt64(0)) { $0 + value($1) }) }
        #expect(Self.cells(row) == ["MASTERS", sum(\.commands), sum(\.moved), sum(\.asked), sum(\.tryAgain), sum(\.errors),
                                    sum(\.held), sum { UInt64($0.inFlight) }, sum(\.connects), "16\u{2009}384"])
    }

    /// Ranges in slot order with their master; coverage highlighted when incomplete; the map's age.
    @Test(arguments: [(16_384, 4.5, "ok", "4s"), (16_000, 95, "bad", "1m35s"), (11_000, 3700, "bad", "1h01m")])
    func slotMapShowsRangesCoverageAndAge(covered: Int, age: Double, coverageClass: String, ageText: String) throws {
        let map = Fixtures.slotMap(covered: covered, age: age)
        let page = render(Fixtures.clusterSnapshot(slotMap: map))
        let coverage = "<span class=\"\(coverageClass)\">\(StatsFormat.count(covered)) of 16\u{2009}384 slots covered</span>"
        #expect(page.contains("<p id=\"slot-map-summary\">Slot map: \(coverage) · 4 ranges · read \(ageText) ago</p>"))
        let sorted = map.ranges.sorted { $0.first < $1.first }
        for (index, range) in sorted.enumerated() {
            let row = try #require(Self.row(page, containing: "id=\"range-\(index)\""))
            let label = range.first == range.last ? "\(range.first)" : "\(range.first)-\(range.last)"
            #expect(Self.cells(row) == [label, StatsFormat.count(range.last - range.first + 1), range.master])
        }
        let total = try #require(Self.row(page, containing: "id=\"masters-total\""))
        #expect(total.contains("<td class=\"n\(covered < 16_384 ? " warn" : "")\">\(StatsFormat.count(covered))</td>"))
    }

    @Test func slotMapNotReadYet() {
        let page = render(Fixtures.clusterSnapshot(slotMap: nil))
        #expect(page.contains("<p class=\"none\" id=\"slot-map\">Slot map: not read yet.</p>"))
        #expect(!page.contains("slot-map-summary"))
    }

    /// A map fragmented by resharding lists its first ranges and says how many more the JSON has.
    @Test(arguments: [HTMLRenderer.slotRangesShown, HTMLRenderer.slotRangesShown + 1, 16_384])
    func longSlotMapsAreCut(ranges: Int) {
        let map = SlotMapSummary(ranges: (0..<ranges).map { .init(first: $0, last: $0, master: "127.0.0.1:\(7001 + $0 % 3)") },
                                 coveredSlots: ranges)
        let page = render(Fixtures.clusterSnapshot(slotMap: map))
        let shown = min(ranges, HTMLRenderer.slotRangesShown)
        #expect(page.components(separatedBy: "<tr id=\"range-").count - 1 == shown + (ranges > shown ? 1 : 0))
        #expect(page.contains("… \(ranges - shown) more ranges: see the JSON export") == (ranges > shown))
    }

    /// Master names come from CLUSTER SHARDS: network data.
    @Test func clusterNamesAreEscaped() {
        let hostile = Fixtures.hostile
        let page = render(Fixtures.clusterSnapshot(masters: [hostile: Fixtures.masterCounters(1)],
                                                   slotMap: Fixtures.slotMap(master: hostile)))
        #expect(page.contains("<h2>Cluster</h2>"))
        #expect(!page.contains("<script"))
        #expect(!page.contains(hostile))
        #expect(page.components(separatedBy: hostile.htmlEscaped).count - 1 == 5, "one master row, four ranges")
    }

    @Test(arguments: [
        (UInt64?.none, "–"), (1, "< 1 µs"), (512, "< 512 µs"), (1024, "< 1.0 ms"), (16_384, "< 16 ms"),
        (1 << 20, "< 1.0 s"), (1 << 26, "< 67.1 s"), (1 << 27, "≥ 67.1 s"),
    ])
    func latencyQuantilesReadAsBounds(bound: UInt64?, text: String) {
        #expect(StatsFormat.latency(upperBoundMicroseconds: bound) == text)
    }

    // MARK: - Helpers

    /// The `<tr …>…</tr>` containing `marker`.
    static func row(_ page: String, containing marker: String) -> String? {
        page.components(separatedBy: "<tr").dropFirst().map { "<tr" + $0 }
            .first { $0.contains(marker) }
            .map { String($0.prefix { _ in true }.components(separatedBy: "</tr>")[0]) }
    }

    /// The text of each `<td>` of a row, tags removed and entities left as they are.
    static func cells(_ row: String) -> [String] {
        row.components(separatedBy: "<td").dropFirst().map { cell in
            let body = cell.drop { $0 != ">" }.dropFirst()
            let content = body.components(separatedBy: "</td>")[0]
            var text = "", inTag = false
            for character in content {
                if character == "<" { inTag = true } else if character == ">" { inTag = false } else if !inTag { text.append(character) }
            }
            return text
        }
    }
}

import Proxy

/// `/stats`: one self-contained HTML page in the spirit of HAProxy's stats page. No scripts and
/// no external assets (inline CSS and SVG only), so it renders offline and under a strict
/// Content-Security-Policy. Every string that came from the network or the configuration is
/// escaped. In cluster mode a "Cluster" section follows the backend table: the frontend's command
/// count, rate and latency quantiles, one row per master, and the slot map.
public enum HTMLRenderer {
    public static func render(_ snapshot: StatsSnapshot, options: HTMLPageOptions) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">

            """
        if let refresh = options.refresh {
            let seconds = max(1, refresh.components.seconds)
            html += "<meta http-equiv=\"refresh\" content=\"\(seconds);url=\(options.statsPath.htmlEscaped)\">\n"
        }
        html += """
            <link rel="icon" href="data:,">
            <title>Ferry statistics, pid \(snapshot.pid)</title>
            <style>\(style)\(paletteStyle)</style>
            </head>
            <body>

            """
        html += header(snapshot, options)
        if let notice = options.notice {
            html += "<p class=\"notice\">\(notice.htmlEscaped)</p>\n"
        }
        html += charts(snapshot)
        html += frontendTable(snapshot)
        html += backendTable(snapshot, options)
        if let cluster = snapshot.cluster { html += clusterSection(cluster, snapshot) }
        html += vrrpSection(snapshot, options)
        html += "<p class=\"foot\">Ferry \(snapshot.version.htmlEscaped) · generated \(StatsDocument.rfc3339(snapshot.generatedAt))"
        html += " · stats server: \(snapshot.http.requests) requests, \(snapshot.http.malformed) malformed,"
        html += " \(snapshot.http.rejectedPaths) rejected paths, \(snapshot.http.headTimeouts) slow heads,"
        html += " \(snapshot.http.unauthorized) unauthorized, \(snapshot.http.forbidden) forbidden,"
        html += " \(snapshot.http.adminActions) admin actions</p>\n</body>\n</html>\n"
        return html
    }

    // MARK: - Sections

    private static func header(_ snapshot: StatsSnapshot, _ options: HTMLPageOptions) -> String {
        let path = options.statsPath.htmlEscaped
        let routable = snapshot.routableCount, total = snapshot.proxy.backends.count
        var html = "<h1>Ferry <span class=\"ver\">\(snapshot.version.htmlEscaped)</span>"
        html += " <span class=\"sub\">Redis proxy statistics</span></h1>\n"
        html += "<table class=\"top\"><tr>\n<td class=\"info\"><b>General process information</b><br>\n"
        html += "pid = \(snapshot.pid) · uptime = \(StatsFormat.duration(snapshot.uptime))<br>\n"
        html += "version = \(snapshot.version.htmlEscaped)<br>\n"
        html += "config = <code>\((snapshot.configPath ?? "(none)").htmlEscaped)</code><br>\n"
        html += "sessions = \(snapshot.proxy.sessionsCurrent) of \(snapshot.proxy.sessionsLimit) · "
        let servers = total == 1 ? "server" : "servers"
        let healthClass = routable > 0 ? "ok" : "bad"
        html += "<span class=\"\(healthClass)\">\(routable) of \(total) \(servers) in rotation</span><br>\n"
        html += "generated = \(StatsDocument.rfc3339(snapshot.generatedAt))</td>\n"

        html += "<td class=\"legend\"><b>Legend</b><table>\n"
        for state in ServerState.legendOrder {
            html += "<tr><td class=\"swatch \(state.cssClass)\"></td><td>\(state.legend.htmlEscaped)</td></tr>\n"
        }
        html += "</table></td>\n"

        html += "<td class=\"opts\"><b>Display option</b><ul>\n"
        if let refresh = options.refresh {
            html += "<li>refresh every \(StatsFormat.duration(refresh))</li>\n"
            html += "<li><a href=\"\(path);norefresh\">Disable refresh</a></li>\n"
            html += "<li><a href=\"\(path)\">Refresh now</a></li>\n"
        } else {
            html += "<li>refresh off</li>\n"
            html += "<li><a href=\"\(path)\">Enable refresh (\(StatsFormat.duration(options.configuredRefresh)))</a></li>\n"
            html += "<li><a href=\"\(path);norefresh\">Refresh now</a></li>\n"
        }
        html += "</ul><b>Other formats</b><ul>\n"
        html += "<li><a href=\"\(path);csv\">CSV export</a></li>\n"
        html += "<li><a href=\"\(path);json\">JSON export</a></li>\n"
        html += "<li><a href=\"/metrics\">Prometheus metrics</a></li>\n"
        html += "<li><a href=\"/health\">Health</a></li>\n"
        html += "</ul></td>\n</tr></table>\n"
        return html
    }

    private static func frontendTable(_ snapshot: StatsSnapshot) -> String {
        let proxy = snapshot.proxy, frontend = proxy.frontend
        var html = "<h2>Frontend <span class=\"px\">\(CSVRenderer.frontendName)</span></h2>\n<table class=\"tbl\" id=\"frontend\">\n"
        html += "<tr class=\"h1\"><th rowspan=\"2\"></th><th colspan=\"4\">Sessions</th><th colspan=\"2\">Session rate</th>"
        html += "<th colspan=\"2\">Bytes</th><th>Denied</th><th colspan=\"2\">Errors</th><th rowspan=\"2\">Status</th></tr>\n"
        html += "<tr class=\"h2\"><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>Cur</th><th>Max</th>"
        html += "<th>In</th><th>Out</th><th title=\"clients refused: no backend available\">No backend</th>"
        html += "<th title=\"accept() failures\">Accept</th>"
        html += "<th title=\"clients refused: out of file descriptors or memory for the connect\">Resources</th></tr>\n"
        html += "<tr class=\"fe\"><td class=\"name\">FRONTEND</td>"
        html += num(proxy.sessionsCurrent) + num(proxy.sessionsMax) + num(proxy.sessionsLimit) + num(frontend.sessionsTotal)
        html += rate(snapshot.history.currentSessionRate) + rate(snapshot.history.maxSessionRate)
        html += bytes(frontend.bytesIn) + bytes(frontend.bytesOut)
        html += num(frontend.noBackend, warn: frontend.noBackend > 0) + num(frontend.acceptErrors, warn: frontend.acceptErrors > 0)
        html += num(frontend.outOfResources, warn: frontend.outOfResources > 0)
        html += "<td class=\"st\">OPEN</td></tr>\n</table>\n"
        return html
    }

    private static func backendTable(_ snapshot: StatsSnapshot, _ options: HTMLPageOptions) -> String {
        let proxy = snapshot.proxy
        let admin = options.admin
        var html = "<h2>Backend <span class=\"px\">\(CSVRenderer.backendName)</span></h2>\n<table class=\"tbl\" id=\"backend\">\n"
        html += "<tr class=\"h1\"><th rowspan=\"2\">Server</th><th rowspan=\"2\">Role</th><th rowspan=\"2\">Status</th>"
        html += "<th rowspan=\"2\">Last check</th><th colspan=\"3\">Sessions</th><th colspan=\"2\">Bytes</th>"
        html += "<th colspan=\"3\">Errors</th><th colspan=\"3\">Checks</th><th rowspan=\"2\">Last change</th>"
        if admin != nil { html += "<th rowspan=\"2\">Admin</th>" }
        html += "</tr>\n<tr class=\"h2\"><th>Cur</th><th>Max</th><th>Total</th><th>In</th><th>Out</th>"
        html += "<th title=\"failed connects\">Conn</th><th title=\"connects retried on another server\">Retr</th>"
        html += "<th title=\"sessions closed when the server left rotation or went to MAINT\">Shut</th>"
        html += "<th title=\"failed checks\">Fail</th><th title=\"UP to DOWN transitions\">Downs</th>"
        html += "<th>Downtime</th></tr>\n"

        let total = snapshot.backendTotals
        for (index, backend) in proxy.backends.enumerated() {
            let status = backend.status, counters = backend.counters, state = ServerState(status)
            html += "<tr class=\"\(state.cssClass)\" id=\"server-\(index)\">"
            html += "<td class=\"name\">\(status.address.htmlEscaped)</td>"
            html += "<td>\((status.role?.rawValue ?? "?").htmlEscaped)</td>"
            var label = state.label
            if state == .drain || state == .maint { label += status.status == .up ? " (UP)" : " (DOWN)" }
            html += "<td class=\"st\">\(label.htmlEscaped)</td>"
            if let check = status.lastCheck {
                let title = "\(check.code.explanation): \(check.detail)"
                html += "<td class=\"chk\" title=\"\(title.htmlEscaped)\"><b>\(check.code.rawValue)</b> in "
                html += "\(StatsFormat.milliseconds(check.duration))"
                if !check.detail.isEmpty { html += "<br><span class=\"detail\">\(check.detail.htmlEscaped)</span>" }
                html += "</td>"
            } else {
                html += "<td class=\"chk\">none yet</td>"
            }
            html += num(counters.sessionsCurrent) + num(counters.sessionsMax) + num(counters.sessionsTotal)
            html += bytes(counters.bytesIn) + bytes(counters.bytesOut)
            html += num(counters.connectErrors, warn: counters.connectErrors > 0) + num(counters.retries)
            html += num(counters.sessionsShutDown)
            html += num(status.checksFailed) + num(status.downTransitions)
            html += "<td>\(StatsFormat.duration(snapshot.downtime(backend)))</td>"
            html += "<td>\(StatsFormat.duration(snapshot.sinceLastChange(backend)))</td>"
            if let admin {
                html += "<td class=\"adm\">" + serverForm(index: index, current: status.adminState, admin: admin) + "</td>"
            }
            html += "</tr>\n"
        }

        let routable = snapshot.routableCount
        html += "<tr class=\"be\"><td class=\"name\">BACKEND</td><td></td>"
        html += "<td class=\"st \(routable > 0 ? "ok" : "bad")\">\(routable > 0 ? "UP" : "DOWN") (\(routable)/\(proxy.backends.count))</td><td></td>"
        html += num(total.sessionsCurrent) + num(total.sessionsMax) + num(total.sessionsTotal)
        html += bytes(total.bytesIn) + bytes(total.bytesOut)
        html += num(total.connectErrors, warn: total.connectErrors > 0) + num(total.retries) + num(total.sessionsShutDown)
        html += num(proxy.backends.reduce(UInt64(0)) { $0 + $1.status.checksFailed })
        html += num(proxy.backends.reduce(0) { $0 + $1.status.downTransitions })
        html += "<td></td><td></td>"
        if admin != nil { html += "<td></td>" }
        html += "</tr>\n</table>\n"
        return html
    }

    /// Slot ranges listed on the page; a map fragmented by resharding can have thousands (the JSON has all).
    static let slotRangesShown = 64

    private static func serverForm(index: Int, current: AdminState, admin: HTMLPageOptions.Admin) -> String {
        var html = "<form method=\"post\" action=\"\(admin.actionPath.htmlEscaped)\">"
        html += "<input type=\"hidden\" name=\"csrf\" value=\"\(admin.csrfToken.htmlEscaped)\">"
        html += "<input type=\"hidden\" name=\"server\" value=\"\(index)\">"
        for state in AdminState.allCases {
            let disabled = state == current ? " disabled" : ""
            html += "<button type=\"submit\" name=\"action\" value=\"\(state.rawValue.lowercased())\"\(disabled)"
            html += " title=\"\(adminHelp(state))\">\(state.rawValue)</button>"
        }
        return html + "</form>"
    }

    private static func adminHelp(_ state: AdminState) -> String {
        switch state {
        case .ready: return "follow the health checks"
        case .drain: return "no new sessions; established ones stay"
        case .maint: return "no new sessions; established ones are closed"
        }
    }

    private static func vrrpSection(_ snapshot: StatsSnapshot, _ options: HTMLPageOptions) -> String {
        var html = "<h2>VRRP</h2>\n"
        guard !snapshot.vrrp.isEmpty else {
            return html + "<p class=\"none\" id=\"vrrp\">VRRP: not configured.</p>\n"
        }
        let admin = options.admin
        html += "<table class=\"tbl\" id=\"vrrp\">\n<tr class=\"h1\"><th rowspan=\"2\">Instance</th>"
        html += "<th rowspan=\"2\">Interface / VRID</th><th rowspan=\"2\">State</th><th colspan=\"2\">Priority</th>"
        html += "<th rowspan=\"2\">Virtual IPs</th><th rowspan=\"2\">Master</th><th colspan=\"2\">Adverts</th>"
        html += "<th rowspan=\"2\">Drops</th><th rowspan=\"2\">Mismatches</th><th rowspan=\"2\">Last transition</th>"
        if admin != nil { html += "<th rowspan=\"2\">Admin</th>" }
        html += "</tr>\n<tr class=\"h2\"><th>Conf</th><th>Eff</th><th>Sent</th><th>Recv</th></tr>\n"
        for instance in snapshot.vrrp {
            html += "<tr class=\"v-\(instance.state.rawValue.lowercased())\">"
            html += "<td class=\"name\">\(instance.name.htmlEscaped)</td>"
            html += "<td>\(instance.interface.htmlEscaped) / \(instance.vrid)</td>"
            html += "<td class=\"st\">\(instance.state.rawValue)\(instance.steppedDown ? " (stepped down)" : "")</td>"
            html += num(instance.configuredPriority)
            html += num(instance.effectivePriority, warn: instance.effectivePriority != instance.configuredPriority)
            html += "<td>\(instance.virtualIPs.map(\.htmlEscaped).joined(separator: "<br>"))</td>"
            html += "<td>\((instance.masterAddress ?? "unknown").htmlEscaped)</td>"
            html += num(instance.advertsSent) + num(instance.advertsReceived)
            if instance.drops.isEmpty {
                html += "<td class=\"n\">0</td>"
            } else {
                let reasons = instance.drops.sorted { $0.key < $1.key }
                    .map { "\($0.key.htmlEscaped): \($0.value)" }.joined(separator: "<br>")
                html += "<td class=\"n warn\">\(instance.dropsTotal)<br><span class=\"detail\">\(reasons)</span></td>"
            }
            html += num(instance.mismatches, warn: instance.mismatches > 0)
            html += "<td>"
            if let ago = snapshot.sinceTransition(instance) { html += "\(StatsFormat.duration(ago)) ago" }
            if let reason = instance.lastTransitionReason { html += "<br><span class=\"detail\">\(reason.htmlEscaped)</span>" }
            html += "</td>"
            if let admin {
                html += "<td class=\"adm\"><form method=\"post\" action=\"\(admin.actionPath.htmlEscaped)\">"
                html += "<input type=\"hidden\" name=\"csrf\" value=\"\(admin.csrfToken.htmlEscaped)\">"
                html += "<input type=\"hidden\" name=\"instance\" value=\"\(instance.name.htmlEscaped)\">"
                html += instance.steppedDown
                    ? "<button type=\"submit\" name=\"action\" value=\"vrrp-restore\">Restore priority</button>"
                    : "<button type=\"submit\" name=\"action\" value=\"vrrp-step-down\" title=\"lower the effective priority so the peer takes over\">Step down</button>"
                html += "</form></td>"
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    // MARK: - Charts

    private static let chartWidth = 600, chartHeight = 140, chartPad = 34
    /// Line colours for the latency chart, one per server (cycled).
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    private static func charts(_ snapshot: StatsSnapshot) -> String {
        let history = snapshot.history
        let minutes = max(1, history.capacity / 60)
        var html = "<div class=\"charts\">\n"
        let rates = history.samples.map(\.sessionRate)
        html += "<figure><figcaption>Session rate (per second), last \(minutes) min</figcaption>\n"
        html += chart(series: [(color: palette[0], values: rates.map { Optional($0) })], capacity: history.capacity,
                      unit: "/s", id: "chart-rate")
        html += "</figure>\n"

        let servers = snapshot.proxy.backends
        let latency = servers.indices.map { server in
            (color: palette[server % palette.count],
             values: history.samples.map { sample -> Double? in
                 server < sample.checkLatencies.count ? sample.checkLatencies[server].map { StatsFormat.seconds($0) * 1000 } : nil
             })
        }
        html += "<figure><figcaption>Check latency (ms), last \(minutes) min</figcaption>\n"
        html += chart(series: latency, capacity: history.capacity, unit: " ms", id: "chart-latency")
        html += "<div class=\"keys\">"
        for (index, backend) in servers.enumerated() {
            html += "<span><i class=\"c\(index % palette.count)\"></i>\(backend.status.address.htmlEscaped)</span> "
        }
        html += "</div></figure>\n"
        if snapshot.cluster != nil {
            html += "<figure><figcaption>Command rate (per second), last \(minutes) min</figcaption>\n"
            html += chart(series: [(color: palette[0], values: history.samples.map { Optional($0.commandRate) })],
                          capacity: history.capacity, unit: "/s", id: "chart-commands")
            html += "</figure>\n"
        }
        html += "</div>\n"
        return html
    }

    /// An inline SVG line chart: x = the last `capacity` seconds (newest right), y from 0 to the maximum.
    static func chart(series: [(color: String, values: [Double?])], capacity: Int, unit: String, id: String) -> String {
        let width = chartWidth, height = chartHeight, pad = chartPad
        let plotWidth = Double(width - pad - 6), plotHeight = Double(height - 22)
        let peak = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        let top = niceCeiling(peak)
        var svg = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\""
        svg += " viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        svg += "<rect x=\"\(pad)\" y=\"6\" width=\"\(Int(plotWidth))\" height=\"\(Int(plotHeight))\" fill=\"#fff\" stroke=\"#999\"/>"
        for fraction in [0.25, 0.5, 0.75] {
            let y = 6 + plotHeight * (1 - fraction)
            svg += "<line x1=\"\(pad)\" y1=\"\(coord(y))\" x2=\"\(coord(Double(pad) + plotWidth))\" y2=\"\(coord(y))\" stroke=\"#eee\"/>"
        }
        svg += "<text x=\"\(pad - 3)\" y=\"12\" text-anchor=\"end\">\(label(top))</text>"
        svg += "<text x=\"\(pad - 3)\" y=\"\(Int(plotHeight) + 6)\" text-anchor=\"end\">0</text>"
        svg += "<text x=\"\(pad)\" y=\"\(height - 3)\">-\(capacity / 60) min</text>"
        svg += "<text x=\"\(width - 6)\" y=\"\(height - 3)\" text-anchor=\"end\">now</text>"
        let longest = series.map(\.values.count).max() ?? 0
        if longest < 2 {
            svg += "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\" fill=\"#888\">collecting samples…</text>"
        }
        for line in series where line.values.count >= 2 {
            // Newest sample at the right edge; a gap (nil) starts a new polyline.
            let offset = capacity - line.values.count
            var segments: [[String]] = [[]]
            for (index, value) in line.values.enumerated() {
                guard let value else {
                    if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                    continue
                }
                let x = Double(pad) + plotWidth * Double(offset + index) / Double(max(1, capacity - 1))
                let y = 6 + plotHeight * (1 - (top > 0 ? min(value, top) / top : 0))
                segments[segments.count - 1].append("\(coord(x)),\(coord(y))")
            }
            for points in segments where points.count >= 2 {
                svg += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
            }
        }
        let last = series.compactMap { $0.values.last ?? nil }
        if let newest = last.max() {
            svg += "<text x=\"\(width - 8)\" y=\"20\" text-anchor=\"end\" fill=\"#333\">now \(label(newest))\(unit.htmlEscaped)</text>"
        }
        return svg + "</svg>\n"
    }

    /// 1, 2, 5 × 10^n at or above `value` (so the axis label is a round number).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        while magnitude > value { magnitude /= 10 }
        for step in [1.0, 2, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func label(_ value: Double) -> String {
        if value >= 100 || value == value.rounded() { return StatsFormat.fixed(value, decimals: 0) }
        return StatsFormat.fixed(value, decimals: value >= 10 ? 1 : 2)
    }

    static func coord(_ value: Double) -> String { StatsFormat.fixed(value, decimals: 1) }

    // MARK: - Cells

    static func num<T: BinaryInteger>(_ value: T, warn: Bool = false) -> String {
        "<td class=\"n\(warn ? " warn" : "")\">\(StatsFormat.count(value))</td>"
    }

    static func rate(_ value: Double) -> String {
        "<td class=\"n\">\(StatsFormat.count(Int(value.rounded())))</td>"
    }

    static func bytes(_ value: UInt64) -> String {
        "<td class=\"n\" title=\"\(value) bytes\">\(StatsFormat.bytes(value))</td>"
    }

    private static let paletteStyle = palette.enumerated().map { ".keys i.c\($0.offset){background:\($0.element)}" }
        .joined()

    // HAProxy's status colours; rows take the class of their state.
    private static let style = """
        body{font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#000;background:#fff;margin:8px 12px}
        h1{font-size:20px;margin:4px 0 8px;color:#14457a}h1 .ver{font-size:14px;color:#555}h1 .sub{font-size:13px;color:#777;font-weight:normal;margin-left:8px}
        h2{font-size:14px;margin:14px 0 4px;background:#20435c;color:#fff;padding:3px 6px;display:inline-block}h2 .px{color:#ffd}
        a{color:#14457a}code{font-size:11px}
        table.top{border-collapse:collapse;margin-bottom:6px}table.top>tbody>tr>td{vertical-align:top;padding:4px 12px 4px 0;line-height:1.5}
        td.info{min-width:320px}td.legend table{border-collapse:collapse}td.legend td{padding:1px 4px;line-height:1.3}
        td.swatch{width:18px;border:1px solid #888}td.opts ul{margin:0 0 4px;padding-left:16px}
        .ok{color:#060;font-weight:bold}.bad{color:#c00;font-weight:bold}
        table.tbl{border-collapse:collapse;border:1px solid #999;margin-bottom:4px}
        table.tbl th{background:#b8c7d6;border:1px solid #999;padding:2px 5px;font-weight:bold;white-space:nowrap}
        table.tbl td{border:1px solid #bbb;padding:2px 5px;white-space:nowrap}table.tbl td.n{text-align:right}
        td.name{font-weight:bold}td.st{font-weight:bold}td.chk{white-space:normal;max-width:260px}
        .detail{color:#333;font-size:11px;font-weight:normal}.warn{color:#c00;font-weight:bold}
        tr.fe td,tr.be td{background:#eef}tr.be td{font-weight:bold}
        .s-up{background:#c0ffc0}.s-going-down{background:#ffffa0}.s-going-up{background:#ffd020}.s-down{background:#ff9090}
        .s-up-not-routable{background:#b0d0ff}.s-not-checked{background:#e0e0e0}.s-drain{background:#20a0ff}.s-maint{background:#c07820}
        .v-master{background:#c0ffc0}.v-backup{background:#b0d0ff}.v-init{background:#e0e0e0}.v-fault{background:#ff9090}
        td.adm form{margin:0;display:flex;gap:2px}td.adm button{font-size:11px;padding:1px 5px;cursor:pointer}
        .charts{display:flex;flex-wrap:wrap;gap:16px;margin:6px 0}figure{margin:0}
        figcaption{font-weight:bold;margin-bottom:2px}svg text{font-size:10px;font-family:Arial,Helvetica,sans-serif}
        .keys span{margin-right:10px;white-space:nowrap}.keys i{display:inline-block;width:10px;height:10px;margin-right:3px;vertical-align:middle}
        p.notice{background:#ffffa0;border:1px solid #cc0;padding:4px 8px;display:inline-block}
        p.none{color:#555;font-style:italic}p.foot{color:#666;margin-top:16px}
        """
}

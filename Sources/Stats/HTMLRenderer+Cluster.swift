import Proxy

/// The cluster-mode section of the stats page (masters, slot map, command latency).
extension HTMLRenderer {
    static func clusterSection(_ cluster: ClusterStats, _ snapshot: StatsSnapshot) -> String {
        let frontend = snapshot.proxy.frontend, history = snapshot.history
        var html = "<h2>Cluster</h2>\n<table class=\"tbl\" id=\"cluster-frontend\">\n"
        html += "<tr class=\"h1\"><th rowspan=\"2\"></th><th>Commands</th><th colspan=\"2\">Command rate</th>"
        html += "<th colspan=\"2\" title=\"from a request's arrival to its reply being queued; accurate to a factor of two\">Latency</th></tr>\n"
        html += "<tr class=\"h2\"><th>Total</th><th>Cur</th><th>Max</th><th>p50</th><th>p99</th></tr>\n"
        html += "<tr class=\"fe\" id=\"cluster-commands\"><td class=\"name\">FRONTEND</td>" + num(frontend.commands)
        html += rate(history.currentCommandRate) + rate(history.maxCommandRate)
        for fraction in [0.5, 0.99] {
            let text = StatsFormat.latency(upperBoundMicroseconds: frontend.latency.quantileMicroseconds(fraction))
            html += "<td class=\"n\">\(text.htmlEscaped)</td>"
        }
        html += "</tr>\n</table>\n"

        html += "<table class=\"tbl\" id=\"masters\">\n<tr class=\"h1\"><th rowspan=\"2\">Master</th>"
        html += "<th rowspan=\"2\">Commands</th><th colspan=\"3\">Redirections followed</th>"
        html += "<th rowspan=\"2\" title=\"commands answered with an error of Ferry's: connect failed, connection lost\">Errors</th>"
        html += "<th rowspan=\"2\" title=\"commands that waited for a new master (cluster.hold)\">Held</th>"
        html += "<th rowspan=\"2\" title=\"sent, not yet answered\">In flight</th>"
        html += "<th rowspan=\"2\" title=\"connections opened\">Connects</th><th rowspan=\"2\">Slots</th></tr>\n"
        html += "<tr class=\"h2\"><th>MOVED</th><th>ASK</th><th>TRYAGAIN</th></tr>\n"
        func counterCells(_ counters: MasterCounters) -> String {
            num(counters.commands) + num(counters.moved) + num(counters.asked) + num(counters.tryAgain)
                + num(counters.errors, warn: counters.errors > 0) + num(counters.held) + num(counters.inFlight)
                + num(counters.connects)
        }
        for (index, master) in cluster.masters.enumerated() {
            html += "<tr class=\"\(master.slots > 0 ? "s-up" : "s-not-checked")\" id=\"master-\(index)\">"
            html += "<td class=\"name\">\(master.name.htmlEscaped)</td>" + counterCells(master.counters)
            html += num(master.slots) + "</tr>\n"
        }
        html += "<tr class=\"be\" id=\"masters-total\"><td class=\"name\">MASTERS</td>" + counterCells(cluster.totals)
        html += num(cluster.coveredSlots, warn: !cluster.fullyCovered) + "</tr>\n</table>\n"

        guard let map = cluster.slotMap else {
            return html + "<p class=\"none\" id=\"slot-map\">Slot map: not read yet.</p>\n"
        }
        html += "<p id=\"slot-map-summary\">Slot map: <span class=\"\(cluster.fullyCovered ? "ok" : "bad")\">"
        html += "\(StatsFormat.count(map.coveredSlots)) of \(StatsFormat.count(ClusterStats.slotCount)) slots covered</span>"
        html += " · \(map.ranges.count) \(map.ranges.count == 1 ? "range" : "ranges")"
        html += " · read \(StatsFormat.duration(snapshot.slotMapAge(map))) ago</p>\n"
        html += "<table class=\"tbl\" id=\"slot-map\">\n<tr class=\"h1\"><th>Slots</th><th>Count</th><th>Master</th></tr>\n"
        for (index, range) in map.ranges.prefix(slotRangesShown).enumerated() {
            html += "<tr id=\"range-\(index)\"><td>\(ClusterStats.label(range))</td>" + num(max(0, range.last - range.first + 1))
            html += "<td class=\"name\">\(range.master.htmlEscaped)</td></tr>\n"
        }
        if map.ranges.count > slotRangesShown {
            html += "<tr id=\"range-more\"><td colspan=\"3\" class=\"detail\">… \(map.ranges.count - slotRangesShown) more ranges: see the JSON export</td></tr>\n"
        }
        return html + "</table>\n"
    }
}

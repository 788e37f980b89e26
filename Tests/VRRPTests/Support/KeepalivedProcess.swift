import Foundation
import Glibc

/// A real keepalived (VRRP only) running in one lab host, for interoperability tests.
///
/// Writes its configuration into the lab's directory and runs
/// `keepalived --vrrp --dont-fork --log-console --log-detail --no-syslog --use-file=CONF
/// --pid=… --vrrp_pid=…` (flags as keepalived 2.2.7's `--help` lists them) inside the host's
/// namespace; the log (keepalived's console output) is kept for assertions.
final class KeepalivedProcess: @unchecked Sendable {
    /// One `vrrp_instance` block.
    struct Instance: Sendable {
        enum State: String, Sendable { case master = "MASTER", backup = "BACKUP" }

        var name = "VI_1"
        var state: State = .backup
        var interface = "eth0"
        var virtualRouterID: UInt8 = 51
        var priority: UInt8 = 100
        /// Seconds; fractions (centiseconds) only with version 3.
        var advertInterval = "1"
        var version = 3
        var preempt = true
        /// Unicast mode: our address and the peers'; none means multicast to 224.0.0.18.
        var unicastSource: String?
        var unicastPeers: [String] = []
        /// "a.b.c.d/len" entries.
        var virtualAddresses: [String] = []

        var configuration: String {
            var lines = [
                "vrrp_instance \(name) {",
                "    state \(state.rawValue)",
                "    interface \(interface)",
                "    virtual_router_id \(virtualRouterID)",
                "    priority \(priority)",
                "    advert_int \(advertInterval)",
                "    version \(version)",
            ]
            if !preempt { lines.append("    nopreempt") }
            if let unicastSource { lines.append("    unicast_src_ip \(unicastSource)") }
            if !unicastPeers.isEmpty {
                lines.append("    unicast_peer {")
                lines += unicastPeers.map { "        \($0)" }
                lines.append("    }")
            }
            lines.append("    virtual_ipaddress {")
            lines += virtualAddresses.map { "        \($0) dev \(interface)" }
            lines.append("    }")
            lines.append("}")
            return lines.joined(separator: "\n")
        }
    }

    static var isInstalled: Bool { LabProcess.which("keepalived") != nil }

    let host: NetworkLab.Host
    let configFile: URL
    let process: LabProcess
    private let vrrpPIDFile: URL

    /// Writes the configuration and starts keepalived in `host`.
    init(lab: NetworkLab, host: NetworkLab.Host, instances: [Instance], name: String = "keepalived") throws {
        let base = lab.directory.appendingPathComponent("\(name)-\(host.index)")
        configFile = base.appendingPathExtension("conf")
        vrrpPIDFile = base.appendingPathExtension("vrrp.pid")
        self.host = host
        let configuration = Self.configuration(routerID: "\(name)_\(host.index)", instances: instances)
        try configuration.write(to: configFile, atomically: true, encoding: .utf8)
        process = try lab.spawn(in: host, [
            "keepalived", "--vrrp", "--dont-fork", "--log-console", "--log-detail", "--no-syslog",
            "--use-file=\(configFile.path)",
            "--pid=\(base.appendingPathExtension("pid").path)",
            "--vrrp_pid=\(vrrpPIDFile.path)",
        ], logName: "\(name)-\(host.index).log")
    }

    /// The whole configuration file.
    static func configuration(routerID: String, instances: [Instance]) -> String {
        """
        global_defs {
            router_id \(routerID)
            # No scripts run here; keeps keepalived from warning about a missing script user.
            script_user root
            enable_script_security
        }

        \(instances.map(\.configuration).joined(separator: "\n\n"))

        """
    }

    /// keepalived's log so far.
    var log: String { process.log }

    /// Waits until keepalived logged `text` (e.g. "Entering MASTER STATE").
    func waitForLog(containing text: String, timeout: Duration = .seconds(15)) -> Bool {
        process.waitForLog(containing: text, timeout: timeout)
    }

    /// The PID of keepalived's VRRP child, once it wrote its PID file.
    var vrrpPID: pid_t? {
        (try? String(contentsOf: vrrpPIDFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// SIGTERM: keepalived sends a priority-0 advert, removes its VIPs and exits.
    func stop() {
        process.stop(grace: .seconds(5))
    }
}

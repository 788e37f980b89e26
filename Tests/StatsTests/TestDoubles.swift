import Config
import Foundation
import Logging
import Synchronization

@testable import Proxy
@testable import Stats

/// Records admin requests instead of queueing them to a control loop.
final class RecordingProxyAdmin: ProxyAdmin {
    struct Call: Equatable {
        var state: AdminState
        var server: Int
        var by: String
    }

    private let recorded = Mutex<[Call]>([])
    var calls: [Call] { recorded.withLock { $0 } }

    func setAdminState(_ state: AdminState, server: Int, by: String) {
        recorded.withLock { $0.append(Call(state: state, server: server, by: by)) }
    }
}

/// A VRRP speaker stand-in with one instance that can be stepped down and restored.
final class FakeVRRP: VRRPAdmin {
    private let instances: Mutex<[VRRPInstanceStatus]>
    private let log = Mutex<[String]>([])
    var actions: [String] { log.withLock { $0 } }

    init(_ instances: [VRRPInstanceStatus]) {
        self.instances = Mutex(instances)
    }

    func vrrpStatus() -> [VRRPInstanceStatus] { instances.withLock { $0 } }

    func stepDown(instance: String, by: String) -> Bool { apply(instance, by: by, steppedDown: true) }
    func restore(instance: String, by: String) -> Bool { apply(instance, by: by, steppedDown: false) }

    private func apply(_ name: String, by: String, steppedDown: Bool) -> Bool {
        let known = instances.withLock { list in
            guard let index = list.firstIndex(where: { $0.name == name }) else { return false }
            list[index].steppedDown = steppedDown
            return true
        }
        if known { log.withLock { $0.append("\(steppedDown ? "step-down" : "restore") \(name) by \(by)") } }
        return known
    }
}

/// A StatsServer over fixture snapshots, listening on a free loopback port.
enum TestServer {
    static let password = "pa55:word"

    static func config(auth: Bool, path: String = "/stats") -> FerryConfig {
        var config = FerryConfig()
        config.stats.listen = Endpoint(host: "127.0.0.1", port: 0, family: .ipv4)
        config.stats.path = path
        config.stats.refresh = .seconds(3)
        config.path = "/etc/ferry/test.yaml"
        if auth { config.stats.auth = Credentials(username: "admin", passwordFile: "/dev/null", password: password) }
        return config
    }

    static func make(auth: Bool, statuses: [BackendStatus] = Fixtures.statesByServer.map(\.0), vrrp: FakeVRRP? = nil,
                     admin: RecordingProxyAdmin = RecordingProxyAdmin(), options: StatsServer.Options = .init(),
                     path: String = "/stats") -> StatsServer {
        let proxy = Fixtures.proxy(statuses)
        var logger = Logger(label: "stats-test")
        logger.logLevel = .critical
        return StatsServer(config: config(auth: auth, path: path), snapshot: { proxy }, admin: admin, version: "9.9.9",
                           logger: logger, vrrp: vrrp, options: options)
    }

    static var basic: String { "Basic " + Data("admin:\(password)".utf8).base64EncodedString() }
}

import Cluster
import Config
import EventLoop

/// Brings the nodes a slot map names into the health checks, and onto the stats page, as if they
/// were configured: the topology thread posts them here, and the control loop adopts them through
/// the same path as a reload (``ProxyServer``), so a node added to the cluster is checked without
/// a config change.
final class NodeDiscovery: EventHandler {
    let mailbox: Mailbox<[Endpoint]>
    private let adopt: ([Endpoint]) -> Void

    init(loop: EpollLoop, adopt: @escaping ([Endpoint]) -> Void) throws(SystemError) {
        mailbox = try Mailbox()
        self.adopt = adopt
        try loop.watch(mailbox, handler: loop.add(handler: self), data: 0)
    }

    func handleEvent(data: UInt64, events: UInt32) {
        for nodes in mailbox.receive() { adopt(nodes) }
    }

    /// Every node of `map`, masters and replicas, in map order.
    static func endpoints(of map: SlotMap) -> [Endpoint] {
        map.masters.flatMap { [$0.master] + $0.replicas }.map {
            Endpoint(host: $0.host, port: $0.port, family: $0.host.contains(":") ? .ipv6 : .ipv4)
        }
    }
}

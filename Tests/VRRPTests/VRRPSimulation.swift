@testable import VRRP

/// A fake clock and a shared link for several state machines: adverts they send are encoded to
/// real IP packets, decoded and filtered like the speaker will, and delivered to every other
/// router that is up and connected. Time only moves when the test says so; timers fire at their
/// exact deadlines, in order.
struct VRRPSimulation {
    struct Router {
        var machine: VRRPStateMachine
        var filter: VRRPAdvertisementFilter
        var up = true
        /// Everything this router was asked to do, with the time.
        var log: [(at: UInt64, action: VRRPAction)] = []
    }

    /// A start time well away from zero, so "now − something" never underflows in tests.
    static let start: UInt64 = 1_000_000_000_000

    var now: UInt64 = VRRPSimulation.start
    var routers: [Router] = []
    /// Pairs (sender, receiver) whose packets are lost.
    var cut: Set<[Int]> = []
    /// Packets seen on the wire, for assertions: (time, sender index, priority).
    var wire: [(at: UInt64, from: Int, priority: UInt8)] = []

    @discardableResult
    mutating func add(_ configuration: VRRPStateMachine.Configuration) -> Int {
        routers.append(Router(
            machine: VRRPStateMachine(configuration: configuration),
            filter: VRRPAdvertisementFilter(configuration: configuration, localAddresses: [])
        ))
        return routers.count - 1
    }

    func machine(_ index: Int) -> VRRPStateMachine { routers[index].machine }
    func state(_ index: Int) -> VRRPStateMachine.State { routers[index].machine.state }

    /// Delivers an event to one router now and lets the link carry what it sends.
    @discardableResult
    mutating func send(_ event: VRRPEvent, to index: Int) -> [VRRPAction] {
        let actions = routers[index].machine.handle(event, now: now)
        perform(actions, by: index)
        return actions
    }

    /// A crash: the router stops without resigning and hears nothing.
    mutating func crash(_ index: Int) { routers[index].up = false }

    /// Runs every timer due up to `time` (inclusive), in deadline order, then sets the clock.
    mutating func run(until time: UInt64) {
        while let (index, deadline) = nextTimer(), deadline <= time {
            now = deadline
            send(.timerExpired, to: index)
        }
        now = time
    }

    mutating func run(for duration: UInt64) { run(until: now + duration) }

    /// Runs until `condition` holds or `limit` passes; returns the time it held.
    mutating func run(until condition: (VRRPSimulation) -> Bool, limit: UInt64) -> UInt64? {
        if condition(self) { return now }
        while let (index, deadline) = nextTimer(), deadline <= now + limit {
            now = deadline
            send(.timerExpired, to: index)
            if condition(self) { return now }
        }
        return nil
    }

    private func nextTimer() -> (Int, UInt64)? {
        routers.indices
            .filter { routers[$0].up }
            .compactMap { index in routers[index].machine.nextDeadline.map { (index, $0) } }
            .min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    }

    private mutating func perform(_ actions: [VRRPAction], by index: Int) {
        guard routers[index].up else { return }
        for action in actions {
            routers[index].log.append((now, action))
            guard case .sendAdvertisement(let priority) = action else { continue }
            let sender = routers[index].machine
            let bytes = sender.advertisement(priority: priority)
                .encodeIPPacket(source: sender.configuration.primaryAddress, destination: .vrrpMulticast)
            wire.append((now, index, priority))
            for receiver in routers.indices where receiver != index && routers[receiver].up && !cut.contains([index, receiver]) {
                deliver(bytes, to: receiver)
            }
        }
    }

    private mutating func deliver(_ bytes: [UInt8], to receiver: Int) {
        let header: IPv4Header, packet: VRRPPacket
        do {
            (header, packet) = try VRRPPacket.decode(ipPacket: bytes)
        } catch {
            routers[receiver].machine.recordDrop(error)
            return
        }
        switch routers[receiver].filter.check(packet, source: header.source) {
        case .drop(let reason, let mismatch):
            routers[receiver].machine.recordDrop(reason)
            if let mismatch { routers[receiver].machine.recordMismatch(mismatch) }
        case .accept(let mismatches):
            for mismatch in mismatches { routers[receiver].machine.recordMismatch(mismatch) }
            send(.advertisementReceived(packet, source: header.source), to: receiver)
        }
    }

    /// The transitions a router logged, as (time, state entered, reason).
    func transitions(_ index: Int) -> [(at: UInt64, to: VRRPStateMachine.State, reason: VRRPTransitionReason)] {
        routers[index].log.compactMap { entry in
            switch entry.action {
            case .becomeMaster(let reason): (entry.at, .master, reason)
            case .becomeBackup(let reason): (entry.at, .backup, reason)
            case .stop(let reason): (entry.at, .initialize, reason)
            default: nil
            }
        }
    }
}

extension VRRPStateMachine.Configuration {
    /// A test instance: vrid 51, VIP 10.0.0.123, interval 1 s unless told.
    static func test(
        _ version: VRRPPacket.Version = .v3, priority: UInt8, address: IPv4Address, interval: UInt64 = 1_000_000_000,
        preempt: Bool = true, preemptDelay: UInt64 = 0
    ) -> Self {
        .init(
            version: version, vrid: 51, priority: priority, advertInterval: interval, preempt: preempt,
            preemptDelay: preemptDelay, primaryAddress: address, virtualAddresses: [IPv4Address(10, 0, 0, 123)]
        )
    }
}

let second: UInt64 = 1_000_000_000
let millisecond: UInt64 = 1_000_000

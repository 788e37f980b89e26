import Config
import EventLoop
import Logging

/// Every configured VRRP instance, run on the control loop (never behind data-plane work, so a
/// busy proxy cannot delay an advert), with backend tracking and operator requests.
public final class VRRPService: EventHandler {
    /// Thread-safe read access and step-down/restore, for the stats server.
    public let monitor: VRRPMonitor
    private let loop: EpollLoop
    private let logger: Logger
    private var speakers: [VRRPSpeaker] = []
    private let hasRoutableBackend: () -> Bool
    private static let trackingInterval: Duration = .milliseconds(100)

    /// - Parameter hasRoutableBackend: read every 100 ms; while false, each instance's priority
    ///   moves by its `track_backends_weight`.
    public init(configs: [VRRPInstanceConfig], loop: EpollLoop, logger: Logger,
                hasRoutableBackend: @escaping () -> Bool) throws {
        self.loop = loop
        self.logger = logger
        self.hasRoutableBackend = hasRoutableBackend
        let addresses = try VirtualAddressManager()
        monitor = try VRRPMonitor(initial: configs.map {
            VRRPInstanceSnapshot(name: $0.name, interface: $0.interface, vrid: $0.vrid, state: .initialize, fault: nil,
                                 configuredPriority: $0.priority, effectivePriority: $0.priority, steppedDown: false,
                                 trackingDown: false, virtualIPs: $0.virtualIPs, counters: VRRPCounters())
        })
        for (index, config) in configs.enumerated() {
            speakers.append(VRRPSpeaker(config: config, loop: loop, addresses: addresses, logger: logger) { [monitor] snapshot in
                monitor.publish(snapshot, at: index)
            })
        }
        try loop.watch(monitor.mailbox, handler: loop.add(handler: self), data: 0)
    }

    public func start() {
        for speaker in speakers { speaker.start() }
        track()
    }

    /// Each master resigns with a priority-0 advert (the backup takes over after Skew_Time) and
    /// the VIPs are removed.
    public func stop() {
        for speaker in speakers { speaker.stop() }
        speakers.removeAll()
    }

    private func track() {
        guard !speakers.isEmpty else { return }
        let down = !hasRoutableBackend()
        for speaker in speakers where speaker.config.trackBackendsWeight != 0 { speaker.setTracking(down: down) }
        loop.schedule(after: Self.trackingInterval) { [weak self] in self?.track() }
    }

    public func handleEvent(data: UInt64, events: UInt32) {
        for request in monitor.mailbox.receive() {
            switch request {
            case .stepDown(let name, let by):
                speakers.first { $0.config.name == name }?.setSteppedDown(true, by: by)
            case .restore(let name, let by):
                speakers.first { $0.config.name == name }?.setSteppedDown(false, by: by)
            }
        }
    }
}

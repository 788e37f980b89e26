import Config
import EventLoop
import Foundation
import Logging

/// One VRRP instance at work on the control loop: feeds the ``VRRPStateMachine`` the adverts
/// from its ``VRRPSocket`` and its timer, and performs the actions it returns — sending adverts,
/// adding and removing the VIPs over rtnetlink, gratuitous ARP, the notify hook.
///
/// Every change is one log line with an `event` field and the instance, interface and vrid as
/// fields: `vrrp_state` (from, to, reason), `vip_added`/`vip_removed` (vip), `vrrp_priority`
/// (tracking or step-down/restore: from, to, reason, by).
final class VRRPSpeaker: EventHandler {
    let config: VRRPInstanceConfig
    private let loop: EpollLoop
    private let logger: Logger
    private let publish: (VRRPInstanceSnapshot) -> Void
    private let addresses: VirtualAddressManager
    private var machine: VRRPStateMachine?
    private var socket: VRRPSocket?
    private var arp: GratuitousARP?
    private var filter: VRRPAdvertisementFilter?
    private var primary = IPv4Address.any
    private var virtualIPs: [(address: IPv4Address, prefixLength: Int)] = []
    private var destinations: [IPv4Address] = []
    private var fault: String?
    private var timer: TimerID?
    /// Bumped when leaving Master, so gratuitous-ARP repeats scheduled earlier stop.
    private var masterTerm = 0
    private(set) var steppedDown = false
    private(set) var trackingDown = false
    /// Warnings about the same mismatch at most this often: a misconfigured peer sends one per advert.
    private var lastMismatchWarning: [String: UInt64] = [:]
    /// When gratuitous ARPs last went out for a takeover or a refresh: refreshes for another
    /// router acting as master are sent at most once a second (a peer that keeps claiming master
    /// sends one advert per interval), and not right after our own takeover's burst.
    private var lastARPRefresh: UInt64?
    /// The state the last `vrrp_state` event reported, for the next one's `from`.
    private var reportedState = "INIT"

    init(config: VRRPInstanceConfig, loop: EpollLoop, addresses: VirtualAddressManager, logger: Logger,
         publish: @escaping (VRRPInstanceSnapshot) -> Void) {
        self.config = config
        self.loop = loop
        self.addresses = addresses
        self.publish = publish
        var logger = logger
        logger[metadataKey: "instance"] = "\(config.name)"
        logger[metadataKey: "interface"] = "\(config.interface)"
        logger[metadataKey: "vrid"] = .stringConvertible(config.vrid)
        self.logger = logger
        virtualIPs = config.virtualIPs.compactMap { IPv4Address.parseCIDR($0) }
        destinations = config.unicastPeers.isEmpty ? [.vrrpMulticast] : config.unicastPeers.compactMap(IPv4Address.init)
    }

    var snapshot: VRRPInstanceSnapshot {
        VRRPInstanceSnapshot(
            name: config.name, interface: config.interface, vrid: config.vrid, state: fault == nil ? machine?.state ?? .initialize : nil,
            fault: fault, configuredPriority: config.priority, effectivePriority: Int(machine?.effectivePriority ?? UInt8(clamping: config.priority)),
            steppedDown: steppedDown, trackingDown: trackingDown, virtualIPs: config.virtualIPs,
            counters: machine?.counters ?? VRRPCounters())
    }

    /// Opens the socket, clears a VIP a crash may have left, and starts in Backup (or Master as owner).
    /// A failure leaves the instance in FAULT (logged and shown), not the whole daemon down.
    func start() {
        do {
            guard let address = try addresses.primaryAddress(of: config.interface, excluding: Set(virtualIPs.map(\.address.rawValue))) else {
                throw VRRPStartError("interface \(config.interface) has no IPv4 address")
            }
            primary = IPv4Address(rawValue: address)
            let socket = try VRRPSocket(interface: config.interface, joinMulticastGroup: config.unicastPeers.isEmpty)
            try loop.register(fd: socket.fd, events: EpollLoop.readable | EpollLoop.edgeTriggered,
                              handler: loop.add(handler: self), data: 0)
            self.socket = socket
            arp = try? GratuitousARP(interface: config.interface)
            for vip in virtualIPs where try addresses.removeIfPresent(vip.address.rawValue, from: config.interface) {
                logger.warning("removed \(vip.address) from \(config.interface), left by an earlier run",
                               metadata: ["event": "vip_removed", "vip": "\(vip.address)/\(vip.prefixLength)",
                                          "reason": "left by an earlier run"])
            }
        } catch {
            fault = "\(error)"
            logger.error("VRRP \(config.name) → FAULT: cannot start: \(error)",
                         metadata: ["event": "vrrp_state", "from": "\(reportedState)", "to": "FAULT", "reason": "cannot start: \(error)"])
            reportedState = "FAULT"
            publish(snapshot)
            return
        }
        let configuration = VRRPStateMachine.Configuration(config, primaryAddress: primary)
        machine = VRRPStateMachine(configuration: configuration)
        filter = VRRPAdvertisementFilter(configuration: configuration, unicastPeers: config.unicastPeers.compactMap(IPv4Address.init),
                                         localAddresses: [primary])
        logger.info("VRRP instance \(config.name) on \(config.interface) from \(primary), vrid \(config.vrid), v\(config.version), priority \(config.priority)",
                    metadata: ["event": "vrrp_start", "address": "\(primary)", "version": .stringConvertible(config.version),
                               "priority": .stringConvertible(config.priority)])
        handle(.startup)
    }

    /// Resigns (priority 0 advert) and removes the VIPs.
    func stop() {
        guard machine != nil else { return }
        handle(.shutdown)
        if let timer { loop.cancel(timer) }
        socket?.close()
    }

    /// Tracking and step-down both act through the effective priority.
    func setTracking(down: Bool) {
        guard down != trackingDown else { return }
        let from = effectivePriority()
        trackingDown = down
        let reason = down ? "no backend routable" : "backends routable again"
        logger.notice("VRRP \(config.name): \(reason): effective priority \(from) → \(effectivePriority())",
                      metadata: ["event": "vrrp_priority", "from": .stringConvertible(Int(from)),
                                 "to": .stringConvertible(Int(effectivePriority())), "reason": "\(down ? "tracking_down" : "tracking_up")"])
        handle(.setEffectivePriority(effectivePriority()))
    }

    func setSteppedDown(_ value: Bool, by: String) {
        guard value != steppedDown else { return }
        let from = effectivePriority()
        steppedDown = value
        logger.notice("VRRP \(config.name): \(value ? "step down" : "restore") by \(by): effective priority \(from) → \(effectivePriority())",
                      metadata: ["event": "vrrp_priority", "from": .stringConvertible(Int(from)),
                                 "to": .stringConvertible(Int(effectivePriority())), "reason": "\(value ? "step_down" : "restore")",
                                 "by": "\(by)"])
        handle(.setEffectivePriority(effectivePriority()))
    }

    private func effectivePriority() -> UInt8 {
        if config.priority == 255 && !steppedDown && !trackingDown { return 255 }
        if steppedDown { return 1 }
        let tracked = config.priority + (trackingDown ? config.trackBackendsWeight : 0)
        return UInt8(clamping: min(254, max(1, tracked)))
    }

    // MARK: Events

    func handleEvent(data: UInt64, events: UInt32) {
        guard let socket else { return }
        while true {
            let datagram: VRRPSocket.Datagram?
            do {
                datagram = try socket.receive()
            } catch {
                logger.error("VRRP receive failed: \(error)", metadata: ["event": "vrrp_receive_failed", "error": "\(error)"])
                return
            }
            guard let datagram else { return }
            receive(datagram)
        }
    }

    private func receive(_ datagram: VRRPSocket.Datagram) {
        let decoded: (header: IPv4Header, packet: VRRPPacket)
        do {
            decoded = try VRRPPacket.decode(ipPacket: datagram.bytes)
        } catch {
            machine?.recordDrop(error)
            logger.debug("dropped VRRP packet from \(IPv4Address(rawValue: datagram.source)): \(error)")
            publish(snapshot)
            return
        }
        let source = decoded.header.source
        switch filter!.check(decoded.packet, source: source) {
        case .drop(let reason, let mismatch):
            machine?.recordDrop(reason)
            if let mismatch { warn(mismatch) }
            if reason != .unknownVRID && reason != .ownAddress {
                logger.debug("dropped VRRP packet from \(source): \(reason)")
            }
            publish(snapshot)
        case .accept(let mismatches):
            for mismatch in mismatches {
                machine?.recordMismatch(mismatch)
                warn(mismatch)
            }
            handle(.advertisementReceived(decoded.packet, source: source))
        }
    }

    private func warn(_ mismatch: VRRPMismatch) {
        let key = "\(mismatch)"
        if let last = lastMismatchWarning[key], loop.now &- last < 10_000_000_000 { return }
        lastMismatchWarning[key] = loop.now
        logger.warning("VRRP configuration mismatch (split-brain risk): \(mismatch)",
                       metadata: ["event": "vrrp_mismatch", "mismatch": "\(mismatch)"])
    }

    private func handle(_ event: VRRPEvent) {
        guard machine != nil else { return }
        let actions = machine!.handle(event, now: MonotonicClock.now())
        for action in actions { perform(action) }
        rearmTimer()
        publish(snapshot)
    }

    private func rearmTimer() {
        if let timer { loop.cancel(timer) }
        timer = nil
        guard let deadline = machine?.nextDeadline else { return }
        timer = loop.schedule(at: deadline) { [unowned self] in
            timer = nil
            handle(.timerExpired)
        }
    }

    // MARK: Actions

    private func perform(_ action: VRRPAction) {
        switch action {
        case .sendAdvertisement(let priority):
            let packet = machine!.advertisement(priority: priority)
            for destination in destinations {
                do {
                    try socket?.send(packet.encode(source: primary, destination: destination),
                                     to: destination.rawValue, source: primary.rawValue)
                } catch {
                    logger.error("cannot send VRRP advert to \(destination): \(error)",
                                 metadata: ["event": "vrrp_send_failed", "destination": "\(destination)", "error": "\(error)"])
                }
            }
        case .becomeMaster(let reason):
            transition(to: "MASTER", reason: "\(reason)")
        case .becomeBackup(let reason):
            masterTerm += 1
            transition(to: "BACKUP", reason: "\(reason)")
        case .stop(let reason):
            masterTerm += 1
            transition(to: "INIT", reason: "\(reason)")
        case .addVirtualAddresses:
            for vip in virtualIPs {
                do {
                    try addresses.add(vip.address.rawValue, prefixLength: UInt8(vip.prefixLength), to: config.interface)
                    logger.notice("added \(vip.address)/\(vip.prefixLength) to \(config.interface)",
                                  metadata: ["event": "vip_added", "vip": "\(vip.address)/\(vip.prefixLength)"])
                } catch let error where error.errno == EEXIST {
                    continue
                } catch {
                    logger.error("cannot add \(vip.address)/\(vip.prefixLength) to \(config.interface): \(error)",
                                 metadata: ["event": "vip_add_failed", "vip": "\(vip.address)/\(vip.prefixLength)", "error": "\(error)"])
                }
            }
        case .removeVirtualAddresses:
            for vip in virtualIPs {
                do {
                    if try addresses.removeIfPresent(vip.address.rawValue, from: config.interface) {
                        logger.notice("removed \(vip.address)/\(vip.prefixLength) from \(config.interface)",
                                      metadata: ["event": "vip_removed", "vip": "\(vip.address)/\(vip.prefixLength)"])
                    }
                } catch {
                    logger.error("cannot remove \(vip.address) from \(config.interface): \(error)",
                                 metadata: ["event": "vip_remove_failed", "vip": "\(vip.address)/\(vip.prefixLength)", "error": "\(error)"])
                }
            }
        case .sendGratuitousARP:
            lastARPRefresh = loop.now
            announce(term: masterTerm, count: config.garp.count)
            if let repeatAfter = config.garp.repeatAfter {
                let term = masterTerm
                loop.schedule(after: repeatAfter) { [weak self] in self?.announce(term: term, count: self?.config.garp.count ?? 0) }
            }
            if let refresh = config.garp.refresh { scheduleRefresh(term: masterTerm, every: refresh) }
        case .refreshGratuitousARP(let other):
            refreshARP(claimedBy: other)
        }
    }

    private func refreshARP(claimedBy other: IPv4Address) {
        let now = loop.now
        if let last = lastARPRefresh, now &- last < 1_000_000_000 { return }
        lastARPRefresh = now
        let key = "arp refresh \(other)"
        if lastMismatchWarning[key].map({ now &- $0 >= 10_000_000_000 }) ?? true {
            lastMismatchWarning[key] = now
            logger.notice("VRRP \(config.name): \(other) acted as master too (lower priority or resigning); sending gratuitous ARPs again",
                          metadata: ["event": "vrrp_arp_refresh", "other": "\(other)"])
        }
        announce(term: masterTerm, count: config.garp.count)
    }

    private func announce(term: Int, count: Int) {
        guard term == masterTerm, let arp else { return }
        for _ in 0..<count {
            for vip in virtualIPs {
                do {
                    try arp.announce(vip.address.rawValue)
                } catch {
                    logger.warning("gratuitous ARP for \(vip.address) failed: \(error)",
                                   metadata: ["event": "garp_failed", "vip": "\(vip.address)", "error": "\(error)"])
                }
            }
        }
    }

    private func scheduleRefresh(term: Int, every interval: Duration) {
        loop.schedule(after: interval) { [weak self] in
            guard let self, term == masterTerm else { return }
            announce(term: term, count: 1)
            scheduleRefresh(term: term, every: interval)
        }
    }

    private func transition(to state: String, reason: String) {
        logger.notice("VRRP \(config.name) \(reportedState) → \(state): \(reason)",
                      metadata: ["event": "vrrp_state", "from": "\(reportedState)", "to": "\(state)", "reason": "\(reason)"])
        reportedState = state
        guard let notify = config.notify else { return }
        // Run the hook without waiting for it; its failure is logged, never fatal.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: notify)
        process.arguments = [config.name, state]
        let logger = logger
        process.terminationHandler = { finished in
            if finished.terminationStatus != 0 {
                logger.warning("notify \(notify) \(state) exited with \(finished.terminationStatus)",
                               metadata: ["event": "vrrp_notify_failed", "notify": "\(notify)", "state": "\(state)",
                                          "exit_status": .stringConvertible(Int(finished.terminationStatus))])
            }
        }
        do {
            try process.run()
        } catch {
            logger.warning("cannot run notify \(notify): \(error)",
                           metadata: ["event": "vrrp_notify_failed", "notify": "\(notify)", "state": "\(state)", "error": "\(error)"])
        }
    }
}

/// A reason an instance cannot start, other than a syscall error.
struct VRRPStartError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

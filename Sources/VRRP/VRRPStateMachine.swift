import Config
import EventLoop

/// One VRRP instance's protocol logic (RFC 9568 §6.4 for v3, RFC 3768 §6.4 for v2) as a value:
/// it takes ``VRRPEvent``s with the current time and returns ``VRRPAction``s. No I/O, no clock
/// reads: the speaker passes `loop.now` (``MonotonicClock`` nanoseconds), performs the actions,
/// and arms one loop timer for ``nextDeadline``; tests drive it with a fake clock.
///
/// RFC timers map onto ``nextDeadline``: in Backup it is the Master_Down_Timer, in Master the
/// Adver_Timer, in Initialize there is none. Deviations from the RFC text, all keepalived's:
/// - `preempt_delay`: see ``preemptHoldUntil``.
/// - A master that receives a lower-priority advertisement (another router wrongly master)
///   answers at once with its own, so the other steps down within a round trip instead of up to
///   one interval later, and (keepalived's "refresh remote ARP cache") sends its gratuitous ARPs
///   again, because the other router's takeover pointed hosts' ARP caches at that router; it does
///   not reset its Adver_Timer. A priority-0 advert received in Master (the RFC's "send an
///   ADVERTISEMENT") refreshes the ARP caches too: the router resigning was master as well.
/// - A master that steps down for a higher-priority one resigns with a priority-0 advert, as on
///   shutdown. After a split brain the winner may never hear the loser otherwise (when its advert
///   crosses first), and would never learn that hosts followed the loser's gratuitous ARPs; hearing
///   the resignation it reasserts at once and announces the VIP again.
/// - A master whose effective priority changes advertises the new priority at once.
public struct VRRPStateMachine: Sendable {
    /// The RFC's three states. RFC 9568 renames Master to "Active"; we keep the names
    /// keepalived's logs and operators use.
    public enum State: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case initialize = "INIT"
        case backup = "BACKUP"
        case master = "MASTER"
        public var description: String { rawValue }
    }

    /// The per-instance parameters of RFC 9568 §6.1 in the machine's units.
    public struct Configuration: Sendable, Hashable {
        public var version: VRRPPacket.Version
        public var vrid: UInt8
        /// The configured (base) priority, 1…255; 255 makes this router the address owner.
        public var priority: UInt8
        /// Advertisement_Interval in nanoseconds.
        public var advertInterval: UInt64
        /// Preempt_Mode: a higher-priority backup takes over from a lower-priority master.
        public var preempt: Bool
        /// keepalived's `preempt_delay` in nanoseconds (0 = none).
        public var preemptDelay: UInt64
        /// Our address on the interface: the advertisements' source and the tie-breaker.
        public var primaryAddress: IPv4Address
        /// The virtual addresses we advertise.
        public var virtualAddresses: [IPv4Address]

        public init(
            version: VRRPPacket.Version, vrid: UInt8, priority: UInt8, advertInterval: UInt64, preempt: Bool = true,
            preemptDelay: UInt64 = 0, primaryAddress: IPv4Address, virtualAddresses: [IPv4Address]
        ) {
            self.version = version
            self.vrid = vrid
            self.priority = priority
            self.advertInterval = advertInterval
            self.preempt = preempt
            self.preemptDelay = preemptDelay
            self.primaryAddress = primaryAddress
            self.virtualAddresses = virtualAddresses
        }

        /// From a validated `vrrp:` entry; `primaryAddress` is the interface's address, which
        /// only the speaker can look up.
        public init(_ instance: VRRPInstanceConfig, primaryAddress: IPv4Address) {
            self.init(
                version: instance.version == 2 ? .v2 : .v3,
                vrid: UInt8(clamping: instance.vrid),
                priority: UInt8(clamping: instance.priority),
                advertInterval: instance.advertInterval.nanoseconds,
                preempt: instance.preempt,
                preemptDelay: instance.preemptDelay.nanoseconds,
                primaryAddress: primaryAddress,
                virtualAddresses: instance.virtualIPs.compactMap { IPv4Address.parseCIDR($0)?.address }
            )
        }
    }

    public let configuration: Configuration
    public private(set) var state: State = .initialize
    /// The priority we advertise and compare with; starts at the configured priority.
    public private(set) var effectivePriority: UInt8
    /// Master_Adver_Interval: ours while master; in a v3 backup, the master's (adopted).
    public private(set) var masterAdverInterval: UInt64
    /// When the machine next needs ``VRRPEvent/timerExpired``; `nil` when no timer runs.
    public private(set) var nextDeadline: UInt64?
    public private(set) var counters = VRRPCounters()
    /// keepalived's `preempt_time`: while a backup with a `preempt_delay` has not reached this
    /// time, it accepts lower-priority adverts (resetting its Master_Down_Timer) instead of
    /// ignoring them. Set to now + delay at startup, or at the first lower-priority advert
    /// seen when unset; cleared by an advert with a priority at least ours and on falling from
    /// Master to Backup. Once passed, the next lower-priority advert is ignored, and the
    /// Master_Down_Timer then fires as for any preemption.
    public private(set) var preemptHoldUntil: UInt64?

    /// What the running Master_Down_Timer is waiting for, to explain the takeover.
    private enum DownTimerCause: Sendable, Hashable {
        case silence
        case resigned(IPv4Address, skew: UInt64)
        case preempting(UInt8, IPv4Address)
    }
    private var downTimerCause = DownTimerCause.silence
    /// When the Master_Down_Timer was last restarted by an accepted advert (or Backup entry).
    private var lastHeard: UInt64 = 0
    private var lastMasterAddress: IPv4Address?

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.effectivePriority = configuration.priority
        self.masterAdverInterval = configuration.advertInterval
    }

    /// Skew_Time for our effective priority and the current Master_Adver_Interval.
    public var skewTime: UInt64 {
        VRRPTimers.skewTime(version: configuration.version, priority: effectivePriority, masterAdverInterval: masterAdverInterval)
    }

    /// Master_Down_Interval for our effective priority and the current Master_Adver_Interval.
    public var masterDownInterval: UInt64 {
        VRRPTimers.masterDownInterval(
            version: configuration.version, priority: effectivePriority, masterAdverInterval: masterAdverInterval
        )
    }

    /// The advertisement a ``VRRPAction/sendAdvertisement(priority:)`` asks for; encode it with
    /// ``VRRPPacket/encode(source:destination:)`` for each destination.
    public func advertisement(priority: UInt8) -> VRRPPacket {
        VRRPPacket(
            version: configuration.version, vrid: configuration.vrid, priority: priority,
            advertInterval: VRRPPacket.advertIntervalField(nanoseconds: configuration.advertInterval, version: configuration.version),
            addresses: configuration.virtualAddresses
        )
    }

    /// Counts a packet the decoder or filter dropped, for the stats page.
    public mutating func recordDrop(_ reason: VRRPDropReason) {
        counters.drops[reason, default: 0] += 1
    }

    /// Counts a mismatch the filter reported and remembers it as the latest.
    public mutating func recordMismatch(_ mismatch: VRRPMismatch) {
        switch mismatch {
        case .addressList: counters.addressListMismatches += 1
        case .advertInterval: counters.intervalMismatches += 1
        }
        counters.lastMismatch = mismatch
    }

    // MARK: - Events

    /// Feeds one event; `now` is monotonic nanoseconds (never earlier than a previous `now`).
    public mutating func handle(_ event: VRRPEvent, now: UInt64) -> [VRRPAction] {
        switch event {
        case .startup: startup(now: now)
        case .shutdown: shutdown(now: now)
        case .advertisementReceived(let packet, let source): received(packet, from: source, now: now)
        case .timerExpired: timerExpired(now: now)
        case .setEffectivePriority(let priority): setEffectivePriority(priority, now: now)
        }
    }

    private mutating func startup(now: UInt64) -> [VRRPAction] {
        guard state == .initialize else { return [] }
        if effectivePriority == VRRPPacket.ownerPriority {
            return becomeMaster(now: now, reason: .startupAsOwner)
        }
        // A crash may have left the VIP on the interface; a backup must not hold it.
        var actions = becomeBackup(now: now, reason: .startup)
        actions.append(.removeVirtualAddresses)
        if configuration.preemptDelay > 0 {
            preemptHoldUntil = VRRPTimers.adding(now, configuration.preemptDelay)
        }
        return actions
    }

    private mutating func shutdown(now: UInt64) -> [VRRPAction] {
        switch state {
        case .initialize:
            return []
        case .backup:
            transition(to: .initialize, now: now, reason: .shutdown)
            nextDeadline = nil
            return [.stop(.shutdown)]
        case .master:
            transition(to: .initialize, now: now, reason: .shutdown)
            nextDeadline = nil
            counters.releasedMaster += 1
            counters.priorityZeroSent += 1
            counters.currentMaster = nil
            return [.stop(.shutdown), advertise(priority: VRRPPacket.stopPriority, now: now), .removeVirtualAddresses]
        }
    }

    private mutating func timerExpired(now: UInt64) -> [VRRPAction] {
        guard let deadline = nextDeadline, now >= deadline else { return [] }
        switch state {
        case .initialize:
            return []
        case .backup:
            let reason: VRRPTransitionReason = switch downTimerCause {
            case .silence: .masterDown(silence: now - lastHeard, lastMaster: lastMasterAddress)
            case .resigned(let source, let skew): .masterResigned(from: source, skew: skew)
            case .preempting(let priority, let source): .preemptingLowerPriority(priority, from: source)
            }
            return becomeMaster(now: now, reason: reason)
        case .master:
            nextDeadline = VRRPTimers.adding(now, configuration.advertInterval)
            return [advertise(priority: effectivePriority, now: now)]
        }
    }

    private mutating func received(_ packet: VRRPPacket, from source: IPv4Address, now: UInt64) -> [VRRPAction] {
        // Our own packet, should the filter have let it through: never compare with ourselves.
        guard state != .initialize, source != configuration.primaryAddress else { return [] }
        counters.advertisementsReceived += 1
        if packet.priority == VRRPPacket.stopPriority { counters.priorityZeroReceived += 1 }
        switch state {
        case .initialize: return []
        case .backup: return backupReceived(packet, from: source, now: now)
        case .master: return masterReceived(packet, from: source, now: now)
        }
    }

    /// RFC 9568 §6.4.2 / RFC 3768 §6.4.2, "If an ADVERTISEMENT is received".
    private mutating func backupReceived(_ packet: VRRPPacket, from source: IPv4Address, now: UInt64) -> [VRRPAction] {
        if packet.priority == VRRPPacket.stopPriority {
            // The master resigns: the highest-priority backup (shortest skew) takes over first.
            let skew = skewTime
            nextDeadline = VRRPTimers.adding(now, skew)
            downTimerCause = .resigned(source, skew: skew)
            counters.currentMaster = nil
            return []
        }
        let holding = configuration.preemptDelay > 0 && (preemptHoldUntil.map { $0 > now } ?? true)
        if !configuration.preempt || packet.priority >= effectivePriority || holding {
            if configuration.version == .v3 {
                adoptInterval(packet)
            }
            nextDeadline = VRRPTimers.adding(now, masterDownInterval)
            downTimerCause = .silence
            lastHeard = now
            lastMasterAddress = source
            observe(packet, from: source, now: now)
            if configuration.preemptDelay > 0 {
                if packet.priority >= effectivePriority {
                    preemptHoldUntil = nil
                } else if preemptHoldUntil == nil {
                    preemptHoldUntil = VRRPTimers.adding(now, configuration.preemptDelay)
                }
            }
            return []
        }
        // Preempt: ignore the lower-priority master; the Master_Down_Timer keeps running.
        if case .resigned = downTimerCause {} else { downTimerCause = .preempting(packet.priority, source) }
        observe(packet, from: source, now: now)
        return []
    }

    /// RFC 9568 §6.4.3 / RFC 3768 §6.4.3, "If an ADVERTISEMENT is received".
    private mutating func masterReceived(_ packet: VRRPPacket, from source: IPv4Address, now: UInt64) -> [VRRPAction] {
        if packet.priority == VRRPPacket.stopPriority {
            // Someone resigned while we are master: reassert at once so backups do not take over,
            // and announce the VIP again, since hosts may have followed the resigning master.
            nextDeadline = VRRPTimers.adding(now, configuration.advertInterval)
            return [advertise(priority: effectivePriority, now: now), .refreshGratuitousARP(claimedBy: source)]
        }
        let reason: VRRPTransitionReason
        if packet.priority > effectivePriority {
            reason = .higherPriority(packet.priority, from: source)
        } else if packet.priority == effectivePriority, source > configuration.primaryAddress {
            reason = .equalPriorityHigherAddress(packet.priority, from: source)
        } else {
            // A lower-priority router thinks it is master: keepalived answers at once, with an
            // advert and gratuitous ARPs ("we receive a lower prio adv, we just refresh remote
            // ARP cache").
            return [advertise(priority: effectivePriority, now: now), .refreshGratuitousARP(claimedBy: source)]
        }
        if configuration.version == .v3 {
            adoptInterval(packet)
        }
        counters.releasedMaster += 1
        var actions = becomeBackup(now: now, reason: reason)
        // Resign (priority 0), as on shutdown: the winner may never have heard us (after a split
        // brain its advert can cross first) and learns that hosts may still follow our gratuitous
        // ARPs; it reasserts and announces the VIP again. Backups treat it as the RFC says, and the
        // winner's immediate reassertion resets their timers.
        counters.priorityZeroSent += 1
        actions.append(advertise(priority: VRRPPacket.stopPriority, now: now))
        actions.append(.removeVirtualAddresses)
        lastMasterAddress = source
        observe(packet, from: source, now: now)
        return actions
    }

    private mutating func setEffectivePriority(_ requested: UInt8, now: UInt64) -> [VRRPAction] {
        // 0 means "resigning" on the wire and 255 "address owner": neither may be reached by
        // tracking, only by configuration.
        let ceiling: UInt8 = configuration.priority == VRRPPacket.ownerPriority ? 255 : 254
        let priority = min(max(requested, 1), ceiling)
        guard priority != effectivePriority else { return [] }
        effectivePriority = priority
        guard state == .master else { return [] }
        // Tell the backups now, so one with preempt stops resetting its timer a whole interval
        // earlier; the Adver_Timer restarts from this advert.
        nextDeadline = VRRPTimers.adding(now, configuration.advertInterval)
        return [advertise(priority: priority, now: now)]
    }

    // MARK: - Transitions

    private mutating func becomeMaster(now: UInt64, reason: VRRPTransitionReason) -> [VRRPAction] {
        transition(to: .master, now: now, reason: reason)
        masterAdverInterval = configuration.advertInterval
        nextDeadline = VRRPTimers.adding(now, configuration.advertInterval)
        preemptHoldUntil = nil
        downTimerCause = .silence
        counters.becameMaster += 1
        let advert = advertise(priority: effectivePriority, now: now)
        return [.becomeMaster(reason), advert, .addVirtualAddresses, .sendGratuitousARP]
    }

    private mutating func becomeBackup(now: UInt64, reason: VRRPTransitionReason) -> [VRRPAction] {
        transition(to: .backup, now: now, reason: reason)
        if case .startup = reason { masterAdverInterval = configuration.advertInterval }
        nextDeadline = VRRPTimers.adding(now, masterDownInterval)
        preemptHoldUntil = nil
        downTimerCause = .silence
        lastHeard = now
        return [.becomeBackup(reason)]
    }

    private mutating func transition(to newState: State, now: UInt64, reason: VRRPTransitionReason) {
        counters.lastTransition = VRRPTransition(at: now, from: state, to: newState, reason: reason)
        state = newState
    }

    private mutating func advertise(priority: UInt8, now: UInt64) -> VRRPAction {
        counters.advertisementsSent += 1
        if priority != VRRPPacket.stopPriority {
            counters.currentMaster = VRRPMasterObservation(
                address: configuration.primaryAddress, priority: priority,
                advertInterval: configuration.advertInterval, lastSeen: now, isLocal: true
            )
        }
        return .sendAdvertisement(priority: priority)
    }

    /// v3 §6.4.2: "Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT".
    /// An interval of 0 would make Master_Down_Interval almost nothing and the backup flap, so
    /// it is not adopted.
    private mutating func adoptInterval(_ packet: VRRPPacket) {
        let interval = packet.advertIntervalNanoseconds
        if interval > 0 { masterAdverInterval = interval }
    }

    private mutating func observe(_ packet: VRRPPacket, from source: IPv4Address, now: UInt64) {
        counters.currentMaster = VRRPMasterObservation(
            address: source, priority: packet.priority, advertInterval: packet.advertIntervalNanoseconds,
            lastSeen: now, isLocal: false
        )
    }
}

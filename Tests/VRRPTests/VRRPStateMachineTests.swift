import Testing

@testable import VRRP

/// Drives one machine with a fake clock: timers fire at their exact deadlines when time is
/// advanced past them, and adverts are injected at chosen times.
struct Driver {
    var machine: VRRPStateMachine
    var now: UInt64 = VRRPSimulation.start
    var log: [(at: UInt64, action: VRRPAction)] = []

    init(_ configuration: VRRPStateMachine.Configuration) {
        machine = VRRPStateMachine(configuration: configuration)
    }

    @discardableResult
    mutating func handle(_ event: VRRPEvent) -> [VRRPAction] {
        let actions = machine.handle(event, now: now)
        log += actions.map { (now, $0) }
        return actions
    }

    /// Fires every due timer up to `time` (inclusive); returns what they did.
    @discardableResult
    mutating func advance(to time: UInt64) -> [VRRPAction] {
        var actions: [VRRPAction] = []
        while let deadline = machine.nextDeadline, deadline <= time {
            now = deadline
            actions += handle(.timerExpired)
        }
        now = time
        return actions
    }

    @discardableResult
    mutating func advance(by duration: UInt64) -> [VRRPAction] { advance(to: now + duration) }

    /// Advances to `time` (firing timers on the way), then delivers the advert.
    @discardableResult
    mutating func receive(_ packet: VRRPPacket, from source: IPv4Address, at time: UInt64) -> [VRRPAction] {
        advance(to: time)
        return handle(.advertisementReceived(packet, source: source))
    }

    var sent: [UInt8] {
        log.compactMap { if case .sendAdvertisement(let priority) = $0.action { priority } else { nil } }
    }
}

/// An advertisement from a peer; the interval defaults to 1 s in the version's unit.
func advert(_ version: VRRPPacket.Version = .v3, priority: UInt8, interval: UInt16? = nil, addresses: [IPv4Address] = [vip]) -> VRRPPacket {
    VRRPPacket(version: version, vrid: 51, priority: priority, advertInterval: interval ?? (version == .v2 ? 1 : 100), addresses: addresses)
}

@Suite struct VRRPStateMachineTests {
    static let versions = VRRPPacket.Version.allCases

    // MARK: Initialize

    @Test(arguments: versions)
    func startupBelowOwnerPriorityEntersBackupAndClearsAStaleVIP(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 100, address: peerA))
        #expect(driver.machine.state == .initialize)
        #expect(driver.machine.nextDeadline == nil)
        let actions = driver.handle(.startup)
        #expect(actions == [.becomeBackup(.startup), .removeVirtualAddresses])
        #expect(driver.machine.state == .backup)
        #expect(driver.machine.nextDeadline == driver.now + 3_609_375_000)
        #expect(driver.machine.counters.lastTransition == VRRPTransition(at: driver.now, from: .initialize, to: .backup, reason: .startup))
    }

    @Test(arguments: versions)
    func ownerGoesStraightToMaster(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 255, address: peerA))
        let actions = driver.handle(.startup)
        #expect(actions == [.becomeMaster(.startupAsOwner), .sendAdvertisement(priority: 255), .addVirtualAddresses, .sendGratuitousARP])
        #expect(driver.machine.state == .master)
        #expect(driver.machine.nextDeadline == driver.now + second)
        #expect(driver.machine.counters.becameMaster == 1)
    }

    @Test func ownerWhosePriorityTrackedDownBeforeStartupStartsAsBackup() {
        var driver = Driver(.test(priority: 255, address: peerA))
        driver.handle(.setEffectivePriority(195))
        #expect(driver.handle(.startup).first == .becomeBackup(.startup))
    }

    @Test func nothingHappensBeforeStartup() {
        var driver = Driver(.test(priority: 100, address: peerA))
        #expect(driver.handle(.advertisementReceived(advert(priority: 200), source: peerB)) == [])
        #expect(driver.handle(.timerExpired) == [])
        #expect(driver.handle(.shutdown) == [])
        #expect(driver.handle(.setEffectivePriority(50)) == [])
        #expect(driver.machine.effectivePriority == 50)
        #expect(driver.machine.state == .initialize)
        #expect(driver.machine.counters.advertisementsReceived == 0)
    }

    @Test func startupIsIgnoredOnceRunning() {
        var driver = Driver(.test(priority: 100, address: peerA))
        driver.handle(.startup)
        #expect(driver.handle(.startup) == [])
        driver.advance(by: 4 * second)
        #expect(driver.machine.state == .master)
        #expect(driver.handle(.startup) == [])
    }

    // MARK: Backup → Master on Master_Down_Timer

    @Test(arguments: [
        (VRRPPacket.Version.v2, UInt8(100), UInt64(1_000_000_000), UInt64(3_609_375_000)),
        (.v3, 100, 1_000_000_000, 3_609_375_000),
        (.v3, 100, 100_000_000, 360_937_500),
        (.v3, 200, 1_000_000_000, 3_218_750_000),
        (.v2, 1, 1_000_000_000, 3_996_093_750),
        (.v2, 254, 5_000_000_000, 15_007_812_500),
        (.v3, 254, 10_000_000, 30_078_125),
    ])
    func masterDownTimerFiresAtExactlyMasterDownInterval(
        version: VRRPPacket.Version, priority: UInt8, interval: UInt64, masterDown: UInt64
    ) {
        var driver = Driver(.test(version, priority: priority, address: peerA, interval: interval))
        let start = driver.now
        driver.handle(.startup)
        #expect(driver.machine.masterDownInterval == masterDown)
        #expect(driver.machine.nextDeadline == start + masterDown)

        // A timer that fires a nanosecond early (or a stale one) changes nothing.
        driver.now = start + masterDown - 1
        #expect(driver.handle(.timerExpired) == [])
        #expect(driver.machine.state == .backup)

        driver.now = start + masterDown
        let actions = driver.handle(.timerExpired)
        #expect(actions == [
            .becomeMaster(.masterDown(silence: masterDown, lastMaster: nil)),
            .sendAdvertisement(priority: priority), .addVirtualAddresses, .sendGratuitousARP,
        ])
        #expect(driver.machine.state == .master)
        #expect(driver.machine.nextDeadline == start + masterDown + interval)
    }

    @Test(arguments: versions)
    func backupStaysBackupWhileTheMasterAdvertises(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 100, address: peerA))
        driver.handle(.startup)
        for tick in 1...100 {
            let actions = driver.receive(advert(version, priority: 150), from: peerB, at: VRRPSimulation.start + UInt64(tick) * second)
            #expect(actions == [])
            #expect(driver.machine.nextDeadline == driver.now + 3_609_375_000)
        }
        #expect(driver.machine.state == .backup)
        #expect(driver.log.count == 2)  // only the startup actions
        #expect(driver.machine.counters.advertisementsReceived == 100)
        #expect(driver.machine.counters.currentMaster?.address == peerB)
        #expect(driver.machine.counters.currentMaster?.priority == 150)
        #expect(driver.machine.counters.currentMaster?.isLocal == false)
    }

    @Test(arguments: versions)
    func masterDownCountsFromTheLastAcceptedAdvert(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 100, address: peerA))
        driver.handle(.startup)
        let last = VRRPSimulation.start + 2 * second + 123
        driver.receive(advert(version, priority: 150), from: peerB, at: VRRPSimulation.start + second)
        driver.receive(advert(version, priority: 150), from: peerB, at: last)
        #expect(driver.advance(to: last + 3_609_375_000 - 1) == [])
        let actions = driver.advance(to: last + 3_609_375_000)
        #expect(actions.first == .becomeMaster(.masterDown(silence: 3_609_375_000, lastMaster: peerB)))
        #expect(actions.first?.description == "become MASTER: no advert for 3.61s (Master_Down_Interval), last master 10.0.0.2")
    }

    @Test func aLateTimerReportsTheRealSilence() {
        var driver = Driver(.test(priority: 100, address: peerA))
        driver.handle(.startup)
        driver.now += 5 * second  // the loop was late
        #expect(driver.handle(.timerExpired).first == .becomeMaster(.masterDown(silence: 5 * second, lastMaster: nil)))
    }

    // MARK: Master_Adver_Interval

    @Test(arguments: [
        (UInt64(1_000_000_000), UInt16(10), UInt64(100_000_000)),
        (100_000_000, 200, 2_000_000_000),
        (1_000_000_000, 100, 1_000_000_000),
        (1_000_000_000, 4095, 40_950_000_000),
    ])
    func v3BackupAdoptsTheMastersInterval(ownInterval: UInt64, field: UInt16, adopted: UInt64) {
        var driver = Driver(.test(.v3, priority: 100, address: peerA, interval: ownInterval))
        driver.handle(.startup)
        driver.receive(advert(.v3, priority: 150, interval: field), from: peerB, at: driver.now + 50 * millisecond)
        #expect(driver.machine.masterAdverInterval == adopted)
        let expectedDown = 3 * adopted + 156 * adopted / 256
        #expect(driver.machine.masterDownInterval == expectedDown)
        #expect(driver.machine.nextDeadline == driver.now + expectedDown)
        // Becoming master, it advertises at its own interval again.
        driver.advance(by: expectedDown)
        #expect(driver.machine.state == .master)
        #expect(driver.machine.masterAdverInterval == ownInterval)
        #expect(driver.machine.nextDeadline == driver.now + ownInterval)
        #expect(driver.machine.advertisement(priority: 100).advertIntervalNanoseconds == ownInterval)
    }

    @Test func v2BackupKeepsItsOwnInterval() {
        // The filter drops v2 interval mismatches; the machine must not adopt them either.
        var driver = Driver(.test(.v2, priority: 100, address: peerA))
        driver.handle(.startup)
        driver.receive(advert(.v2, priority: 150, interval: 3), from: peerB, at: driver.now + second)
        #expect(driver.machine.masterAdverInterval == second)
        #expect(driver.machine.nextDeadline == driver.now + 3_609_375_000)
    }

    @Test func aZeroIntervalIsNotAdopted() {
        var driver = Driver(.test(.v3, priority: 100, address: peerA))
        driver.handle(.startup)
        driver.receive(advert(.v3, priority: 150, interval: 0), from: peerB, at: driver.now + second)
        #expect(driver.machine.masterAdverInterval == second)
    }

    // MARK: Priority 0

    @Test(arguments: [
        (VRRPPacket.Version.v2, UInt8(100), UInt64(1_000_000_000), UInt64(609_375_000)),
        (.v3, 100, 1_000_000_000, 609_375_000),
        (.v3, 100, 100_000_000, 60_937_500),
        (.v3, 200, 1_000_000_000, 218_750_000),
        (.v2, 254, 1_000_000_000, 7_812_500),
    ])
    func backupTakesOverSkewTimeAfterAPriorityZeroAdvert(
        version: VRRPPacket.Version, priority: UInt8, interval: UInt64, skew: UInt64
    ) {
        var driver = Driver(.test(version, priority: priority, address: peerA, interval: interval))
        driver.handle(.startup)
        let field = VRRPPacket.advertIntervalField(nanoseconds: interval, version: version)
        driver.receive(advert(version, priority: 150, interval: field), from: peerB, at: driver.now + interval)
        let resign = driver.now + interval / 2
        #expect(driver.receive(advert(version, priority: 0, interval: field), from: peerB, at: resign) == [])
        #expect(driver.machine.nextDeadline == resign + skew)
        #expect(driver.machine.counters.priorityZeroReceived == 1)
        #expect(driver.machine.counters.currentMaster == nil)
        #expect(driver.advance(to: resign + skew - 1) == [])
        let actions = driver.advance(to: resign + skew)
        #expect(actions.first == .becomeMaster(.masterResigned(from: peerB, skew: skew)))
        #expect(driver.machine.state == .master)
    }

    @Test func priorityZeroDescription() {
        #expect(VRRPTransitionReason.masterResigned(from: peerB, skew: 609_375_000).description
            == "master 10.0.0.2 resigned (priority 0), took over after Skew_Time 0.61s")
    }

    @Test(arguments: versions)
    func masterAnswersAPriorityZeroAdvertAtOnce(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 150, address: peerA))
        driver.handle(.startup)
        driver.advance(by: 4 * second)
        #expect(driver.machine.state == .master)
        let at = driver.now + 300 * millisecond
        #expect(driver.receive(advert(version, priority: 0), from: peerB, at: at)
                == [.sendAdvertisement(priority: 150), .refreshGratuitousARP(claimedBy: peerB)])
        #expect(driver.machine.state == .master)
        #expect(driver.machine.nextDeadline == at + second)  // Adver_Timer reset
    }

    // MARK: Master receiving adverts

    @Test(arguments: versions)
    func masterMeetingAHigherPriorityBecomesBackup(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 100, address: peerB))
        driver.handle(.startup)
        driver.advance(by: 4 * second)
        #expect(driver.machine.state == .master)
        let interval: UInt16 = version == .v2 ? 1 : 50  // a v3 master at 0.5 s
        let actions = driver.receive(advert(version, priority: 150, interval: interval), from: peerA, at: driver.now + 10)
        // We resign (priority 0), so the new master announces the VIP again even if it never heard us.
        #expect(actions == [.becomeBackup(.higherPriority(150, from: peerA)), .sendAdvertisement(priority: 0), .removeVirtualAddresses])
        #expect(actions.first?.description == "become BACKUP: higher priority 150 from 10.0.0.1")
        #expect(driver.machine.state == .backup)
        let adopted: UInt64 = version == .v2 ? second : 500 * millisecond
        #expect(driver.machine.masterAdverInterval == adopted)
        #expect(driver.machine.nextDeadline == driver.now + 3 * adopted + 156 * (version == .v2 ? second : adopted) / 256)
        #expect(driver.machine.counters.releasedMaster == 1)
        #expect(driver.machine.counters.currentMaster?.address == peerA)
    }

    /// Equal priority: the higher primary address wins, both ways round.
    @Test(arguments: versions, [true, false])
    func equalPriorityTieBreaksOnThePrimaryAddress(version: VRRPPacket.Version, oursIsLower: Bool) {
        let ours = oursIsLower ? peerA : peerB
        let theirs = oursIsLower ? peerB : peerA
        var driver = Driver(.test(version, priority: 100, address: ours))
        driver.handle(.startup)
        driver.advance(by: 4 * second)
        let actions = driver.receive(advert(version, priority: 100), from: theirs, at: driver.now + 1)
        if oursIsLower {
            #expect(actions == [.becomeBackup(.equalPriorityHigherAddress(100, from: theirs)), .sendAdvertisement(priority: 0),
                                .removeVirtualAddresses])
            #expect(driver.machine.state == .backup)
        } else {
            // We win; like keepalived we answer at once so the other side yields sooner, and
            // re-announce the VIP to hosts the other side's takeover may have moved.
            #expect(actions == [.sendAdvertisement(priority: 100), .refreshGratuitousARP(claimedBy: theirs)])
            #expect(driver.machine.state == .master)
        }
    }

    @Test(arguments: versions)
    func masterAnswersALowerPriorityAdvertWithoutResettingItsTimer(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 150, address: peerA))
        driver.handle(.startup)
        driver.advance(by: 4 * second)
        let deadline = driver.machine.nextDeadline
        #expect(driver.receive(advert(version, priority: 100), from: peerB, at: driver.now + 1)
                == [.sendAdvertisement(priority: 150), .refreshGratuitousARP(claimedBy: peerB)])
        #expect(driver.machine.state == .master)
        #expect(driver.machine.nextDeadline == deadline)
    }

    @Test(arguments: [UInt64(1_000_000_000), 100_000_000, 10_000_000])
    func masterAdvertisesEveryInterval(interval: UInt64) {
        var driver = Driver(.test(priority: 255, address: peerA, interval: interval))
        let start = driver.now
        driver.handle(.startup)
        driver.advance(to: start + 50 * interval)
        let sends = driver.log.filter { $0.action == .sendAdvertisement(priority: 255) }.map(\.at)
        #expect(sends == (0...50).map { start + UInt64($0) * interval })
    }

    @Test func ourOwnAdvertIsIgnoredEvenIfTheFilterMissedIt() {
        var driver = Driver(.test(priority: 100, address: peerA))
        driver.handle(.startup)
        driver.advance(by: 4 * second)
        #expect(driver.handle(.advertisementReceived(advert(priority: 200), source: peerA)) == [])
        #expect(driver.machine.state == .master)
        #expect(driver.machine.counters.advertisementsReceived == 0)
    }

    // MARK: Preempt

    @Test(arguments: versions)
    func preemptTakesOverFromALowerPriorityMasterAfterMasterDownInterval(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 150, address: peerA))
        let start = driver.now
        driver.handle(.startup)
        // The lower-priority master's adverts are ignored: they do not reset the timer.
        for tick in 0..<3 {
            #expect(driver.receive(advert(version, priority: 100), from: peerB, at: start + 500 * millisecond + UInt64(tick) * second) == [])
        }
        #expect(driver.machine.counters.currentMaster?.priority == 100)
        let masterDown: UInt64 = 3_414_062_500
        let actions = driver.advance(to: start + masterDown)
        #expect(actions.first == .becomeMaster(.preemptingLowerPriority(100, from: peerB)))
        #expect(actions.first?.description == "become MASTER: preempting lower priority 100 from 10.0.0.2")
        #expect(driver.log.first { $0.action == .sendAdvertisement(priority: 150) }?.at == start + masterDown)
    }

    @Test(arguments: versions)
    func withoutPreemptABackupWaitsForTheLowerPriorityMasterToDie(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 150, address: peerA, preempt: false))
        let start = driver.now
        driver.handle(.startup)
        var last = start
        for tick in 1...60 {
            last = start + UInt64(tick) * second
            #expect(driver.receive(advert(version, priority: 100), from: peerB, at: last) == [])
        }
        #expect(driver.machine.state == .backup)
        let actions = driver.advance(to: last + 3_414_062_500)
        #expect(actions.first == .becomeMaster(.masterDown(silence: 3_414_062_500, lastMaster: peerB)))
    }

    @Test(arguments: versions, [true, false])
    func higherOrEqualPriorityAdvertsAreAlwaysAccepted(version: VRRPPacket.Version, preempt: Bool) {
        for priority: UInt8 in [150, 151, 254, 255] {
            var driver = Driver(.test(version, priority: 150, address: peerA, preempt: preempt))
            driver.handle(.startup)
            for tick in 1...10 {
                driver.receive(advert(version, priority: priority), from: peerB, at: VRRPSimulation.start + UInt64(tick) * second)
            }
            #expect(driver.machine.state == .backup)
            #expect(driver.machine.nextDeadline == driver.now + driver.machine.masterDownInterval)
        }
    }

    // MARK: preempt_delay (keepalived semantics)

    /// With `preempt_delay`, a backup accepts a lower-priority master's adverts until the delay
    /// (counted from startup) has passed, ignores the next one, and takes over a
    /// Master_Down_Interval after the last one it accepted.
    @Test(arguments: [UInt64(10_000_000_000), 2_000_000_000, 30_000_000_000])
    func preemptDelayCountsFromStartup(delay: UInt64) {
        var driver = Driver(.test(priority: 150, address: peerA, preemptDelay: delay))
        let start = driver.now
        driver.handle(.startup)
        #expect(driver.machine.preemptHoldUntil == start + delay)
        var lastAccepted = start
        for tick in 0..<100 {
            let at = start + 500 * millisecond + UInt64(tick) * second
            guard driver.machine.state == .backup else { break }
            driver.receive(advert(priority: 100), from: peerB, at: at)
            if at < start + delay { lastAccepted = at }
        }
        let takeover = driver.log.first { if case .becomeMaster = $0.action { true } else { false } }
        #expect(takeover?.at == lastAccepted + 3_414_062_500)
        #expect(takeover?.action == .becomeMaster(.preemptingLowerPriority(100, from: peerB)))
    }

    @Test func preemptDelayStopsWhileAHigherPriorityMasterIsHeardAndRestartsAfter() {
        let delay = 5 * second
        var driver = Driver(.test(priority: 150, address: peerA, preemptDelay: delay))
        let start = driver.now
        driver.handle(.startup)
        // A higher-priority master clears the pending delay.
        driver.receive(advert(priority: 200), from: peerB, at: start + second)
        #expect(driver.machine.preemptHoldUntil == nil)
        for tick: UInt64 in 2...8 { driver.receive(advert(priority: 200), from: peerB, at: start + tick * second) }
        #expect(driver.machine.state == .backup)
        // Long after startup's delay, the master's priority drops below ours: the first lower
        // advert starts a fresh delay instead of preempting at once.
        let firstLower = start + 9 * second
        driver.receive(advert(priority: 100), from: peerB, at: firstLower)
        #expect(driver.machine.preemptHoldUntil == firstLower + delay)
        var lastAccepted = firstLower
        for tick in 1...20 {
            let at = firstLower + UInt64(tick) * second
            guard driver.machine.state == .backup else { break }
            driver.receive(advert(priority: 100), from: peerB, at: at)
            if at < firstLower + delay { lastAccepted = at }
        }
        #expect(driver.log.first { if case .becomeMaster = $0.action { true } else { false } }?.at == lastAccepted + 3_414_062_500)
    }

    @Test func preemptDelayIsNotArmedWhenFallingFromMasterToBackup() {
        var driver = Driver(.test(priority: 150, address: peerA, preemptDelay: 5 * second))
        driver.handle(.startup)
        driver.advance(by: 10 * second)
        #expect(driver.machine.state == .master)
        let at = driver.now + 100
        driver.receive(advert(priority: 200), from: peerB, at: at)
        #expect(driver.machine.state == .backup)
        #expect(driver.machine.preemptHoldUntil == nil)
        // The first lower-priority advert arms it (and is accepted).
        driver.receive(advert(priority: 100), from: peerB, at: at + second)
        #expect(driver.machine.preemptHoldUntil == at + second + 5 * second)
        #expect(driver.machine.nextDeadline == at + second + 3_414_062_500)
    }

    @Test func preemptDelayDoesNotDelayAMasterDown() {
        // The delay only governs preemption: a silent master is replaced after MDI as usual.
        var driver = Driver(.test(priority: 150, address: peerA, preemptDelay: 100 * second))
        let start = driver.now
        driver.handle(.startup)
        driver.advance(to: start + 3_414_062_500)
        #expect(driver.machine.state == .master)
    }

    // MARK: Shutdown

    @Test(arguments: versions)
    func shutdownFromMasterResignsWithPriorityZeroAndRemovesTheVIP(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 150, address: peerA))
        driver.handle(.startup)
        driver.advance(by: 4 * second)
        let actions = driver.handle(.shutdown)
        #expect(actions == [.stop(.shutdown), .sendAdvertisement(priority: 0), .removeVirtualAddresses])
        #expect(driver.machine.state == .initialize)
        #expect(driver.machine.nextDeadline == nil)
        #expect(driver.machine.counters.priorityZeroSent == 1)
        #expect(driver.machine.counters.releasedMaster == 1)
        #expect(driver.machine.counters.lastTransition?.to == .initialize)
        #expect(driver.machine.advertisement(priority: 0).priority == 0)
        // Nothing afterwards, until a new startup.
        #expect(driver.handle(.timerExpired) == [])
        #expect(driver.handle(.advertisementReceived(advert(version, priority: 200), source: peerB)) == [])
        #expect(driver.handle(.startup) == [.becomeBackup(.startup), .removeVirtualAddresses])
    }

    @Test(arguments: versions)
    func shutdownFromBackupJustStops(version: VRRPPacket.Version) {
        var driver = Driver(.test(version, priority: 100, address: peerA))
        driver.handle(.startup)
        driver.receive(advert(version, priority: 150), from: peerB, at: driver.now + second)
        #expect(driver.handle(.shutdown) == [.stop(.shutdown)])
        #expect(driver.machine.state == .initialize)
        #expect(driver.machine.nextDeadline == nil)
        #expect(driver.machine.counters.priorityZeroSent == 0)
    }

    // MARK: Effective priority

    @Test(arguments: [
        (UInt8(100), UInt8(0), UInt8(1)),
        (100, 1, 1),
        (100, 254, 254),
        (100, 255, 254),
        (255, 255, 255),
        (255, 200, 200),
    ])
    func effectivePriorityIsClamped(configured: UInt8, requested: UInt8, effective: UInt8) {
        var driver = Driver(.test(priority: configured, address: peerA))
        driver.handle(.setEffectivePriority(requested))
        #expect(driver.machine.effectivePriority == effective)
    }

    @Test func masterAdvertisesAChangedPriorityAtOnce() {
        var driver = Driver(.test(priority: 150, address: peerA))
        driver.handle(.startup)
        driver.advance(by: 4 * second)
        let at = driver.now + 250 * millisecond
        driver.advance(to: at)
        #expect(driver.handle(.setEffectivePriority(90)) == [.sendAdvertisement(priority: 90)])
        #expect(driver.machine.nextDeadline == at + second)
        #expect(driver.handle(.setEffectivePriority(90)) == [])
        #expect(driver.advance(by: second) == [.sendAdvertisement(priority: 90)])
        #expect(driver.machine.counters.currentMaster?.priority == 90)
        // Now a 100 beats us.
        #expect(driver.receive(advert(priority: 100), from: peerB, at: driver.now + 1).first == .becomeBackup(.higherPriority(100, from: peerB)))
    }

    @Test func backupPriorityChangesTheSkewOfTheNextTimer() {
        var driver = Driver(.test(priority: 100, address: peerA))
        driver.handle(.startup)
        #expect(driver.handle(.setEffectivePriority(200)) == [])
        #expect(driver.machine.skewTime == 218_750_000)
        driver.receive(advert(priority: 250), from: peerB, at: driver.now + second)
        #expect(driver.machine.nextDeadline == driver.now + 3_218_750_000)
    }

    // MARK: Counters

    @Test func countersFollowTheRun() {
        var driver = Driver(.test(priority: 150, address: peerA))
        driver.handle(.startup)
        driver.advance(by: 3_414_062_500)  // master, 1 advert
        driver.advance(by: 5 * second)  // 5 more
        driver.receive(advert(priority: 0), from: peerB, at: driver.now + 1)  // answered: 1 more
        driver.receive(advert(priority: 200), from: peerB, at: driver.now + 1)  // back to backup, resigning: 1 more
        driver.handle(.shutdown)
        let counters = driver.machine.counters
        #expect(counters.advertisementsSent == 8)
        #expect(counters.advertisementsReceived == 2)
        #expect(counters.priorityZeroReceived == 1)
        #expect(counters.priorityZeroSent == 1)
        #expect(counters.becameMaster == 1)
        #expect(counters.releasedMaster == 1)
        #expect(counters.lastTransition?.from == .backup)
        #expect(counters.lastTransition?.to == .initialize)
        #expect(counters.lastTransition?.description == "BACKUP → INIT: shutdown")
    }

    @Test func dropsAndMismatchesAreCounted() {
        var machine = VRRPStateMachine(configuration: .test(priority: 100, address: peerA))
        for reason in VRRPDropReason.allCases { machine.recordDrop(reason) }
        machine.recordDrop(.ttl)
        #expect(machine.counters.drops[.ttl] == 2)
        #expect(machine.counters.totalDrops == UInt64(VRRPDropReason.allCases.count + 1))
        machine.recordMismatch(.addressList(ours: [vip], theirs: [], from: peerB))
        machine.recordMismatch(.advertInterval(ours: second, theirs: 3 * second, from: peerB))
        #expect(machine.counters.addressListMismatches == 1)
        #expect(machine.counters.intervalMismatches == 1)
        #expect(machine.counters.lastMismatch?.description
            == "advertisement interval mismatch from 10.0.0.2: ours 1.00s, theirs 3.00s")
    }

    @Test func advertisementCarriesTheConfiguration() {
        let configuration = VRRPStateMachine.Configuration(
            version: .v2, vrid: 7, priority: 120, advertInterval: 3 * second, primaryAddress: peerA,
            virtualAddresses: [vip, peerB]
        )
        let packet = VRRPStateMachine(configuration: configuration).advertisement(priority: 120)
        #expect(packet == VRRPPacket(version: .v2, vrid: 7, priority: 120, advertInterval: 3, addresses: [vip, peerB]))
    }

    @Test(arguments: [
        (VRRPTransitionReason.startupAsOwner, "priority 255 (address owner) at startup"),
        (.startup, "startup"),
        (.masterDown(silence: 3_609_375_000, lastMaster: nil), "no advert for 3.61s (Master_Down_Interval)"),
        (.preemptingLowerPriority(100, from: IPv4Address(10, 0, 0, 2)), "preempting lower priority 100 from 10.0.0.2"),
        (.higherPriority(150, from: IPv4Address(10, 0, 0, 2)), "higher priority 150 from 10.0.0.2"),
        (.equalPriorityHigherAddress(100, from: IPv4Address(10, 0, 0, 2)), "same priority 100 from higher address 10.0.0.2"),
        (.shutdown, "shutdown"),
    ])
    func reasonsReadWell(reason: VRRPTransitionReason, text: String) {
        #expect(reason.description == text)
    }
}

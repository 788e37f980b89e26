import Testing

@testable import VRRP

/// Two (or three) routers on one simulated link, talking through the real codec and filter:
/// the scenarios an operator cares about, with the timings of the DESIGN's reference figures.
@Suite struct VRRPTwoRouterTests {
    static let lb1 = IPv4Address(10, 0, 0, 1)
    static let lb2 = IPv4Address(10, 0, 0, 2)

    /// lb1 (150) and lb2 (100) start together; lb1 becomes master after its own
    /// Master_Down_Interval and lb2 stays backup.
    static func pair(
        _ version: VRRPPacket.Version = .v3, interval: UInt64 = second, preempt: Bool = true, preemptDelay: UInt64 = 0
    ) -> VRRPSimulation {
        var sim = VRRPSimulation()
        sim.add(.test(version, priority: 150, address: lb1, interval: interval, preempt: preempt, preemptDelay: preemptDelay))
        sim.add(.test(version, priority: 100, address: lb2, interval: interval, preempt: preempt, preemptDelay: preemptDelay))
        sim.send(.startup, to: 0)
        sim.send(.startup, to: 1)
        return sim
    }

    @Test(arguments: VRRPPacket.Version.allCases)
    func higherPriorityBecomesMasterAndTheOtherStaysBackup(version: VRRPPacket.Version) {
        var sim = Self.pair(version)
        sim.run(for: 60 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
        #expect(sim.transitions(0).map(\.at) == [VRRPSimulation.start, VRRPSimulation.start + 3_414_062_500])
        #expect(sim.transitions(1).count == 1)
        #expect(sim.machine(1).counters.currentMaster?.address == Self.lb1)
        #expect(sim.machine(0).counters.advertisementsSent == 57)  // at 3.41 s, then every second
        #expect(sim.machine(1).counters.advertisementsReceived == 57)
        #expect(sim.machine(1).counters.totalDrops == 0)
        #expect(sim.machine(0).counters.totalDrops == 0)
    }

    /// keepalived's measured crash failover: ≈ 3.6 s at 1 s, ≈ 0.36 s at v3 0.1 s (priority 100).
    @Test(arguments: [
        (VRRPPacket.Version.v2, UInt64(1_000_000_000), UInt64(3_609_375_000)),
        (.v3, 1_000_000_000, 3_609_375_000),
        (.v3, 100_000_000, 360_937_500),
    ])
    func crashFailoverTakesMasterDownIntervalAfterTheLastAdvert(version: VRRPPacket.Version, interval: UInt64, failover: UInt64) {
        var sim = Self.pair(version, interval: interval)
        sim.run(for: 10 * second)
        sim.crash(0)
        let lastAdvert = sim.wire.last { $0.from == 0 }!.at
        sim.run(for: 10 * second)
        #expect(sim.state(1) == .master)
        let takeover = sim.transitions(1).last!
        #expect(takeover.at == lastAdvert + failover)
        #expect(takeover.reason == .masterDown(silence: failover, lastMaster: Self.lb1))
    }

    /// A graceful stop hands over in Skew_Time (≈ 0.61 s at priority 100, 1 s).
    @Test(arguments: [
        (VRRPPacket.Version.v2, UInt64(1_000_000_000), UInt64(609_375_000)),
        (.v3, 1_000_000_000, 609_375_000),
        (.v3, 100_000_000, 60_937_500),
    ])
    func shutdownHandsOverInSkewTime(version: VRRPPacket.Version, interval: UInt64, skew: UInt64) {
        var sim = Self.pair(version, interval: interval)
        sim.run(for: 10 * second + 300 * millisecond)
        let stopAt = sim.now
        let actions = sim.send(.shutdown, to: 0)
        #expect(actions == [.stop(.shutdown), .sendAdvertisement(priority: 0), .removeVirtualAddresses])
        #expect(sim.wire.last!.priority == 0)
        sim.run(for: skew - 1)
        #expect(sim.state(1) == .backup)
        sim.run(for: 1)
        #expect(sim.state(1) == .master)
        #expect(sim.transitions(1).last!.at == stopAt + skew)
        #expect(sim.transitions(1).last!.reason == .masterResigned(from: Self.lb1, skew: skew))
    }

    @Test(arguments: VRRPPacket.Version.allCases)
    func theHigherPriorityRouterPreemptsWhenItReturns(version: VRRPPacket.Version) {
        var sim = Self.pair(version)
        sim.run(for: 10 * second)
        sim.send(.shutdown, to: 0)
        sim.run(for: 10 * second)
        #expect(sim.state(1) == .master)
        let restart = sim.now
        sim.send(.startup, to: 0)
        sim.run(for: 20 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
        let lb1 = sim.transitions(0).last!
        #expect(lb1.at == restart + 3_414_062_500)
        #expect(lb1.reason == .preemptingLowerPriority(100, from: Self.lb2))
        let lb2 = sim.transitions(1).last!
        #expect(lb2.at == lb1.at)  // the first advert at 150 sends lb2 to backup at once
        #expect(lb2.reason == .higherPriority(150, from: Self.lb1))
    }

    @Test func withoutPreemptTheReturningRouterStaysBackup() {
        var sim = Self.pair(preempt: false)
        sim.run(for: 10 * second)
        sim.send(.shutdown, to: 0)
        sim.run(for: 10 * second)
        sim.send(.startup, to: 0)
        sim.run(for: 60 * second)
        #expect(sim.state(0) == .backup)
        #expect(sim.state(1) == .master)
    }

    @Test func preemptDelayHoldsTheReturningRouterBack() {
        let delay = 30 * second
        var sim = Self.pair(preemptDelay: delay)
        sim.run(for: 10 * second)
        sim.send(.shutdown, to: 0)
        sim.run(for: 10 * second)
        let restart = sim.now
        sim.send(.startup, to: 0)
        sim.run(for: delay - second)
        #expect(sim.state(0) == .backup)
        sim.run(for: 10 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
        let lastAccepted = sim.wire.filter { $0.from == 1 && $0.at < restart + delay }.last!.at
        #expect(sim.transitions(0).last!.at == lastAccepted + 3_414_062_500)
    }

    /// Tracking: the master's effective priority drops below the backup's; the backup preempts
    /// a Master_Down_Interval after the last advert it accepted, and the old master yields.
    @Test(arguments: VRRPPacket.Version.allCases)
    func effectivePriorityDropOnTheMasterHandsOver(version: VRRPPacket.Version) {
        var sim = Self.pair(version)
        sim.run(for: 10 * second + 500 * millisecond)
        let lastAt150 = sim.wire.last { $0.from == 0 }!.at
        let actions = sim.send(.setEffectivePriority(40), to: 0)
        #expect(actions == [.sendAdvertisement(priority: 40)])
        sim.run(for: 10 * second)
        #expect(sim.state(1) == .master)
        #expect(sim.state(0) == .backup)
        #expect(sim.transitions(1).last!.at == lastAt150 + 3_609_375_000)
        #expect(sim.transitions(1).last!.reason == .preemptingLowerPriority(40, from: Self.lb1))
        #expect(sim.transitions(0).last!.reason == .higherPriority(100, from: Self.lb2))

        // Backends recover: lb1 goes back to 150 and takes over again by preemption.
        let recovered = sim.now
        #expect(sim.send(.setEffectivePriority(150), to: 0) == [])
        sim.run(for: 10 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
        // Its Master_Down_Timer was armed by lb2's last advert while it was at 40, so it runs
        // out with that priority's skew; the new priority only governs later timers.
        let lastAccepted = sim.wire.filter { $0.from == 1 && $0.at <= recovered }.last!.at
        #expect(sim.transitions(0).last!.at == lastAccepted + 3 * second + 216 * second / 256)
    }

    /// With preempt off, a tracked-down master keeps the VIP until it really goes away (the
    /// backup accepts any advert); only resigning would move it.
    @Test func effectivePriorityDropWithoutPreemptKeepsTheMaster() {
        var sim = Self.pair(preempt: false)
        sim.run(for: 10 * second)
        sim.send(.setEffectivePriority(40), to: 0)
        sim.run(for: 30 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
    }

    /// Equal priorities: whoever's timer fires first is master and the other accepts it (RFC:
    /// a backup accepts priority ≥ its own); two masters after a partition resolve by address.
    @Test(arguments: VRRPPacket.Version.allCases)
    func equalPrioritiesAfterAPartitionResolveToTheHigherAddress(version: VRRPPacket.Version) {
        var sim = VRRPSimulation()
        sim.add(.test(version, priority: 100, address: Self.lb2))
        sim.add(.test(version, priority: 100, address: Self.lb1))
        sim.cut = [[0, 1], [1, 0]]
        sim.send(.startup, to: 0)
        sim.send(.startup, to: 1)
        sim.run(for: 10 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .master)  // split brain while partitioned
        sim.cut = []
        sim.run(for: 2 * second)
        #expect(sim.state(0) == .master)  // 10.0.0.2 > 10.0.0.1
        #expect(sim.state(1) == .backup)
        #expect(sim.transitions(1).last!.reason == .equalPriorityHigherAddress(100, from: Self.lb2))
    }

    @Test(arguments: VRRPPacket.Version.allCases)
    func aPartitionHealsToTheHigherPriority(version: VRRPPacket.Version) {
        var sim = Self.pair(version)
        sim.run(for: 10 * second)
        sim.cut = [[0, 1]]
        sim.run(for: 10 * second)
        #expect(sim.state(1) == .master)
        sim.cut = []
        sim.run(for: 2 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
    }

    /// A healed split brain (both directions cut, then restored): whichever advert crosses
    /// first, the real master sends its gratuitous ARPs again, so hosts that the other side's
    /// takeover moved come back at once instead of when their ARP entry expires. Either lb1 hears
    /// lb2 (lower priority: answered with an advert and ARPs, as keepalived does), or lb2 hears
    /// lb1 first and resigns with priority 0, which lb1 answers the same way.
    @Test(arguments: VRRPPacket.Version.allCases, [UInt64(0), 250_000_000, 500_000_000, 750_000_000])
    func aHealedSplitBrainReannouncesTheVIP(version: VRRPPacket.Version, phase: UInt64) {
        var sim = Self.pair(version)
        sim.run(for: 10 * second)
        sim.cut = [[0, 1], [1, 0]]
        sim.run(for: 10 * second + phase)
        #expect(sim.state(0) == .master && sim.state(1) == .master)
        let healedAt = sim.now
        sim.cut = []
        sim.run(for: 2 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
        let refreshes = sim.routers[0].log.filter { $0.at >= healedAt && $0.action == .refreshGratuitousARP(claimedBy: Self.lb2) }
        #expect(!refreshes.isEmpty, "lb1 did not re-announce the VIP after the partition healed")
        #expect(sim.routers[1].log.contains { $0.at >= healedAt && $0.action == .sendAdvertisement(priority: 0) }, "lb2 resigned")
    }

    @Test func theOwnerTakesOverAtOnceAndTheOthersFollowIt() {
        var sim = Self.pair()
        sim.run(for: 10 * second)
        sim.add(.test(priority: 255, address: IPv4Address(10, 0, 0, 9)))
        let at = sim.now
        sim.send(.startup, to: 2)
        #expect(sim.state(2) == .master)
        #expect(sim.state(0) == .backup)
        #expect(sim.transitions(0).last!.at == at)
        sim.run(for: 30 * second)
        #expect(sim.state(2) == .master)
        #expect(sim.state(0) == .backup)
        #expect(sim.state(1) == .backup)
    }

    /// Three routers: when the master resigns, the highest remaining priority wins the race
    /// because its skew is the shortest.
    @Test func theBestBackupWinsAResignation() {
        var sim = Self.pair()
        sim.add(.test(priority: 120, address: IPv4Address(10, 0, 0, 3)))
        sim.send(.startup, to: 2)
        sim.run(for: 10 * second)
        sim.send(.shutdown, to: 0)
        sim.run(for: 10 * second)
        #expect(sim.state(2) == .master)
        #expect(sim.state(1) == .backup)
        #expect(sim.machine(1).counters.becameMaster == 0)
    }

    /// VRRPv2 interval mismatch: both sides drop the other's adverts (RFC 3768 and keepalived),
    /// so both end up master. The drops and the mismatch are what the stats page shows.
    @Test func v2IntervalMismatchIsDroppedAndVisible() {
        var sim = VRRPSimulation()
        sim.add(.test(.v2, priority: 150, address: Self.lb1, interval: second))
        sim.add(.test(.v2, priority: 100, address: Self.lb2, interval: 2 * second))
        sim.send(.startup, to: 0)
        sim.send(.startup, to: 1)
        sim.run(for: 30 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .master)
        #expect(sim.machine(1).counters.drops[.intervalMismatch]! > 0)
        #expect(sim.machine(1).counters.intervalMismatches == sim.machine(1).counters.drops[.intervalMismatch])
        #expect(sim.machine(1).counters.lastMismatch == .advertInterval(ours: 2 * second, theirs: second, from: Self.lb1))
    }

    /// VRRPv3 interval difference: the backup adopts the master's interval and the election works.
    @Test func v3IntervalDifferenceIsAdopted() {
        var sim = VRRPSimulation()
        sim.add(.test(.v3, priority: 150, address: Self.lb1, interval: 100 * millisecond))
        sim.add(.test(.v3, priority: 100, address: Self.lb2, interval: 2 * second))
        sim.send(.startup, to: 0)
        sim.send(.startup, to: 1)
        sim.run(for: 30 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
        #expect(sim.machine(1).masterAdverInterval == 100 * millisecond)
        #expect(sim.machine(1).counters.intervalMismatches > 0)
        sim.crash(0)
        let last = sim.wire.last { $0.from == 0 }!.at
        sim.run(for: 5 * second)
        #expect(sim.transitions(1).last!.at == last + 360_937_500)
    }

    /// Address lists differ: logged and counted, but the election still works (no split brain).
    @Test func addressListMismatchIsAcceptedAndCounted() {
        var sim = VRRPSimulation()
        var master = VRRPStateMachine.Configuration.test(priority: 150, address: Self.lb1)
        master.virtualAddresses = [vip, IPv4Address(10, 0, 0, 124)]
        sim.add(master)
        sim.add(.test(priority: 100, address: Self.lb2))
        sim.send(.startup, to: 0)
        sim.send(.startup, to: 1)
        sim.run(for: 30 * second)
        #expect(sim.state(0) == .master)
        #expect(sim.state(1) == .backup)
        #expect(sim.machine(1).counters.addressListMismatches > 0)
        #expect(sim.machine(1).counters.lastMismatch?.description
            == "address list mismatch from 10.0.0.1: ours [10.0.0.123], theirs [10.0.0.123, 10.0.0.124]")
    }

    @Test func versionMismatchIsDropped() {
        var sim = VRRPSimulation()
        sim.add(.test(.v2, priority: 150, address: Self.lb1))
        sim.add(.test(.v3, priority: 100, address: Self.lb2))
        sim.send(.startup, to: 0)
        sim.send(.startup, to: 1)
        sim.run(for: 10 * second)
        #expect(sim.state(1) == .master)
        #expect(sim.machine(1).counters.drops[.versionMismatch]! > 0)
    }
}

import Foundation
import Testing

/// Two real `ferry run` processes in two lab hosts float a VIP between them (VRRPv3); a third
/// host captures the wire. Timings are printed (`[vrrp-e2e] …`) and only asserted against
/// generous bounds (3 × the RFC figure + 1 s): this is a shared 2-core machine.
@Suite("Ferry ↔ Ferry VRRP in a network lab", .serialized,
       .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces (CI runs as root)"))
struct FerryVRRPTests {
    @Test("v3 100 ms: election by priority, SIGKILL takeover, restart preempts, SIGTERM handover, GARPs on the wire")
    func failoverAt100Milliseconds() throws {
        let lab = try NetworkLab(hosts: 3)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1), observer = lab.host(2)
        let vip = lab.subnetAddress(100)
        let interval = 0.1
        var instance = FerryInLab.Instance(vrid: 51, advertInterval: "100ms", virtualIPs: ["\(vip)/24"], garpCount: 4)
        let capture = try FerryCaptureInLab(lab: lab, host: observer, seconds: 6)

        instance.priority = 150
        let ferryA = try FerryInLab(lab: lab, host: a, instances: [instance])
        instance.priority = 100
        let ferryB = try FerryInLab(lab: lab, host: b, instances: [instance])

        // Election: the higher priority is master and alone holds the VIP.
        #expect(ferryA.waitForState("MASTER"), "A: \(ferryA.logTail())")
        #expect(ferryB.waitForState("BACKUP"), "B: \(ferryB.logTail())")
        #expect(lab.waitForAddress(on: a, vip, timeout: .seconds(5)) != nil)
        #expect(!lab.hostHolds(b, vip))
        #expect(FerryInLab.poll(timeout: .seconds(3)) { (try? ferryB.status().masterAddress) == a.addressText },
                "B sees A as master: \(String(describing: try? ferryB.status()))")

        // SIGKILL: no goodbye; B takes over after Master_Down_Interval.
        let expectedDown = VRRPE2E.masterDown(priority: 100, interval: interval)
        let killedAt = ContinuousClock.now
        ferryA.kill()
        let takeover = lab.waitForAddress(on: b, vip, timeout: VRRPE2E.boundDuration(expectedDown), since: killedAt)
        VRRPE2E.report("v3 100ms SIGKILL of the master → backup holds the VIP", takeover, expected: expectedDown)
        #expect(takeover != nil, "B did not take the VIP; B: \(ferryB.logTail())")
        #expect(ferryB.waitForState("MASTER", timeout: .seconds(2)))
        let macB = try lab.macAddress(of: b)

        // The old master returns: it removes the VIP the crash left, starts as backup and preempts.
        let restartedAt = ContinuousClock.now
        try ferryA.start()
        let preempted = lab.waitForAddress(on: b, vip, present: false,
                                           timeout: VRRPE2E.boundDuration(VRRPE2E.masterDown(priority: 150, interval: interval)) + .seconds(2),
                                           since: restartedAt)
        VRRPE2E.report("v3 100ms restarted master preempts (start → VIP gone from B)", preempted,
                       expected: VRRPE2E.masterDown(priority: 150, interval: interval))
        #expect(preempted != nil, "B kept the VIP; A: \(ferryA.logTail())")
        #expect(ferryA.waitForState("MASTER"))
        #expect(ferryB.waitForState("BACKUP"))
        #expect(lab.hostHolds(a, vip))
        #expect(ferryA.log.contains("left by an earlier run"), "A removed the stale VIP at start: \(ferryA.logTail())")
        let macA = try lab.macAddress(of: a)

        // SIGTERM: a priority-0 advert; B takes over in Skew_Time.
        let expectedSkew = VRRPE2E.skew(priority: 100, interval: interval)
        let terminatedAt = ContinuousClock.now
        ferryA.sendTerminate()
        let handover = lab.waitForAddress(on: b, vip, timeout: VRRPE2E.boundDuration(expectedSkew), since: terminatedAt)
        VRRPE2E.report("v3 100ms SIGTERM of the master → backup holds the VIP", handover, expected: expectedSkew)
        #expect(handover != nil, "B: \(ferryB.logTail())")
        #expect(ferryA.waitForExit() == 0)
        #expect(!lab.hostHolds(a, vip), "a stopped Ferry removes its VIP")
        let statusB = try ferryB.status()
        #expect(statusB.state == "MASTER")
        #expect(statusB.lastTransitionReason?.contains("resigned (priority 0)") == true, "\(statusB)")
        #expect(statusB.dropsTotal == 0 && statusB.mismatches == 0, "\(statusB)")

        // The observer saw at least garp.count gratuitous ARPs for the VIP from each new master.
        try capture.finish()
        let lines = try capture.read().split(separator: "\n")
        func gratuitous(from mac: String) -> Int {
            lines.filter { $0.contains("ARP gratuitous") && $0.contains(" \(vip) is-at \(mac)") }.count
        }
        print("[vrrp-e2e] gratuitous ARPs for \(vip) seen by a third host: from A \(gratuitous(from: macA)), from B \(gratuitous(from: macB))")
        #expect(gratuitous(from: macB) >= instance.garpCount, "capture:\n\(lines.joined(separator: "\n"))")
        #expect(gratuitous(from: macA) >= instance.garpCount)
        #expect(lines.contains { $0.contains("VRRPv3 \(a.addressText) → 224.0.0.18 vrid 51 prio 150") })
        #expect(lines.contains { $0.contains("VRRPv3 \(a.addressText) → 224.0.0.18 vrid 51 prio 0") }, "A's resignation")
        #expect(lines.contains { $0.contains("VRRPv3 \(b.addressText) → 224.0.0.18 vrid 51 prio 100") })
    }

    @Test("preempt: false: the returning higher-priority Ferry stays backup")
    func noPreemption() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let vip = lab.subnetAddress(101)
        let interval = 0.1
        let ferryA = try FerryInLab(lab: lab, host: a, instances: [
            .init(vrid: 52, priority: 150, advertInterval: "100ms", preempt: false, virtualIPs: ["\(vip)/24"]),
        ])
        #expect(ferryA.waitForState("MASTER"), "A: \(ferryA.logTail())")
        let ferryB = try FerryInLab(lab: lab, host: b, instances: [
            .init(vrid: 52, priority: 100, advertInterval: "100ms", preempt: false, virtualIPs: ["\(vip)/24"]),
        ])
        #expect(ferryB.waitForState("BACKUP"))

        let expectedDown = VRRPE2E.masterDown(priority: 100, interval: interval)
        let killedAt = ContinuousClock.now
        ferryA.kill()
        let takeover = lab.waitForAddress(on: b, vip, timeout: VRRPE2E.boundDuration(expectedDown), since: killedAt)
        VRRPE2E.report("v3 100ms (preempt false) SIGKILL of the master → backup holds the VIP", takeover, expected: expectedDown)
        #expect(takeover != nil)

        try ferryA.start()
        #expect(ferryA.waitForState("BACKUP"))
        #expect(FerryInLab.poll(timeout: .seconds(2)) { !lab.hostHolds(a, vip) }, "A removed the VIP its crash left")
        // Many Master_Down_Intervals later, A (150) has still not taken over from B (100).
        Thread.sleep(forTimeInterval: 1.5)
        let statusA = try ferryA.status(), statusB = try ferryB.status()
        #expect(statusA.state == "BACKUP", "\(statusA)")
        #expect(statusB.state == "MASTER", "\(statusB)")
        #expect(statusA.masterAddress == b.addressText, "\(statusA)")
        #expect(lab.hostHolds(b, vip))
        #expect(!lab.hostHolds(a, vip))

        // B leaving still hands over to A.
        let expectedSkew = VRRPE2E.skew(priority: 150, interval: interval)
        let terminatedAt = ContinuousClock.now
        ferryB.sendTerminate()
        let handover = lab.waitForAddress(on: a, vip, timeout: VRRPE2E.boundDuration(expectedSkew), since: terminatedAt)
        VRRPE2E.report("v3 100ms (preempt false) SIGTERM of the master → backup holds the VIP", handover, expected: expectedSkew)
        #expect(handover != nil)
        #expect(ferryB.waitForExit() == 0)
    }

    @Test("v3 1 s adverts: SIGTERM handover in Skew_Time, preemption, SIGKILL takeover in Master_Down_Interval")
    func failoverAtOneSecond() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let vip = lab.subnetAddress(102)
        let interval = 1.0
        let ferryA = try FerryInLab(lab: lab, host: a, instances: [
            .init(vrid: 53, priority: 150, advertInterval: "1s", virtualIPs: ["\(vip)/24"]),
        ])
        // A starts alone as backup and becomes master after its own Master_Down_Interval (3.41 s).
        #expect(ferryA.waitForState("MASTER", timeout: .seconds(15)), "A: \(ferryA.logTail())")
        let ferryB = try FerryInLab(lab: lab, host: b, instances: [
            .init(vrid: 53, priority: 100, advertInterval: "1s", virtualIPs: ["\(vip)/24"]),
        ])
        #expect(ferryB.waitForState("BACKUP"))
        #expect(lab.hostHolds(a, vip))

        let expectedSkew = VRRPE2E.skew(priority: 100, interval: interval)
        let terminatedAt = ContinuousClock.now
        ferryA.sendTerminate()
        let handover = lab.waitForAddress(on: b, vip, timeout: VRRPE2E.boundDuration(expectedSkew), since: terminatedAt)
        VRRPE2E.report("v3 1s SIGTERM of the master → backup holds the VIP", handover, expected: expectedSkew)
        #expect(handover != nil, "B: \(ferryB.logTail())")
        #expect(ferryA.waitForExit() == 0)

        let expectedPreempt = VRRPE2E.masterDown(priority: 150, interval: interval)
        let restartedAt = ContinuousClock.now
        try ferryA.start()
        let preempted = lab.waitForAddress(on: a, vip, timeout: VRRPE2E.boundDuration(expectedPreempt), since: restartedAt)
        VRRPE2E.report("v3 1s restarted master preempts (start → VIP on A)", preempted, expected: expectedPreempt)
        #expect(preempted != nil, "A: \(ferryA.logTail())")
        #expect(ferryB.waitForState("BACKUP"))
        #expect(lab.waitForAddress(on: b, vip, present: false, timeout: .seconds(3)) != nil)

        let expectedDown = VRRPE2E.masterDown(priority: 100, interval: interval)
        let killedAt = ContinuousClock.now
        ferryA.kill()
        let takeover = lab.waitForAddress(on: b, vip, timeout: VRRPE2E.boundDuration(expectedDown), since: killedAt)
        VRRPE2E.report("v3 1s SIGKILL of the master → backup holds the VIP", takeover, expected: expectedDown)
        #expect(takeover != nil, "B: \(ferryB.logTail())")
        #expect(ferryB.waitForState("MASTER", timeout: .seconds(2)))
    }
}

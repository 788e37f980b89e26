import Foundation
import Glibc
import Testing

/// The real `ferry run` against a real keepalived 2.x in the lab, both roles (Ferry master with
/// keepalived backup, and the reverse), VRRPv2 (1 s, keepalived's default) and v3 (100 ms),
/// multicast and unicast: the election is right, each side takes over when the other goes and
/// gives back when it returns, and neither side complains about the other's packets — keepalived's
/// log has none of ``suspiciousPatterns`` and Ferry counts no drop or mismatch.
@Suite("Ferry ↔ keepalived VRRP interop in a network lab", .serialized,
       .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and keepalived (CI runs as root)"))
struct KeepalivedInteropFerryTests {
    /// keepalived 2.2.7's messages about packets it refuses (vrrp.c's receive checks): TTL
    /// ("invalid TTL/HL"), version ("wrong version"), type/checksum/auth ("Invalid …"),
    /// length ("vrrp packet too short"/"too long", "ip_tot_len mismatch"), interval and address
    /// ("advertisement interval mismatch", "expected %u VIPs", "not present in MASTER advert"),
    /// unicast ("not a unicast peer", "discarding multicast packet on unicast instance"). Matched
    /// case-insensitively against every line.
    static let suspiciousPatterns = [
        "invalid", "mismatch", "too short", "too long", "wrong version", "bogus", "unexpected", "not present in",
        "expected", "not a unicast peer", "not in range", "icast packet", "auth, expecting", "checksum",
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        var ferryIsMaster: Bool
        var version: Int
        var unicast: Bool
        var testDescription: String {
            "\(ferryIsMaster ? "Ferry master / keepalived backup" : "keepalived master / Ferry backup"), v\(version), \(unicast ? "unicast" : "multicast")"
        }
        var label: String { "v\(version) \(unicast ? "unicast" : "multicast")" }
        var interval: Double { version == 2 ? 1 : 0.1 }

        static let all: [Case] = [true, false].flatMap { master in
            [2, 3].flatMap { version in [false, true].map { Case(ferryIsMaster: master, version: version, unicast: $0) } }
        }
    }

    /// The lines of `log` that match one of ``suspiciousPatterns``.
    static func suspiciousLines(_ log: String) -> [Substring] {
        log.split(separator: "\n").filter { line in
            let lower = line.lowercased()
            return suspiciousPatterns.contains { lower.contains($0) }
        }
    }

    /// Everything one interop run needs.
    struct Setup {
        let lab: NetworkLab
        let ferryHost: NetworkLab.Host
        let keepalivedHost: NetworkLab.Host
        let vip: String
        let testCase: Case

        func ferryInstance(priority: Int) -> FerryInLab.Instance {
            FerryInLab.Instance(vrid: 91, version: testCase.version, priority: priority,
                                advertInterval: testCase.version == 2 ? "1s" : "100ms", virtualIPs: ["\(vip)/24"],
                                unicastPeers: testCase.unicast ? [keepalivedHost.addressText] : [])
        }

        func keepalivedInstance(state: KeepalivedProcess.Instance.State, priority: UInt8) -> KeepalivedProcess.Instance {
            KeepalivedProcess.Instance(state: state, virtualRouterID: 91, priority: priority,
                                       advertInterval: testCase.version == 2 ? "1" : "0.1", version: testCase.version,
                                       unicastSource: testCase.unicast ? keepalivedHost.addressText : nil,
                                       unicastPeers: testCase.unicast ? [ferryHost.addressText] : [],
                                       virtualAddresses: ["\(vip)/24"])
        }

        /// Waits, then measures from `start` until `host` holds the VIP.
        func takeover(to host: NetworkLab.Host, expected: Double, since start: ContinuousClock.Instant, _ what: String) -> Double? {
            let measured = lab.waitForAddress(on: host, vip, timeout: VRRPE2E.boundDuration(expected), since: start)
            VRRPE2E.report("\(testCase.label) \(what)", measured, expected: expected)
            return measured
        }
    }

    @Test("election and takeover both ways", arguments: Case.all)
    func interop(_ testCase: Case) throws {
        try #require(KeepalivedProcess.isInstalled, "keepalived is not installed (scripts/test installs it)")
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let setup = Setup(lab: lab, ferryHost: lab.host(0), keepalivedHost: lab.host(1), vip: lab.subnetAddress(140), testCase: testCase)
        if testCase.ferryIsMaster {
            try ferryMaster(setup)
        } else {
            try keepalivedMaster(setup)
        }
    }

    @Test("a VIP list mismatch shows in keepalived's log (so the clean-log check can fail) and on Ferry's stats")
    func mismatchIsNoticedOnBothSides() throws {
        try #require(KeepalivedProcess.isInstalled, "keepalived is not installed (scripts/test installs it)")
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let f = lab.host(0), k = lab.host(1)
        let vip = lab.subnetAddress(140), extra = lab.subnetAddress(141)
        let ferry = try FerryInLab(lab: lab, host: f, instances: [
            .init(vrid: 92, version: 3, priority: 150, advertInterval: "100ms", virtualIPs: ["\(vip)/24", "\(extra)/24"]),
        ])
        #expect(ferry.waitForState("MASTER"))
        let keepalived = try KeepalivedProcess(lab: lab, host: k, instances: [
            .init(state: .backup, virtualRouterID: 92, priority: 100, advertInterval: "0.1", version: 3, virtualAddresses: ["\(vip)/24"]),
        ])
        // keepalived refuses adverts whose address list differs and so becomes a second master;
        // Ferry accepts its adverts (lower priority, answered at once) and counts the mismatch.
        #expect(FerryInLab.poll(timeout: .seconds(10)) { !Self.suspiciousLines(keepalived.log).isEmpty },
                "keepalived:\n\(keepalived.log)")
        #expect(FerryInLab.poll(timeout: .seconds(10)) { ((try? ferry.status())?.mismatches ?? 0) > 0 },
                "\(String(describing: try? ferry.status()))")
        #expect(ferry.log.contains("configuration mismatch"), "\(ferry.logTail())")
        print("[vrrp-e2e] keepalived on a VIP list mismatch: \(Self.suspiciousLines(keepalived.log).first.map { String($0) } ?? "-")")
    }

    /// Ferry 150 / keepalived 100: keepalived stays backup; SIGKILL of Ferry → keepalived takes
    /// over after its Master_Down_Interval; Ferry restarted → preempts; SIGTERM → keepalived in
    /// Skew_Time.
    private func ferryMaster(_ setup: Setup) throws {
        let lab = setup.lab, f = setup.ferryHost, k = setup.keepalivedHost, vip = setup.vip
        let interval = setup.testCase.interval
        let ferry = try FerryInLab(lab: lab, host: f, instances: [setup.ferryInstance(priority: 150)])
        #expect(ferry.waitForState("MASTER", timeout: .seconds(15)), "\(ferry.logTail())")
        let keepalived = try KeepalivedProcess(lab: lab, host: k, instances: [setup.keepalivedInstance(state: .backup, priority: 100)])
        #expect(keepalived.waitForLog(containing: "Entering BACKUP STATE"), "\(keepalived.log)")
        // Longer than keepalived's Master_Down_Interval: it accepts our adverts and stays backup.
        Thread.sleep(forTimeInterval: VRRPE2E.masterDown(priority: 100, interval: interval) + 0.3)
        #expect(!keepalived.log.contains("Entering MASTER STATE"), "keepalived took over from a live Ferry:\n\(keepalived.log)")
        #expect(lab.hostHolds(f, vip) && !lab.hostHolds(k, vip))

        // Crash: keepalived notices the silence.
        let killedAt = ContinuousClock.now
        ferry.kill()
        let takeover = setup.takeover(to: k, expected: VRRPE2E.masterDown(priority: 100, interval: interval), since: killedAt,
                                      "SIGKILL of Ferry master → keepalived holds the VIP")
        #expect(takeover != nil, "\(keepalived.log)")
        #expect(keepalived.waitForLog(containing: "Entering MASTER STATE"))

        // Ferry returns (removing the VIP its crash left) and preempts keepalived.
        let restartedAt = ContinuousClock.now
        try ferry.start()
        let preempted = lab.waitForAddress(on: k, vip, present: false,
                                           timeout: VRRPE2E.boundDuration(VRRPE2E.masterDown(priority: 150, interval: interval)) + .seconds(2),
                                           since: restartedAt)
        VRRPE2E.report("\(setup.testCase.label) restarted Ferry preempts keepalived (start → VIP gone from keepalived)", preempted,
                       expected: VRRPE2E.masterDown(priority: 150, interval: interval))
        #expect(preempted != nil, "Ferry:\n\(ferry.logTail())\nkeepalived:\n\(keepalived.log)")
        #expect(ferry.waitForState("MASTER"))
        #expect(lab.waitForAddress(on: f, vip, timeout: .seconds(3)) != nil)
        let status = try ferry.status()
        #expect(status.advertsReceived > 0, "Ferry heard keepalived as master: \(status)")
        #expect(status.dropsTotal == 0 && status.mismatches == 0, "Ferry refused keepalived's packets: \(status)")

        // Graceful stop: priority 0, keepalived takes over in its Skew_Time.
        let terminatedAt = ContinuousClock.now
        ferry.sendTerminate()
        let handover = setup.takeover(to: k, expected: VRRPE2E.skew(priority: 100, interval: interval), since: terminatedAt,
                                      "SIGTERM of Ferry master → keepalived holds the VIP")
        #expect(handover != nil, "\(keepalived.log)")
        #expect(ferry.waitForExit() == 0)
        #expect(!lab.hostHolds(f, vip))
        #expect(keepalived.log.contains("Backup received priority 0 advertisement"), "\(keepalived.log)")

        let suspicious = Self.suspiciousLines(keepalived.log)
        #expect(suspicious.isEmpty, "keepalived complained about Ferry's packets:\n\(suspicious.joined(separator: "\n"))")
        keepalived.stop()
    }

    /// keepalived 150 / Ferry 100: Ferry stays backup; keepalived stops (priority 0) → Ferry in
    /// Skew_Time; keepalived restarted → preempts Ferry; keepalived frozen (SIGSTOP) → Ferry after
    /// Master_Down_Interval; thawed → keepalived reasserts and Ferry steps down.
    private func keepalivedMaster(_ setup: Setup) throws {
        let lab = setup.lab, f = setup.ferryHost, k = setup.keepalivedHost, vip = setup.vip
        let interval = setup.testCase.interval
        let keepalived = try KeepalivedProcess(lab: lab, host: k, instances: [setup.keepalivedInstance(state: .master, priority: 150)])
        #expect(keepalived.waitForLog(containing: "Entering MASTER STATE"), "\(keepalived.log)")
        #expect(lab.waitForAddress(on: k, vip, timeout: .seconds(5)) != nil)
        let ferry = try FerryInLab(lab: lab, host: f, instances: [setup.ferryInstance(priority: 100)])
        #expect(ferry.waitForState("BACKUP"))
        // Longer than Ferry's Master_Down_Interval: it accepts keepalived's adverts and stays backup.
        Thread.sleep(forTimeInterval: VRRPE2E.masterDown(priority: 100, interval: interval) + 0.3)
        var status = try ferry.status()
        #expect(status.state == "BACKUP", "\(status)\n\(ferry.logTail())")
        #expect(status.masterAddress == k.addressText, "\(status)")
        #expect(status.advertsReceived > 0 && status.dropsTotal == 0 && status.mismatches == 0, "\(status)")
        #expect(!lab.hostHolds(f, vip))

        // keepalived stops: its priority-0 advert hands over to Ferry in Skew_Time.
        let stoppedAt = ContinuousClock.now
        keepalived.process.signal(SIGTERM)
        let handover = setup.takeover(to: f, expected: VRRPE2E.skew(priority: 100, interval: interval), since: stoppedAt,
                                      "SIGTERM of keepalived master → Ferry holds the VIP")
        #expect(handover != nil, "\(ferry.logTail())")
        #expect(ferry.waitForState("MASTER"))
        #expect(try ferry.status().lastTransitionReason?.contains("resigned (priority 0)") == true)
        keepalived.stop()
        #expect(!lab.hostHolds(k, vip))

        // keepalived returns (as backup, priority 150) and preempts Ferry.
        let restartedAt = ContinuousClock.now
        let again = try KeepalivedProcess(lab: lab, host: k, instances: [setup.keepalivedInstance(state: .backup, priority: 150)],
                                          name: "keepalived-again")
        let preempted = setup.takeover(to: k, expected: VRRPE2E.masterDown(priority: 150, interval: interval) + 0.5,
                                       since: restartedAt, "restarted keepalived preempts Ferry (start → VIP on keepalived)")
        #expect(preempted != nil, "\(again.log)\n\(ferry.logTail())")
        #expect(ferry.waitForState("BACKUP"))
        #expect(lab.waitForAddress(on: f, vip, present: false, timeout: .seconds(3)) != nil)

        // keepalived hangs: Ferry notices the silence.
        let vrrpChild = try #require(again.vrrpPID, "keepalived's VRRP process")
        let frozenAt = ContinuousClock.now
        kill(vrrpChild, SIGSTOP)
        defer { kill(vrrpChild, SIGCONT) }
        let takeover = setup.takeover(to: f, expected: VRRPE2E.masterDown(priority: 100, interval: interval), since: frozenAt,
                                      "SIGSTOP of keepalived master → Ferry holds the VIP")
        #expect(takeover != nil, "\(ferry.logTail())")
        #expect(ferry.waitForState("MASTER"))
        // Thawed, keepalived advertises 150 again and Ferry gives the VIP back.
        kill(vrrpChild, SIGCONT)
        #expect(ferry.waitForState("BACKUP", timeout: .seconds(VRRPE2E.bound(interval) + 2)), "\(ferry.logTail())")
        #expect(lab.waitForAddress(on: f, vip, present: false, timeout: .seconds(3)) != nil)
        #expect(lab.hostHolds(k, vip))
        status = try ferry.status()
        #expect(status.dropsTotal == 0 && status.mismatches == 0, "Ferry refused keepalived's packets: \(status)")

        for log in [keepalived.log, again.log] {
            let suspicious = Self.suspiciousLines(log)
            #expect(suspicious.isEmpty, "keepalived complained about Ferry's packets:\n\(suspicious.joined(separator: "\n"))")
        }
        again.stop()
        ferry.sendTerminate()
        #expect(ferry.waitForExit() == 0)
    }
}

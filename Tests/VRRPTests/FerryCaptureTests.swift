import Foundation
import Testing

/// `ferry capture` on a real wire: a third host records two Ferrys while the test cuts them off
/// from each other (bridge port isolation: A and B cannot hear each other, the observer hears
/// both), so both are masters at once; `ferry capture --read` of the file must flag it.
@Suite("ferry capture sees a split brain", .serialized,
       .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces (CI runs as root)"))
struct FerryCaptureTests {
    @Test("split brain between two Ferrys is flagged live and in --read; VRRP lines decoded")
    func splitBrainIsFlagged() throws {
        let lab = try NetworkLab(hosts: 3)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1), observer = lab.host(2)
        let vip = lab.subnetAddress(130)
        var instance = FerryInLab.Instance(vrid: 81, advertInterval: "100ms", virtualIPs: ["\(vip)/24"])
        instance.priority = 150
        let ferryA = try FerryInLab(lab: lab, host: a, instances: [instance])
        instance.priority = 100
        let ferryB = try FerryInLab(lab: lab, host: b, instances: [instance])
        #expect(ferryA.waitForState("MASTER"))
        #expect(ferryB.waitForState("BACKUP"))

        let capture = try FerryCaptureInLab(lab: lab, host: observer, seconds: 3.5)
        Thread.sleep(forTimeInterval: 0.5)  // a clean stretch: one master
        // Cut A and B off from each other; both still reach the observer.
        try setIsolated([a, b], true, in: lab)
        defer { try? setIsolated([a, b], false, in: lab) }
        #expect(ferryB.waitForState("MASTER", timeout: .seconds(3)), "B: \(ferryB.logTail())")
        #expect(lab.hostHolds(a, vip) && lab.hostHolds(b, vip), "split brain: both hold the VIP")
        Thread.sleep(forTimeInterval: 1.0)
        try setIsolated([a, b], false, in: lab)
        // Restored: B hears the higher priority and steps down.
        #expect(ferryB.waitForState("BACKUP", timeout: .seconds(3)), "B: \(ferryB.logTail())")
        #expect(lab.waitForAddress(on: b, vip, present: false, timeout: .seconds(3)) != nil)
        #expect(lab.hostHolds(a, vip))
        try capture.finish()

        let live = capture.liveOutput
        let replay = try capture.read()
        print("[vrrp-e2e] ferry capture --read:\n" + replay.split(separator: "\n").filter { $0.contains("!!") || $0.contains("packets") }
            .joined(separator: "\n"))
        let anomaly = "SPLIT BRAIN: VRRP vrid 81 has 2 masters"
        for (label, output) in [("live", live), ("--read", replay)] {
            let lines = output.split(separator: "\n")
            #expect(lines.contains { $0.hasPrefix("  !! ") && $0.contains(anomaly) && $0.contains(a.addressText) && $0.contains(b.addressText) },
                    "\(label) output lacks the split-brain line:\n\(output)")
            #expect(lines.contains { $0.contains("VRRPv3 \(a.addressText) → 224.0.0.18 vrid 81 prio 150 int 0.10s addrs [\(vip)] ttl 255 cksum ok") },
                    "\(label):\n\(output)")
            #expect(lines.contains { $0.contains("VRRPv3 \(b.addressText) → 224.0.0.18 vrid 81 prio 100") }, "\(label):\n\(output)")
            #expect(lines.contains { $0.contains("ARP gratuitous") && $0.contains(" \(vip) is-at ") }, "B's takeover GARPs")
            #expect(lines.last?.hasSuffix("anomalies") == true)
        }
        // The file holds what the live run printed: the same VRRP lines, in the same order.
        let vrrpLines = { (text: String) in text.split(separator: "\n").filter { $0.contains(" VRRPv3 ") } }
        #expect(vrrpLines(live) == vrrpLines(replay))
        // Before the cut there was a single master: the anomaly comes after clean lines.
        let firstLines = replay.split(separator: "\n").prefix(3)
        #expect(!firstLines.contains { $0.contains("!!") }, "\(firstLines)")
    }

    /// Bridge port isolation: isolated ports do not forward to each other, only to the others.
    private func setIsolated(_ hosts: [NetworkLab.Host], _ isolated: Bool, in lab: NetworkLab) throws {
        for host in hosts {
            let outcome = try lab.runInBridge(["bridge", "link", "set", "dev", host.bridgePort, "isolated", isolated ? "on" : "off"])
            guard outcome.succeeded else { throw LabError.commandFailed("bridge isolated: \(outcome)") }
        }
    }
}

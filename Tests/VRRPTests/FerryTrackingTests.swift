import Foundation
import Testing

/// Backend tracking end to end: each Ferry proxies to a redis-server in its own namespace and
/// lowers its VRRP priority by `track_backends_weight` while no backend is routable.
@Suite("Ferry backend tracking moves the VIP", .serialized,
       .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces (CI runs as root)"))
struct FerryTrackingTests {
    static let redisPort = 6390

    /// Starts redis-server on 127.0.0.1 inside `host` and waits until it accepts connections.
    static func startRedis(lab: NetworkLab, host: NetworkLab.Host, name: String) throws -> LabProcess {
        let redis = try lab.spawn(in: host, [
            "redis-server", "--port", "\(redisPort)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", lab.directory.path,
        ], logName: "\(name).log")
        guard redis.waitForLog(containing: "Ready to accept connections", timeout: .seconds(10)) else {
            throw LabError.commandFailed("redis-server in \(host) did not start: \(redis.log)")
        }
        return redis
    }

    @Test("the active's Redis dies → priority 150−60 = 90 < 100, the standby takes the VIP; Redis back → the active preempts")
    func trackingMovesTheVIP() throws {
        try #require(LabProcess.which("redis-server") != nil, "redis-server is not installed (scripts/test installs it)")
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let vip = lab.subnetAddress(120)
        let interval = 0.1
        // Children of the test process inherit the test thread's blocked signals (Foundation's
        // Process on Linux, swift-corelibs-foundation#4772), so redis-server would sit out the
        // lab's SIGTERM grace period: end the throwaway servers (no persistence) with SIGKILL first.
        var servers: [LabProcess] = []
        defer { for server in servers { server.kill() } }
        var redisA = try Self.startRedis(lab: lab, host: a, name: "redis-a")
        servers.append(redisA)
        servers.append(try Self.startRedis(lab: lab, host: b, name: "redis-b"))
        let backends = ["127.0.0.1:\(Self.redisPort)"]
        var instance = FerryInLab.Instance(vrid: 71, advertInterval: "100ms", virtualIPs: ["\(vip)/24"], trackBackendsWeight: -60)
        instance.priority = 150
        let ferryA = try FerryInLab(lab: lab, host: a, instances: [instance], backends: backends)
        instance.priority = 100
        let ferryB = try FerryInLab(lab: lab, host: b, instances: [instance], backends: backends)

        // Both backends come up (rise 1 at 200 ms): A at 150 is master.
        #expect(FerryInLab.poll(timeout: .seconds(10)) {
            (try? ferryA.status())?.state == "MASTER" && (try? ferryA.status())?.effectivePriority == 150
                && (try? ferryB.status())?.state == "BACKUP" && (try? ferryB.status())?.effectivePriority == 100
        }, "A: \(String(describing: try? ferryA.status()))\nB: \(String(describing: try? ferryB.status()))\n\(ferryA.logTail())")
        #expect(lab.waitForAddress(on: a, vip, timeout: .seconds(3)) != nil)
        #expect(!lab.hostHolds(b, vip))

        // A's Redis dies: health checks fail (fall 1 at 200 ms), tracking lowers A to 90 within
        // 100 ms, B (100) ignores the lower-priority master and takes over after its
        // Master_Down_Interval.
        let expected = 0.2 + 0.1 + VRRPE2E.masterDown(priority: 100, interval: interval)
        let stoppedAt = ContinuousClock.now
        redisA.kill()
        let takeover = lab.waitForAddress(on: b, vip, timeout: VRRPE2E.boundDuration(expected), since: stoppedAt)
        VRRPE2E.report("tracking: active's redis killed → standby holds the VIP", takeover, expected: expected)
        #expect(takeover != nil, "A: \(ferryA.logTail())\nB: \(ferryB.logTail())")
        #expect(ferryB.waitForState("MASTER"))
        #expect(ferryA.waitForState("BACKUP"))
        #expect(lab.waitForAddress(on: a, vip, present: false, timeout: .seconds(3)) != nil)
        let lowered = try ferryA.status()
        #expect(lowered.effectivePriority == 90, "\(lowered)")
        #expect(lowered.configuredPriority == 150)
        #expect(try ferryB.status().effectivePriority == 100)
        #expect(ferryA.log.contains("no backend routable"), "\(ferryA.logTail())")

        // Redis is back: A is routable again (rise 1), returns to 150 and preempts B.
        let expectedBack = 0.2 + 0.1 + VRRPE2E.masterDown(priority: 150, interval: interval)
        let restartedAt = ContinuousClock.now
        redisA = try Self.startRedis(lab: lab, host: a, name: "redis-a")
        servers.append(redisA)
        let preempted = lab.waitForAddress(on: a, vip, timeout: VRRPE2E.boundDuration(expectedBack), since: restartedAt)
        VRRPE2E.report("tracking: active's redis restarted → active preempts", preempted, expected: expectedBack)
        #expect(preempted != nil, "A: \(ferryA.logTail())")
        #expect(ferryA.waitForState("MASTER"))
        #expect(ferryB.waitForState("BACKUP"))
        #expect(lab.waitForAddress(on: b, vip, present: false, timeout: .seconds(3)) != nil)
        #expect(try ferryA.status().effectivePriority == 150)
        #expect(ferryA.log.contains("backends routable again"))
    }
}

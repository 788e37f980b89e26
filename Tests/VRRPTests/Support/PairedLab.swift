import Foundation
import Glibc
import Synchronization

/// The paired deployment lab of `scripts/lab`, driven from the tests: two Ferrys (`lb1`, `lb2`)
/// running `conf/lb1.yaml` and `conf/lb2.yaml` with the VIP 10.125.0.100 (in tcp mode as shipped,
/// or with `--mode cluster`), a 6-node Redis Cluster in `redis`, and `scripts/lab-client` load
/// from `client`.
///
/// Each lab gets its own namespace prefix (`fl<test pid>-<n>`) and state directory, so it never
/// meets a developer's `ferrylab` or another test process's lab. ``teardown()`` (also run on
/// release) is `scripts/lab down`, which ends every process of the lab by PID and deletes its
/// namespaces; labs left by a test process that died are removed when the next one starts.
final class PairedLab: @unchecked Sendable {
    enum Node: String, CaseIterable, Sendable { case lb1, lb2, redis, client }

    static let vip = "10.125.0.100"
    static let address: [Node: String] = [.lb1: "10.125.0.1", .lb2: "10.125.0.2", .redis: "10.125.0.10", .client: "10.125.0.20"]
    static let redisPorts = Array(7001...7006)
    static let statsPort: UInt16 = 7020

    /// The repository (this file is Tests/VRRPTests/Support/PairedLab.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var script: String { repository.appendingPathComponent("scripts/lab").path }

    /// Why the paired lab cannot run here, or nil.
    static let unavailableReason: String? = {
        if let reason = NetworkLab.unavailableReason { return reason }
        for tool in ["redis-server", "redis-cli", "python3", "bridge"] where LabProcess.which(tool) == nil {
            return "the paired lab needs \(tool) (scripts/test installs it)"
        }
        return nil
    }()

    static var isAvailable: Bool {
        if let reason = unavailableReason {
            print("[paired] skipped: \(reason)")
            return false
        }
        return true
    }

    private static let counter = Mutex(0)

    let prefix: String
    let directory: URL
    let options: [String]
    private let torn = Mutex(false)

    /// `scripts/lab up OPTIONS`: returns once lb1 is master with the VIP, lb2 backup, both
    /// routing to the cluster's three masters.
    init(_ options: [String] = ["--advert", "100ms"]) throws {
        guard FileManager.default.isExecutableFile(atPath: FerryInLab.binary) else {
            throw FerryInLab.Failure.binaryMissing(FerryInLab.binary)
        }
        Self.removeStaleLabs()
        let number = Self.counter.withLock { value -> Int in
            value += 1
            return value
        }
        prefix = "fl\(getpid())-\(number)"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(prefix)
        self.options = options
        let started = ContinuousClock.now
        let outcome: LabProcess.Outcome
        do {
            outcome = try lab(["up"] + options, timeout: .seconds(120))
        } catch {
            teardown()
            throw error
        }
        guard outcome.succeeded else {
            teardown()
            throw LabError.commandFailed("scripts/lab up \(options.joined(separator: " ")): \(outcome)")
        }
        print("[paired] lab \(prefix) up (\(options.joined(separator: " "))) in \(String(format: "%.1f", VRRPE2E.seconds(ContinuousClock.now - started))) s")
    }

    deinit { teardown() }

    /// `scripts/lab down`, then the state directory is removed (kept with FERRY_KEEP_LAB=1).
    /// Safe to call more than once.
    func teardown() {
        let already = torn.withLock { value -> Bool in
            defer { value = true }
            return value
        }
        if already { return }
        let keep = ProcessInfo.processInfo.environment["FERRY_KEEP_LAB"] != nil
        _ = try? lab(keep ? ["down"] : ["down", "--purge"], timeout: .seconds(60))
    }

    func namespace(_ node: Node) -> String { "\(prefix)-\(node.rawValue)" }

    // MARK: - scripts/lab

    /// Runs `scripts/lab ARGUMENTS` for this lab and waits for it.
    @discardableResult
    func lab(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> LabProcess.Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-cmd-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        return try LabProcess.run(environment + [Self.script] + arguments, logFile: log, timeout: timeout)
    }

    /// Runs `scripts/lab ARGUMENTS`, throwing unless it succeeds; returns its output.
    @discardableResult
    func checked(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> String {
        let outcome = try lab(arguments, timeout: timeout)
        guard outcome.succeeded else { throw LabError.commandFailed("scripts/lab \(arguments.joined(separator: " ")): \(outcome)") }
        return outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts `scripts/lab ARGUMENTS` without waiting (a load run, a capture).
    func spawn(_ arguments: [String], logName: String) throws -> LabProcess {
        try LabProcess(environment + [Self.script] + arguments, logFile: directory.appendingPathComponent(logName))
    }

    private var environment: [String] {
        ["env", "FERRY_LAB_PREFIX=\(prefix)", "FERRY_LAB_DIR=\(directory.path)", "FERRY_BIN=\(FerryInLab.binary)"]
    }

    // MARK: - Ferry

    /// The pid of the Ferry running in `node` (lb1 or lb2).
    func ferryPid(_ node: Node) throws -> pid_t {
        guard let pid = pid_t(try checked(["ferry", node.rawValue, "pid"])) else { throw LabError.commandFailed("no ferry pid in \(node)") }
        return pid
    }

    /// Signals `node`'s Ferry directly and returns the instant just before (its pid is looked up
    /// first, so the figures a test times from it do not include that); see ``waitForExit(_:timeout:)``.
    @discardableResult
    func signalFerry(_ node: Node, _ signal: Int32) throws -> ContinuousClock.Instant {
        let pid = try ferryPid(node)
        let now = ContinuousClock.now
        guard kill(pid, signal) == 0 else { throw LabError.commandFailed("kill(\(pid), \(signal)): errno \(errno)") }
        return now
    }

    /// Waits until `node`'s Ferry has exited; returns its exit status as the shell reports it
    /// (128 + signal when killed), or nil on timeout.
    func waitForExit(_ node: Node, timeout: Duration = .seconds(15)) -> Int? {
        let file = directory.appendingPathComponent("\(node.rawValue).exit")
        var status: Int?
        _ = FerryInLab.poll(timeout: timeout) {
            status = (try? String(contentsOf: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return status != nil
        }
        return status
    }

    func startFerry(_ node: Node) throws { try checked(["ferry", node.rawValue, "start"], timeout: .seconds(60)) }

    /// Everything `node`'s Ferry runs have logged.
    func ferryLog(_ node: Node) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(node.rawValue).log"), encoding: .utf8)) ?? ""
    }

    func ferryLogTail(_ node: Node, _ lines: Int = 30) -> String {
        "\(node) log:\n" + ferryLog(node).split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// The configuration `scripts/lab` rendered for `node`.
    func renderedConfig(_ node: Node) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("\(node.rawValue).yaml"), encoding: .utf8)
    }

    /// `GET /stats;json` inside `node`.
    func stats(_ node: Node) throws -> [String: Any] {
        let body = try FerryInLab.httpGet(namespace: namespace(node), port: Self.statsPort, path: "/stats;json")
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw FerryInLab.Failure.http("not a JSON object")
        }
        return object
    }

    /// One master of `node`'s cluster section (`cluster.masters[]` of `/stats;json`; cluster mode only).
    struct ClusterMaster: Sendable, CustomStringConvertible {
        var name: String
        var commands, moved, asked, tryAgain, errors, held, slots: Int

        var description: String {
            "\(name): \(slots) slots, \(commands) commands, \(moved) MOVED, \(asked) ASK, \(tryAgain) TRYAGAIN, \(errors) errors, \(held) held"
        }
    }

    /// `node`'s cluster masters by name, or nil when it is not in cluster mode.
    func clusterMasters(_ node: Node) throws -> [String: ClusterMaster]? {
        guard let cluster = try stats(node)["cluster"] as? [String: Any] else { return nil }
        var masters: [String: ClusterMaster] = [:]
        for entry in cluster["masters"] as? [[String: Any]] ?? [] {
            func int(_ key: String) -> Int { (entry[key] as? NSNumber)?.intValue ?? -1 }
            guard let name = entry["name"] as? String else { continue }
            masters[name] = ClusterMaster(name: name, commands: int("commands"), moved: int("moved"), asked: int("asked"),
                                          tryAgain: int("try_again"), errors: int("errors"), held: int("held"), slots: int("slots"))
        }
        return masters
    }

    /// `node`'s cluster masters once its stats count at least `commands` frontend commands (the
    /// data-plane loops publish their counters periodically, so a read right after the load may
    /// miss its last commands); after `timeout`, whatever they show.
    func clusterMasters(_ node: Node, afterCommands commands: Int, timeout: Duration = .seconds(5)) throws -> [String: ClusterMaster]? {
        _ = FerryInLab.poll(timeout: timeout, every: .milliseconds(50)) {
            let frontend = (try? stats(node))?["frontend"] as? [String: Any]
            return ((frontend?["commands"] as? NSNumber)?.intValue ?? 0) >= commands
        }
        return try clusterMasters(node)
    }

    /// The VRRP instance and routing as `node`'s stats page shows them.
    struct FerryStatus: Sendable, CustomStringConvertible {
        var state: String
        var effectivePriority: Int
        var configuredPriority: Int
        var masterAddress: String?
        var lastTransitionReason: String?
        var advertsReceived: Int
        var dropsTotal: Int
        var mismatches: Int
        var routable: Int
        /// Address → routable, for every backend.
        var backends: [String: Bool]

        var description: String {
            "\(state) prio \(effectivePriority)/\(configuredPriority) master \(masterAddress ?? "-") rcvd \(advertsReceived) "
                + "drops \(dropsTotal) mismatches \(mismatches) routable \(routable) last: \(lastTransitionReason ?? "-")"
        }
    }

    func status(_ node: Node) throws -> FerryStatus {
        let json = try stats(node)
        guard let vrrp = (json["vrrp"] as? [[String: Any]])?.first else { throw FerryInLab.Failure.http("no vrrp instance") }
        func int(_ key: String) -> Int { (vrrp[key] as? NSNumber)?.intValue ?? -1 }
        var backends: [String: Bool] = [:]
        for backend in json["backends"] as? [[String: Any]] ?? [] {
            if let address = backend["address"] as? String { backends[address] = (backend["routable"] as? Bool) ?? false }
        }
        return FerryStatus(
            state: vrrp["state"] as? String ?? "", effectivePriority: int("effective_priority"),
            configuredPriority: int("configured_priority"), masterAddress: vrrp["master_address"] as? String,
            lastTransitionReason: vrrp["last_transition_reason"] as? String, advertsReceived: int("adverts_received"),
            dropsTotal: int("drops_total"), mismatches: int("mismatches"),
            routable: (json["backends_routable"] as? NSNumber)?.intValue ?? -1, backends: backends)
    }

    /// Polls `node`'s status until `condition` holds; false on timeout.
    func waitFor(_ node: Node, timeout: Duration = .seconds(10), _ condition: (FerryStatus) -> Bool) -> Bool {
        FerryInLab.poll(timeout: timeout) { (try? status(node)).map(condition) ?? false }
    }

    // MARK: - The VIP

    /// Whether `node`'s eth1 lists the VIP (`ip -n NS -4 addr`).
    func holdsVIP(_ node: Node) -> Bool {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-ip-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        guard let outcome = try? LabProcess.run(["ip", "-n", namespace(node), "-4", "-o", "address", "show", "dev", "eth1"], logFile: log),
              outcome.succeeded else { return false }
        return outcome.output.contains(" \(Self.vip)/")
    }

    /// The load balancers holding the VIP now.
    var vipHolders: [Node] { [Node.lb1, .lb2].filter(holdsVIP) }

    /// Polls until `node` holds (or no longer holds) the VIP; the seconds since `start`, or nil.
    func waitForVIP(on node: Node, present: Bool = true, timeout: Duration, since start: ContinuousClock.Instant = .now) -> Double? {
        let deadline = start + timeout
        repeat {
            if holdsVIP(node) == present { return VRRPE2E.seconds(ContinuousClock.now - start) }
            usleep(5_000)
        } while ContinuousClock.now < deadline
        return holdsVIP(node) == present ? VRRPE2E.seconds(ContinuousClock.now - start) : nil
    }

    // MARK: - Redis

    func redisMasters() throws -> [Int] {
        try checked(["redis", "masters"]).split(separator: "\n").compactMap { Int($0) }
    }

    func replica(of master: Int) throws -> Int {
        guard let port = Int(try checked(["redis", "replica-of", "\(master)"])) else { throw LabError.commandFailed("no replica of \(master)") }
        return port
    }

    /// Slots per master port, as `scripts/lab redis slots` reads them from the cluster.
    func redisSlots() throws -> [Int: Int] {
        var slots: [Int: Int] = [:]
        for line in try checked(["redis", "slots"]).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let port = Int(fields[0]), let count = Int(fields[1]) { slots[port] = count }
        }
        return slots
    }

    /// `scripts/lab redis reshard FROM TO COUNT` (`redis-cli --cluster reshard`); returns its
    /// line ("moved 2000 slots from 7001 to 7002 in 6.12 s").
    @discardableResult
    func reshard(from: Int, to: Int, slots: Int, timeout: Duration = .seconds(120)) throws -> String {
        try checked(["redis", "reshard", "\(from)", "\(to)", "\(slots)"], timeout: timeout)
    }

    /// The wall-clock time (seconds since 1970) of the first line of redis node `port`'s log
    /// containing `text`, or nil. Redis stamps lines `pid:role dd Mon yyyy HH:MM:SS.mmm`, local time.
    func redisLogTime(_ port: Int, containing text: String) -> Double? {
        let file = directory.appendingPathComponent("redis/redis-\(port).log")
        guard let log = try? String(contentsOf: file, encoding: .utf8),
              let line = log.split(separator: "\n").first(where: { $0.contains(text) }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 5 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "dd MMM yyyy HH:mm:ss.SSS"
        return formatter.date(from: fields[1...4].joined(separator: " "))?.timeIntervalSince1970
    }

    /// `ROLE`'s first word for the node on `port` ("master", "slave"), nil when it does not answer.
    func redisRole(_ port: Int) -> String? {
        guard let outcome = try? lab(["redis", "cli", "\(port)", "role"], timeout: .seconds(5)), outcome.succeeded else { return nil }
        return outcome.output.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    // MARK: - Load

    /// Starts `scripts/lab load` (scripts/lab-client in the client namespace against VIP:7010)
    /// and waits until every client has completed an operation.
    /// `options` go to scripts/lab-client as they are (`--slots all`, …).
    func startLoad(clients: Int = 4, rate: Int = 200, name: String, options: [String] = []) throws -> LoadRun {
        let summary = directory.appendingPathComponent("\(name).summary.json")
        let process = try spawn(["load", "--clients", "\(clients)", "--rate", "\(rate)", "--summary", summary.path] + options,
                                logName: "\(name).log")
        guard process.waitForLog(containing: " ready\n", timeout: .seconds(15)) else {
            process.stop(grace: .seconds(2))
            throw LabError.timedOut("load \(name) never became ready:\n\(process.log)")
        }
        return LoadRun(process: process, summaryFile: summary, name: name)
    }

    // MARK: - Stale labs

    /// Runs `scripts/lab down --purge` for `fl<pid>-<n>` labs whose test process is gone.
    private static func removeStaleLabs() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        var stale = Set<String>()
        for name in names {
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0].hasPrefix("fl"), let pid = pid_t(parts[0].dropFirst(2)), Int(parts[1]) != nil,
                  Node(rawValue: String(parts[2])) != nil || parts[2] == "br", pid > 1, pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            stale.insert("\(parts[0])-\(parts[1])")
        }
        for prefix in stale {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(prefix)
            _ = try? LabProcess.run(["env", "FERRY_LAB_PREFIX=\(prefix)", "FERRY_LAB_DIR=\(directory.path)", script, "down", "--purge"],
                                    logFile: FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-stale.log"),
                                    timeout: .seconds(60))
            try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-stale.log"))
        }
    }
}

/// One `scripts/lab load` run.
final class LoadRun: @unchecked Sendable {
    let process: LabProcess
    let summaryFile: URL
    let name: String

    init(process: LabProcess, summaryFile: URL, name: String) {
        self.process = process
        self.summaryFile = summaryFile
        self.name = name
    }

    /// The client's event log so far.
    var log: String { process.log }

    /// Stops the load (SIGTERM) and reads its summary.
    func finish() throws -> LoadSummary {
        process.signal(SIGTERM)
        guard process.waitForExit(timeout: .seconds(15)) else {
            process.kill()
            throw LabError.timedOut("load \(name) did not stop:\n\(process.log)")
        }
        let data = try Data(contentsOf: summaryFile)
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LabError.commandFailed("load \(name): no summary")
        }
        return LoadSummary(json: json, log: process.log)
    }
}

/// What `scripts/lab-client` reported.
struct LoadSummary: Sendable, CustomStringConvertible {
    struct Client: Sendable {
        var ops, errors, reconnects: Int
        var longestOutage: Double
        /// The longest time between two of its successful operations, errors or not.
        var longestGap: Double
        var master: String
        var errorKinds: [String: Int]
        /// Wall-clock times (seconds since 1970) of its errors, the first 50.
        var errorTimes: [Double]
    }

    var ops, gets, errors, reconnects, corrupted, staleReads, missingReads, moved: Int
    /// Distinct slots of the keys (`--slots all`), else nil.
    var slotsUsed: Int?
    /// The longest gap between two successful operations of one client that contained an error.
    var longestOutage: Double
    /// The longest gap of any kind (includes scheduling stalls of a loaded machine).
    var longestGap: Double
    var outageOpenAtEnd: Bool
    var errorKinds: [String: Int]
    var clients: [Client]
    var log: String

    init(json: [String: Any], log: String) {
        func int(_ key: String) -> Int { (json[key] as? NSNumber)?.intValue ?? -1 }
        func double(_ key: String) -> Double { (json[key] as? NSNumber)?.doubleValue ?? -1 }
        ops = int("ops"); gets = int("gets"); errors = int("errors"); reconnects = int("reconnects"); corrupted = int("corrupted")
        staleReads = int("stale_reads"); missingReads = int("missing_reads"); moved = int("moved")
        longestOutage = double("longest_outage_s"); longestGap = double("longest_gap_s")
        slotsUsed = (json["slots_used"] as? NSNumber)?.intValue
        outageOpenAtEnd = json["outage_open_at_end"] as? Bool ?? true
        errorKinds = (json["error_kinds"] as? [String: Any] ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? 0 }
        clients = (json["per_client"] as? [[String: Any]] ?? []).map { entry in
            Client(ops: (entry["ops"] as? NSNumber)?.intValue ?? 0, errors: (entry["errors"] as? NSNumber)?.intValue ?? 0,
                   reconnects: (entry["reconnects"] as? NSNumber)?.intValue ?? 0,
                   longestOutage: (entry["longest_outage_s"] as? NSNumber)?.doubleValue ?? 0,
                   longestGap: (entry["longest_gap_s"] as? NSNumber)?.doubleValue ?? 0, master: entry["master"] as? String ?? "?",
                   errorKinds: (entry["error_kinds"] as? [String: Any] ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? 0 },
                   errorTimes: (entry["error_times"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue })
        }
        self.log = log
    }

    var description: String {
        "\(ops) ops, \(errors) errors \(errorKinds), \(reconnects) reconnects \(clients.map(\.reconnects)), \(corrupted) corrupted, "
            + "\(staleReads) stale, \(missingReads) missing, \(moved) MOVED, longest outage \(String(format: "%.3f", longestOutage)) s "
            + "(longest gap \(String(format: "%.3f", longestGap)) s)\(outageOpenAtEnd ? ", STILL IN OUTAGE at the end" : "")"
    }

    /// The last `lines` lines of the client's event log, for failure messages.
    func logTail(_ lines: Int = 40) -> String {
        log.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

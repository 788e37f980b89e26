import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real Redis Cluster for end-to-end tests: `redis-server` processes on free loopback
/// ports, joined with `redis-cli --cluster create`, with their files in a temporary
/// directory that ``stopAll()`` removes.
///
/// Tests can crash (`kill`), pause (`stop`/`cont`) and `restart` nodes and ask who is
/// master. Calls block (a test may wait seconds for a failover); the type is `Sendable`
/// and can be used from any task. Nodes are always ended on ``stopAll()`` or release.
///
/// ```swift
/// let cluster = RedisCluster()
/// try cluster.start()
/// defer { cluster.stopAll() }
/// let master = cluster.masters()[0]
/// ```
final class RedisCluster: Sendable {
    /// A node's replication role, from `ROLE`.
    enum Role: Sendable, Equatable, CustomStringConvertible {
        case master
        /// A replica of the master on port `of`; `linkUp` once its replication link is `connected`.
        case replica(of: Int, linkUp: Bool)

        var description: String {
            switch self {
            case .master: "master"
            case let .replica(master, linkUp): "replica of \(master)\(linkUp ? "" : " (link down)")"
            }
        }
    }

    /// Why a cluster operation failed; descriptions are meant to be read in a test report.
    enum Failure: Error, CustomStringConvertible {
        case redisNotInstalled(String)
        case notStarted
        case alreadyStarted
        case unknownNode(Int)
        case nodeDidNotStart(port: Int, reason: String, logTail: String)
        case createFailed(status: Int32, output: String)
        case timedOut(what: String, after: Duration, lastReason: String?)
        case tooManyRedirects([String])
        case cliFailed(arguments: [String], status: Int32, output: String)

        var description: String {
            switch self {
            case let .redisNotInstalled(what):
                "\(what) not found in PATH. End-to-end tests need a real Redis: apt-get install -y redis-server redis-tools"
            case .notStarted:
                "the cluster is not started"
            case .alreadyStarted:
                "start() was already called on this cluster"
            case let .unknownNode(port):
                "no node on port \(port) in this cluster"
            case let .nodeDidNotStart(port, reason, logTail):
                "redis-server on port \(port) did not start: \(reason)\n--- log tail ---\n\(logTail)"
            case let .createFailed(status, output):
                "redis-cli --cluster create exited with \(status)\n--- output ---\n\(output)"
            case let .timedOut(what, after, lastReason):
                "timed out after \(after) waiting for \(what)" + (lastReason.map { " (last: \($0))" } ?? "")
            case let .cliFailed(arguments, status, output):
                "redis-cli \(arguments.joined(separator: " ")) exited with \(status)\n--- output ---\n\(output)"
            case let .tooManyRedirects(command):
                "too many MOVED/ASK redirects for \(command.joined(separator: " "))"
            }
        }
    }

    /// Thrown by a ``waitUntil(_:timeout:pollEvery:_:)`` condition to say why it is not met
    /// yet; the last reason is shown if the wait times out.
    struct NotYet: Error, CustomStringConvertible {
        var reason: String
        init(_ reason: String) { self.reason = reason }
        var description: String { reason }
    }

    private struct Node {
        let port: Int
        var process: ChildProcess?
        // SIGSTOPped by us: it accepts connections but never answers, so queries skip it.
        var paused = false

        var isLive: Bool { !paused && (process?.isRunning ?? false) }
    }

    private struct State {
        var directory: URL?
        var serverPath = ""
        var cliPath = ""
        var supportsDebugCommand = false
        var nodes: [Int: Node] = [:]
        var ports: [Int] = []
    }

    let nodeCount: Int
    let replicasPerMaster: Int
    let nodeTimeout: Duration
    /// How long ``start()`` may take to reach a healthy cluster.
    let startTimeout: Duration
    /// Appended to every `redis-server` command line (e.g. `["--cluster-replica-validity-factor", "0"]`).
    let extraServerArguments: [String]

    private let state = Mutex(State())

    init(
        nodes: Int = 6,
        replicas: Int = 1,
        nodeTimeout: Duration = .milliseconds(1000),
        startTimeout: Duration = .seconds(30),
        extraServerArguments: [String] = []
    ) {
        // redis-cli refuses fewer than 3 masters.
        precondition(nodes % (replicas + 1) == 0 && nodes / (replicas + 1) >= 3, "need at least 3 masters, each with \(replicas) replicas")
        self.nodeCount = nodes
        self.replicasPerMaster = replicas
        self.nodeTimeout = nodeTimeout
        self.startTimeout = startTimeout
        self.extraServerArguments = extraServerArguments
    }

    deinit { stopAll() }

    /// The nodes' client ports (bus ports are these + 10000), in ascending order.
    var ports: [Int] { state.withLock { $0.ports } }

    /// The temporary directory holding the nodes' `nodes-P.conf` and `redis-P.log` files.
    var directory: URL? { state.withLock { $0.directory } }

    /// How many masters a healthy cluster has.
    var expectedMasterCount: Int { nodeCount / (replicasPerMaster + 1) }

    // MARK: - Starting and stopping

    /// Starts the nodes, creates the cluster and waits until every node reports
    /// `cluster_state:ok`, sees all masters, and every replica's link is up.
    func start() throws {
        guard let server = ChildProcess.which("redis-server") else { throw Failure.redisNotInstalled("redis-server") }
        guard let cli = ChildProcess.which("redis-cli") else { throw Failure.redisNotInstalled("redis-cli") }

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-e2e-redis-\(getpid())-\(UUID().uuidString.prefix(8))")
        // Claimed before anything is created, so a second start() leaks nothing.
        try state.withLock {
            guard $0.directory == nil, $0.nodes.isEmpty else { throw Failure.alreadyStarted }
            $0.directory = directory
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // `--enable-debug-command` exists from Redis 7 on; older servers refuse unknown options.
        let version = try ChildProcess.run(
            server, ["--version"],
            logFile: directory.appendingPathComponent("version.log"),
            timeout: .seconds(10)
        )
        let supportsDebug = Self.majorVersion(fromVersionOutput: version.output).map { $0 >= 7 } ?? false
        state.withLock {
            $0.serverPath = server
            $0.cliPath = cli
            $0.supportsDebugCommand = supportsDebug
        }

        // Another test run may take a port between our bind test and redis-server's bind; pick again then.
        var attempt = 1
        while true {
            let ports = try FreePorts.find(nodeCount)
            state.withLock { state in
                state.ports = ports.sorted()
                state.nodes = Dictionary(uniqueKeysWithValues: ports.map { ($0, Node(port: $0)) })
            }
            do {
                for port in ports { try launch(port) }
                for port in ports { try waitForPing(port, timeout: .seconds(15)) }
                break
            } catch let Failure.nodeDidNotStart(_, _, log) where attempt < 3 && log.contains("Address already in use") {
                attempt += 1
                killAllNodes()
            }
        }

        let addresses = ports.map { "127.0.0.1:\($0)" }
        let create = try ChildProcess.run(
            cli,
            ["--cluster", "create"] + addresses + ["--cluster-replicas", String(replicasPerMaster), "--cluster-yes"],
            logFile: directory.appendingPathComponent("cluster-create.log"),
            timeout: startTimeout
        )
        guard create.status == 0 else { throw Failure.createFailed(status: create.status, output: create.output) }
        try waitUntilHealthy(timeout: startTimeout)
    }

    /// Ends every node (SIGKILL: there is nothing to save) and removes the directory,
    /// unless `FERRY_E2E_KEEP_DIRS=1` is set to keep the logs for a post-mortem.
    /// Safe to call more than once.
    func stopAll() {
        killAllNodes()
        let directory = state.withLock { state -> URL? in
            defer { state.directory = nil }
            return state.directory
        }
        if let directory, ProcessInfo.processInfo.environment["FERRY_E2E_KEEP_DIRS"] != "1" {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private func killAllNodes() {
        let processes = state.withLock { state in
            defer {
                for port in state.nodes.keys { state.nodes[port]?.process = nil }
            }
            return state.nodes.values.compactMap(\.process)
        }
        for process in processes { process.kill() }
    }

    // MARK: - Faults

    /// Crashes the node with SIGKILL and waits until it is gone.
    func kill(_ port: Int) throws {
        let process = try node(port).process
        process?.kill()
        state.withLock { $0.nodes[port]?.paused = false }
    }

    /// Freezes the node with SIGSTOP: its sockets stay open but it answers nothing.
    func stop(_ port: Int) throws {
        let process = try node(port).process
        process?.signal(SIGSTOP)
        state.withLock { $0.nodes[port]?.paused = true }
    }

    /// Resumes a node frozen by ``stop(_:)``.
    func cont(_ port: Int) throws {
        let process = try node(port).process
        process?.signal(SIGCONT)
        state.withLock { $0.nodes[port]?.paused = false }
    }

    /// Starts the node again from its `nodes-P.conf` so it rejoins the cluster (a former
    /// master comes back as a replica of its promoted replica), and waits until it answers
    /// PING. A node still running is first stopped with SIGTERM.
    func restart(_ port: Int) throws {
        try node(port).process?.stop()
        try launch(port)
        try waitForPing(port, timeout: .seconds(15))
    }

    /// Whether the node's process is running (a SIGSTOPped node counts as running).
    func isRunning(_ port: Int) -> Bool {
        state.withLock { $0.nodes[port]?.process?.isRunning ?? false }
    }

    /// The node's process id, while it runs.
    func pid(_ port: Int) -> pid_t? {
        state.withLock { state in
            state.nodes[port]?.process.flatMap { $0.isRunning ? $0.pid : nil }
        }
    }

    /// The last lines of the node's log, for failure messages.
    func logTail(_ port: Int, lines: Int = 30) -> String {
        guard let directory else { return "" }
        return ChildProcess.tail(of: directory.appendingPathComponent("redis-\(port).log"), lines: lines)
    }

    // MARK: - Growing and shrinking

    /// Starts one more node and joins it as a master without slots (`redis-cli --cluster
    /// add-node`); returns its port. ``moveSlots(_:from:to:)`` gives it some.
    func addNode() throws -> Int {
        let port = try FreePorts.find(1)[0]
        state.withLock {
            $0.nodes[port] = Node(port: port)
            $0.ports = ($0.ports + [port]).sorted()
        }
        try launch(port)
        try waitForPing(port, timeout: .seconds(15))
        guard let existing = masters().first(where: { $0 != port }) else { throw Failure.notStarted }
        try redisCLI(["--cluster", "add-node", "127.0.0.1:\(port)", "127.0.0.1:\(existing)"], log: "add-node-\(port).log")
        try Self.waitUntil("node \(port) to know the cluster", timeout: .seconds(15)) {
            try command(port, ["CLUSTER", "INFO"]).string?.contains("cluster_known_nodes:\(ports.count)") == true
        }
        // And every node to know it (gossip): a reshard to a node its source has not heard of fails.
        guard let id = try command(port, ["CLUSTER", "MYID"]).string else { throw Failure.unknownNode(port) }
        try Self.waitUntil("every node to know node \(port)", timeout: .seconds(15)) {
            try ports.allSatisfy { try command($0, ["CLUSTER", "NODES"]).string?.contains(id) == true }
        }
        return port
    }

    /// Removes a node without slots from the cluster (`redis-cli --cluster del-node`, which also
    /// shuts it down).
    func removeNode(_ port: Int) throws {
        try waitUntilNodesAgree()
        guard let id = try command(port, ["CLUSTER", "MYID"]).string else { throw Failure.unknownNode(port) }
        guard let other = masters().first(where: { $0 != port }) else { throw Failure.notStarted }
        try redisCLI(["--cluster", "del-node", "127.0.0.1:\(other)", id], log: "del-node-\(port).log")
        let process = state.withLock { state -> ChildProcess? in
            defer {
                state.nodes[port] = nil
                state.ports.removeAll { $0 == port }
            }
            return state.nodes[port]?.process
        }
        process?.kill()
    }

    /// Moves `count` slots from the master on `from` to the master on `to`, keys and all
    /// (`redis-cli --cluster reshard`: MIGRATE, with ASK then MOVED for the clients meanwhile).
    func moveSlots(_ count: Int, from: Int, to: Int) throws {
        try waitUntilNodesAgree()
        guard let source = try command(from, ["CLUSTER", "MYID"]).string else { throw Failure.unknownNode(from) }
        guard let target = try command(to, ["CLUSTER", "MYID"]).string else { throw Failure.unknownNode(to) }
        try redisCLI(["--cluster", "reshard", "127.0.0.1:\(from)", "--cluster-from", source, "--cluster-to", target,
                      "--cluster-slots", String(count), "--cluster-yes"], log: "reshard-\(from)-\(to).log")
    }

    /// Waits until every node agrees on the slots (`redis-cli --cluster check`): redis-cli
    /// refuses to reshard or remove a node before.
    func waitUntilNodesAgree(timeout: Duration = .seconds(20)) throws {
        guard let any = masters().first else { throw Failure.notStarted }
        _ = try Self.waitUntil("the nodes to agree on the slots", timeout: timeout) {
            (try? redisCLI(["--cluster", "check", "127.0.0.1:\(any)"], log: "check.log")) != nil
        }
    }

    /// Runs `redis-cli` with `arguments`; throws with its output when it fails.
    private func redisCLI(_ arguments: [String], log: String) throws {
        let (directory, cli) = try state.withLock { state in
            guard let directory = state.directory else { throw Failure.notStarted }
            return (directory, state.cliPath)
        }
        let result = try ChildProcess.run(cli, arguments, logFile: directory.appendingPathComponent(log), timeout: .seconds(120))
        guard result.status == 0 else { throw Failure.cliFailed(arguments: arguments, status: result.status, output: result.output) }
    }

    // MARK: - Topology

    /// The node's role from `ROLE`, or `nil` if it is down, paused or does not answer.
    func role(of port: Int) -> Role? {
        guard isLive(port), let reply = try? command(port, ["ROLE"]), let fields = reply.array,
              let kind = fields.first?.string
        else { return nil }
        switch kind {
        case "master":
            return .master
        case "slave":
            // ["slave", ip, port, state, offset]
            guard fields.count >= 4, let masterPort = fields[2].integer else { return nil }
            return .replica(of: masterPort, linkUp: fields[3].string == "connected")
        default:
            return nil
        }
    }

    /// Ports of the live nodes whose `ROLE` is master, ascending.
    func masters() -> [Int] {
        ports.filter { role(of: $0) == .master }
    }

    /// Ports of the live nodes whose `ROLE` is replica, ascending.
    func replicas() -> [Int] {
        ports.filter {
            if case .replica = role(of: $0) { return true }
            return false
        }
    }

    /// A live replica of the master on `masterPort` (the lowest port if several), by asking the replicas.
    func replicaOf(_ masterPort: Int) -> Int? {
        ports.first {
            if case .replica(masterPort, _) = role(of: $0) { return true }
            return false
        }
    }

    /// Throws ``NotYet`` saying what is wrong unless every live node reports
    /// `cluster_state:ok` and sees ``expectedMasterCount`` masters serving slots, and every
    /// live replica's link is up.
    func checkHealthy() throws {
        let live = ports.filter(isLive)
        guard !live.isEmpty else { throw NotYet("no live node") }
        for port in live {
            let info = try command(port, ["CLUSTER", "INFO"]).string ?? ""
            guard info.contains("cluster_state:ok") else { throw NotYet("\(port): cluster_state is not ok") }
            let masters = try servingMasters(seenBy: port)
            guard masters == expectedMasterCount else {
                throw NotYet("\(port) sees \(masters) masters serving slots, expected \(expectedMasterCount)")
            }
            if case .replica(let master, linkUp: false)? = role(of: port) {
                throw NotYet("\(port): replication link to \(master) is not connected")
            }
        }
    }

    /// Waits until ``checkHealthy()`` passes.
    @discardableResult
    func waitUntilHealthy(timeout: Duration = .seconds(30)) throws -> Duration {
        try Self.waitUntil("a healthy cluster", timeout: timeout, pollEvery: .milliseconds(100)) {
            try checkHealthy()
            return true
        }
    }

    /// Masters that `port`'s `CLUSTER NODES` shows as serving slots and not failing.
    private func servingMasters(seenBy port: Int) throws -> Int {
        let nodes = try command(port, ["CLUSTER", "NODES"]).string ?? ""
        return nodes.split(separator: "\n").filter { line in
            // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
            let fields = line.split(separator: " ")
            guard fields.count > 8 else { return false }
            let flags = fields[2].split(separator: ",")
            return flags.contains("master") && !flags.contains { $0.hasPrefix("fail") }
        }.count
    }

    // MARK: - Talking to nodes

    /// A new client connected straight to the node.
    func client(_ port: Int, timeout: Duration = .seconds(5)) throws -> RedisClient {
        try RedisClient(port: port, timeout: timeout)
    }

    /// Sends one command to the node on a fresh connection and returns the reply.
    func command(_ port: Int, _ arguments: [String], timeout: Duration = .seconds(2)) throws -> RESPReply {
        let client = try RedisClient(port: port, timeout: timeout)
        defer { client.close() }
        return try client.command(arguments)
    }

    /// Sends a keyed command like a cluster-aware client: starting at `port` (default: the
    /// first master), following `MOVED` and `ASK` redirects. Returns the node that answered.
    func clusterCommand(_ arguments: [String], startingAt port: Int? = nil) throws -> (port: Int, reply: RESPReply) {
        guard var target = port ?? masters().first else { throw Failure.notStarted }
        var asking = false
        for _ in 0..<5 {
            let client = try RedisClient(port: target, timeout: .seconds(2))
            defer { client.close() }
            if asking { _ = try client.command(["ASKING"]) }
            let reply = try client.command(arguments)
            // "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381"
            guard let message = reply.errorMessage,
                  message.hasPrefix("MOVED ") || message.hasPrefix("ASK "),
                  let address = message.split(separator: " ").last,
                  let next = address.split(separator: ":").last.flatMap({ Int($0) })
            else { return (target, reply) }
            asking = message.hasPrefix("ASK ")
            target = next
        }
        throw Failure.tooManyRedirects(arguments)
    }

    /// The node's normal clients from `CLIENT LIST`, as `field=value` dictionaries, without
    /// the connection asking and without replication links (flags `S` / `M`).
    func clientList(_ port: Int) throws -> [[String: String]] {
        let client = try RedisClient(port: port, timeout: .seconds(2))
        defer { client.close() }
        let ownID = try client.command(["CLIENT", "ID"]).integer
        let list = try client.command(["CLIENT", "LIST"]).string ?? ""
        return list.split(separator: "\n").map { line in
            var fields: [String: String] = [:]
            for pair in line.split(separator: " ") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                fields[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return fields
        }.filter { fields in
            let flags = fields["flags"] ?? ""
            return fields["id"] != ownID.map(String.init) && !flags.contains("S") && !flags.contains("M")
        }
    }

    /// How many clients are connected to the node, not counting the one asking nor
    /// replication links. (A proxy's health checks count while they are connected.)
    func clientCount(_ port: Int) throws -> Int {
        try clientList(port).count
    }

    // MARK: - Waiting

    /// Polls `condition` until it returns `true`, or throws ``Failure/timedOut(what:after:lastReason:)``
    /// at `deadline`. A condition that throws counts as "not yet"; its error is reported
    /// on timeout (throw ``NotYet`` to explain). Returns how long it took.
    @discardableResult
    static func waitUntil(
        _ what: String = "a condition",
        deadline: ContinuousClock.Instant,
        pollEvery interval: Duration = .milliseconds(50),
        _ condition: () throws -> Bool
    ) throws -> Duration {
        let start = ContinuousClock.now
        var lastReason: String?
        while true {
            do {
                if try condition() { return ContinuousClock.now - start }
                lastReason = nil
            } catch {
                lastReason = String(describing: error)
            }
            if ContinuousClock.now >= deadline {
                throw Failure.timedOut(what: what, after: ContinuousClock.now - start, lastReason: lastReason)
            }
            Thread.sleep(forTimeInterval: interval.seconds)
        }
    }

    /// ``waitUntil(_:deadline:pollEvery:_:)`` with a deadline `timeout` from now.
    @discardableResult
    static func waitUntil(
        _ what: String = "a condition",
        timeout: Duration,
        pollEvery interval: Duration = .milliseconds(50),
        _ condition: () throws -> Bool
    ) throws -> Duration {
        try waitUntil(what, deadline: .now + timeout, pollEvery: interval, condition)
    }

    // MARK: - Internals

    private func node(_ port: Int) throws -> Node {
        guard let node = state.withLock({ $0.nodes[port] }) else { throw Failure.unknownNode(port) }
        return node
    }

    private func isLive(_ port: Int) -> Bool {
        state.withLock { $0.nodes[port]?.isLive ?? false }
    }

    /// Starts `redis-server` for `port`; its log is appended to `redis-P.log`.
    private func launch(_ port: Int) throws {
        let (directory, server, debug) = try state.withLock { state in
            guard let directory = state.directory else { throw Failure.notStarted }
            guard state.nodes[port] != nil else { throw Failure.unknownNode(port) }
            return (directory, state.serverPath, state.supportsDebugCommand)
        }
        var arguments = [
            "--port", String(port),
            "--bind", "127.0.0.1",
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes-\(port).conf",
            "--cluster-node-timeout", String(nodeTimeout.milliseconds),
            "--appendonly", "no",
            "--save", "",
            "--dir", directory.path,
            // Replicas write the RDB of a full sync to disk; one file per node, or a restarted
            // node would load another node's keys.
            "--dbfilename", "dump-\(port).rdb",
            "--daemonize", "no",
            // Default 5 s: every replica's first sync (at create, after a restart) would wait for it.
            "--repl-diskless-sync-delay", "0",
        ]
        if debug { arguments += ["--enable-debug-command", "yes"] }
        arguments += extraServerArguments
        let process = try ChildProcess(
            server, arguments,
            logFile: directory.appendingPathComponent("redis-\(port).log"),
            workingDirectory: directory
        )
        state.withLock {
            $0.nodes[port]?.process = process
            $0.nodes[port]?.paused = false
        }
    }

    private func waitForPing(_ port: Int, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let process = try node(port).process, process.isRunning else {
                throw Failure.nodeDidNotStart(port: port, reason: "it exited", logTail: logTail(port))
            }
            if (try? command(port, ["PING"], timeout: .milliseconds(500))) == .simple("PONG") { return }
            if ContinuousClock.now >= deadline {
                throw Failure.nodeDidNotStart(port: port, reason: "no PONG within \(timeout)", logTail: logTail(port))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// 7 from "Redis server v=7.0.15 sha=…".
    static func majorVersion(fromVersionOutput output: String) -> Int? {
        guard let range = output.range(of: "v=") else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }
}

extension Duration {
    /// Whole milliseconds, for command-line options.
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a `TimeInterval`, for `Thread.sleep`.
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

// MARK: - Slots (for ClusterResilienceTests)

extension RedisCluster {
    /// The slots the node serves, from its own line of its `CLUSTER NODES` ("… myself,master … 0-99 200").
    func slots(servedBy port: Int) throws -> Set<Int> {
        let nodes = try command(port, ["CLUSTER", "NODES"]).string ?? ""
        guard let line = nodes.split(separator: "\n").first(where: { $0.split(separator: " ")[2].contains("myself") }) else {
            throw Failure.unknownNode(port)
        }
        var slots = Set<Int>()
        // Fields 8… are slots or ranges; "[slot->-id]" / "[slot-<-id]" mark migrations, not ownership.
        for field in line.split(separator: " ").dropFirst(8) where !field.hasPrefix("[") {
            let bounds = field.split(separator: "-").compactMap { Int($0) }
            if let first = bounds.first { slots.formUnion(first...(bounds.last ?? first)) }
        }
        return slots
    }
}

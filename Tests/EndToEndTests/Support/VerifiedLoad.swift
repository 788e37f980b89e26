import Cluster
import Foundation
import Synchronization

/// A load whose every reply is checked: `clients` plain threads (no cluster awareness, as a
/// redis-py `Redis` behind a VIP) each GET a key (what the last pass left), SET it to a new value
/// and GET it back, key after key, over and over, through one port. Each of the 16384 slots has one key and each key one owner (client
/// `slot % clients`), so a read that is not the owner's last acknowledged write is the proxy's
/// (or the cluster's) doing: nobody else wrote it.
///
/// ```swift
/// let load = VerifiedLoad(port: ferry.port, clients: 8)
/// load.start()
/// try load.waitForFirstPass(timeout: .seconds(20))
/// ... // reshard, kill a master
/// let summary = load.stop()
/// ```
final class VerifiedLoad: Sendable {
    /// What one client saw.
    struct ClientSummary: Sendable {
        var client: Int
        var commands = 0
        /// Error replies, connection failures and timeouts.
        var errors = 0
        /// A read that is none of the values this client wrote to the key.
        var corrupted = 0
        /// A read older than the last acknowledged write.
        var stale = 0
        /// `nil` read where a write had been acknowledged.
        var missing = 0
        var longestWait: Duration = .zero
        var errorTimes: [ContinuousClock.Instant] = []
        /// The first few errors and bad reads in words, for the report.
        var samples: [String] = []
        /// When each command on a watched slot was answered without an error.
        var watchedSuccesses: [ContinuousClock.Instant] = []
    }

    struct Summary: Sendable, CustomStringConvertible {
        var clients: [ClientSummary]
        var duration: Duration

        var commands: Int { clients.reduce(0) { $0 + $1.commands } }
        var errors: Int { clients.reduce(0) { $0 + $1.errors } }
        var badReads: Int { clients.reduce(0) { $0 + $1.corrupted + $1.stale + $1.missing } }
        var longestWait: Duration { clients.map(\.longestWait).max() ?? .zero }
        var samples: [String] { clients.flatMap(\.samples) }

        /// The first answer without an error on a watched slot, by any client, at or after `instant`.
        func firstWatchedSuccess(after instant: ContinuousClock.Instant) -> ContinuousClock.Instant? {
            clients.compactMap { $0.watchedSuccesses.first { $0 >= instant } }.min()
        }

        /// The longest time the watched slots went without an answer, all clients together.
        var longestWatchedGap: Duration {
            let times = clients.flatMap(\.watchedSuccesses).sorted()
            return zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? .zero
        }

        var description: String {
            let sum = { (field: KeyPath<ClientSummary, Int>) in clients.reduce(0) { $0 + $1[keyPath: field] } }
            return "\(clients.count) clients, \(commands) commands in \(String(format: "%.1f", duration.inSeconds)) s"
                + " (\(Int(Double(commands) / max(duration.inSeconds, 0.001)))/s), errors \(errors) per client \(clients.map(\.errors)),"
                + " corrupted \(sum(\.corrupted)), stale \(sum(\.stale)), missing \(sum(\.missing)),"
                + " longest wait \(longestWait.inMilliseconds) ms"
        }
    }

    let port: Int
    let clientCount: Int
    let timeout: Duration
    private let watchedSlots: Set<Int>
    /// Key of each slot, with a prefix of this load's own so that keys written by an earlier load
    /// in the same cluster are never read.
    private let keys: [String]
    private let stopping = Atomic<Bool>(false)
    private let commandCount = Atomic<Int>(0)
    private let clientsPastFirstPass = Atomic<Int>(0)
    private let results = Mutex<[ClientSummary]>([])
    private let started = Mutex<ContinuousClock.Instant?>(nil)
    private let finished = DispatchGroup()

    /// `timeout` bounds each socket call; longer than any wait the proxy is expected to impose,
    /// so that a held command counts as a long wait, not an error.
    init(port: Int, clients: Int = 8, timeout: Duration = .seconds(15), watchedSlots: Set<Int> = []) {
        self.port = port
        self.clientCount = clients
        self.timeout = timeout
        self.watchedSlots = watchedSlots
        keys = E2E.keyPerSlot(prefix: "vl\(UInt32.random(in: 0...UInt32.max)):")
    }

    /// Commands answered so far (errors included), all clients together; for progress checks.
    var commandsSoFar: Int { commandCount.load(ordering: .relaxed) }

    func start() {
        started.withLock { $0 = .now }
        for client in 0..<clientCount {
            finished.enter()
            let thread = Thread { [self] in
                let summary = run(client: client)
                results.withLock { $0.append(summary) }
                finished.leave()
            }
            thread.name = "verified-load-\(client)"
            thread.start()
        }
    }

    /// Waits until every client has written and read each of its keys once, so that every key
    /// exists before the cluster is disturbed.
    func waitForFirstPass(timeout: Duration) throws {
        try E2E.waitUntil("every client's first pass over its keys", timeout: timeout) {
            clientsPastFirstPass.load(ordering: .relaxed) == clientCount
        }
    }

    /// Stops the clients after their current command and returns what they saw.
    func stop() -> Summary {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        let duration = started.withLock { ContinuousClock.now - ($0 ?? .now) }
        return Summary(clients: results.withLock { $0 }.sorted { $0.client < $1.client }, duration: duration)
    }

    /// An error reply, which leaves the connection usable (unlike a socket error).
    private struct ErrorReply: Error, CustomStringConvertible {
        var message: String
        var description: String { "-" + message }
    }

    private func run(client: Int) -> ClientSummary {
        var summary = ClientSummary(client: client)
        // Shuffled: a master's slots are one range, and clients sweeping in slot order would all
        // meet a master at the same time, then leave it alone for seconds.
        let slots = Array(stride(from: client, to: HashSlot.count, by: clientCount)).shuffled()
        // Per slot of this client: the sequence number of the last acknowledged write, and of a
        // write that failed and so may or may not have run.
        var acknowledged = [Int?](repeating: nil, count: HashSlot.count)
        var unsure = [Int?](repeating: nil, count: HashSlot.count)
        var connection: RedisClient?
        var sequence = 0, passes = 0

        func note(_ text: String) {
            if summary.samples.count < 5 { summary.samples.append("client \(client): \(text)") }
        }

        // One command; nil after an error (counted), reconnecting on the next call after a failure.
        func call(_ arguments: [String], slot: Int) -> RESPReply? {
            let begin = ContinuousClock.now
            defer {
                summary.commands += 1
                commandCount.add(1, ordering: .relaxed)
                summary.longestWait = max(summary.longestWait, ContinuousClock.now - begin)
            }
            do {
                if connection == nil { connection = try RedisClient(port: port, timeout: timeout) }
                let reply = try connection!.command(arguments)
                if let message = reply.errorMessage { throw ErrorReply(message: message) }
                if watchedSlots.contains(slot) { summary.watchedSuccesses.append(.now) }
                return reply
            } catch {
                summary.errors += 1
                summary.errorTimes.append(.now)
                note("\(arguments[0]) slot \(slot): \(error)")
                if !(error is ErrorReply) {
                    connection?.close()
                    connection = nil
                    Thread.sleep(forTimeInterval: 0.01)  // a refused connect must not spin
                }
                return nil
            }
        }

        // Checks a GET reply against what this client wrote to the slot's key.
        func check(_ reply: RESPReply, slot: Int) {
            // "client:slot:sequence"; anything else was never written by this client to this key.
            let fields = reply.string?.split(separator: ":").compactMap { Int($0) } ?? []
            let read = fields.count == 3 && fields[0] == client && fields[1] == slot ? fields[2] : nil
            let expected = acknowledged[slot]
            if reply == .null {
                if let expected {
                    summary.missing += 1
                    note("GET slot \(slot): nil, expected \(expected)")
                }
            } else if let read, read == expected {
                // as acknowledged
            } else if let read, read == unsure[slot] {
                acknowledged[slot] = read  // the failed write did run
            } else if let read, let expected, read < expected {
                summary.stale += 1
                note("GET slot \(slot): \(read), expected \(expected)")
            } else {
                summary.corrupted += 1
                note("GET slot \(slot): \(reply), expected \(expected.map(String.init) ?? "nil")")
            }
            // Only the read right after a failed write may show either value.
            unsure[slot] = nil
        }

        while !stopping.load(ordering: .relaxed) {
            for slot in slots where !stopping.load(ordering: .relaxed) {
                let key = keys[slot]
                // What the last pass left (a key lost by a migration or a failover shows here:
                // the SET below would hide it), then a new value, read back at once.
                if let reply = call(["GET", key], slot: slot) { check(reply, slot: slot) }
                sequence += 1
                if call(["SET", key, "\(client):\(slot):\(sequence)"], slot: slot) != nil {
                    acknowledged[slot] = sequence
                    unsure[slot] = nil
                } else {
                    unsure[slot] = sequence
                }
                if let reply = call(["GET", key], slot: slot) { check(reply, slot: slot) }
            }
            passes += 1
            if passes == 1 { clientsPastFirstPass.add(1, ordering: .relaxed) }
        }
        connection?.close()
        return summary
    }
}

extension Duration {
    /// In seconds, for rates and reports.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    /// In whole milliseconds, for reports.
    var inMilliseconds: Int { Int((inSeconds * 1000).rounded()) }
}

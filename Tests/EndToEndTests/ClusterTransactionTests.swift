import Foundation
import Testing

/// cluster mode's transactions: WATCH/MULTI/EXEC/DISCARD/UNWATCH on a connection of the client's
/// own to the master of its keys, checked against what one Redis answers (issue 14).
@Suite(.serialized, .sharedCluster)
struct ClusterTransactionTests {
    /// The same transaction scripts through Ferry and against one standalone Redis.
    @Test func transactionsAnswerAsOneRedis() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster, threads: 1)
        let single = try RedisServer()
        let direct = try single.client(), through = try RedisClient(port: ferry.port)
        defer { direct.close(); through.close() }
        let script: [[String]] = [
            ["DEL", "{tx}a", "{tx}b"],
            ["MULTI"], ["SET", "{tx}a", "1"], ["INCR", "{tx}a"], ["SET", "{tx}b", "x"], ["EXEC"],
            ["MGET", "{tx}a", "{tx}b"],
            ["MULTI"], ["EXEC"],  // empty
            ["MULTI"], ["SET", "{tx}a", "10"], ["DISCARD"], ["GET", "{tx}a"],
            ["EXEC"], ["DISCARD"], ["UNWATCH"],  // without MULTI
            ["MULTI"], ["MULTI"], ["SET", "{tx}a", "3"], ["EXEC"],  // nested MULTI: an error, the transaction goes on
            ["MULTI"], ["INCR", "{tx}b"], ["GET", "{tx}a"], ["EXEC"],  // a run-time error inside: the rest runs
            ["MULTI"], ["SET", "{tx}a"], ["GET", "{tx}a"], ["EXEC"],  // a queuing error: EXECABORT
            ["WATCH", "{tx}a"], ["GET", "{tx}a"], ["MULTI"], ["INCR", "{tx}a"], ["EXEC"],
            ["WATCH", "{tx}a"], ["UNWATCH"], ["MULTI"], ["PING"], ["EXEC"],
            ["GET", "{tx}a"],
        ]
        for step in script {
            let expected = try direct.command(step), got = try through.command(step)
            #expect(got == expected, "\(step.joined(separator: " "))")
        }
    }

    /// A key of another slot inside the transaction: CROSSSLOT, then EXECABORT, as from Redis
    /// Cluster itself; nothing of it ran.
    @Test func aTransactionNeverMixesSlots() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster, threads: 1)
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        _ = try client.command(["DEL", "{mix}a"])
        #expect(try client.command(["MULTI"]) == .simple("OK"))
        #expect(try client.command(["SET", "{mix}a", "1"]) == .simple("QUEUED"))
        var other = ""
        for index in 0..<200 where other.isEmpty {
            // A key on another master than {mix}'s (a same-master key of another slot is refused too).
            let candidate = "other-\(index)"
            let reply = try client.command(["SET", candidate, "x"])
            if reply == .error("CROSSSLOT Keys in request don't hash to the same slot") { other = candidate }
            else { #expect(reply == .simple("QUEUED") || reply.errorMessage?.hasPrefix("CROSSSLOT") == true, "\(reply)") }
        }
        #expect(!other.isEmpty)
        #expect(try client.command(["EXEC"]).errorMessage?.hasPrefix("EXECABORT") == true)
        #expect(try client.command(["GET", "{mix}a"]) == .null)
        #expect(try client.command(["PING"]) == .simple("PONG"))
    }

    /// WATCH aborts the transaction when another client writes the key, and a client that leaves
    /// in the middle of a transaction leaves nothing behind.
    @Test func watchAbortsOnAnotherClientsWriteAndALeftTransactionRunsNothing() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster, threads: 1)
        let watcher = try RedisClient(port: ferry.port), writer = try RedisClient(port: ferry.port)
        defer { watcher.close(); writer.close() }
        #expect(try writer.command(["SET", "watched", "0"]) == .simple("OK"))
        #expect(try watcher.command(["WATCH", "watched"]) == .simple("OK"))
        #expect(try writer.command(["SET", "watched", "changed"]) == .simple("OK"))
        #expect(try watcher.command(["MULTI"]) == .simple("OK"))
        #expect(try watcher.command(["SET", "watched", "mine"]) == .simple("QUEUED"))
        #expect(try watcher.command(["EXEC"]) == .null)
        #expect(try writer.command(["GET", "watched"]) == .bulk(Array("changed".utf8)))
        // Unchanged: it runs.
        #expect(try watcher.command(["WATCH", "watched"]) == .simple("OK"))
        #expect(try watcher.command(["MULTI"]) == .simple("OK"))
        #expect(try watcher.command(["SET", "watched", "mine"]) == .simple("QUEUED"))
        #expect(try watcher.command(["EXEC"]) == .array([.simple("OK")]))

        let leaver = try RedisClient(port: ferry.port)
        #expect(try leaver.command(["MULTI"]) == .simple("OK"))
        #expect(try leaver.command(["SET", "left-behind", "1"]) == .simple("QUEUED"))
        leaver.close()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try writer.command(["EXISTS", "left-behind"]) == .integer(0))
    }

    /// redis-py's default pipeline is a transaction (MULTI … EXEC), and its WATCH retry loop works.
    @Test func redisPyTransactionsWork() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster, threads: 1)
        let script = """
            import redis
            r = redis.Redis(host="127.0.0.1", port=\(ferry.port))
            r.delete("{py}n", "{py}log")
            with r.pipeline(transaction=True) as p:
                p.set("{py}n", 1).incr("{py}n").rpush("{py}log", "a")
                assert p.execute() == [True, 2, 1]
            def bump(pipe):
                value = int(pipe.get("{py}n"))
                pipe.multi()
                pipe.set("{py}n", value + 10)
            assert r.transaction(bump, "{py}n") == [True]
            assert r.get("{py}n") == b"12"
            print("ok")
            """
        let result = try ferry.runPython(script, name: "transactions")
        #expect(result.succeeded, "\(result.output)")
    }
}

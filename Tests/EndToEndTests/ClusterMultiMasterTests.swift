import Cluster
import Foundation
import Testing

/// cluster mode's commands that several masters answer, checked against one standalone Redis:
/// the same commands, with keys spread over many slots, must get the same replies through Ferry
/// as from a single server (issue 14). Multi-key commands are split by slot and merged back;
/// keyless commands tipped `all_shards`/`all_nodes` go to every master.
@Suite(.serialized, .sharedCluster)
struct ClusterMultiMasterTests {
    /// Keys in 20 different slots (so on every master).
    static let keys = (0..<20).map { "multi-\($0)" }

    static var steps: [[String]] {
        let values = keys.enumerated().flatMap { [$0.element, "value-\($0.offset)"] }
        return [
            ["FLUSHALL"], ["DBSIZE"], ["MGET"] + keys,
            ["MSET"] + values, ["DBSIZE"],
            ["MGET"] + keys + ["missing-1", keys[3], "missing-2"],
            ["MGET", keys[0], keys[0], keys[19]],
            ["EXISTS"] + keys + ["missing", keys[1], keys[1]],
            ["TOUCH", keys[2], "missing", keys[7], keys[11]],
            ["MSET", keys[0], "first", keys[9], "second", keys[0], "third"],  // the last of a duplicate wins
            ["MGET", keys[0], keys[9]],
            ["DEL", keys[0], keys[5], "missing", keys[5], keys[12]],
            ["UNLINK", keys[1], keys[13], "missing"],
            ["MGET"] + keys, ["DBSIZE"],
            ["MSET", keys[0]],  // arity: the server's own error
            ["MSET", keys[0], "a", keys[1]],  // a key without a value: the server's own error
            ["MSETNX", keys[0], "a", keys[1], "b"],  // not split: CROSSSLOT through Ferry, 0 or 1 on one server
            ["FLUSHALL", "ASYNC"], ["DBSIZE"], ["KEYS", "*"],
        ]
    }

    @Test func multiKeyAndEveryMasterCommandsAnswerAsOneRedis() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster)
        #expect(Set(Self.keys.map { HashSlot.of(Array($0.utf8)) }).count == Self.keys.count)
        let single = try RedisServer()
        let direct = try single.client(), through = try RedisClient(port: ferry.port)
        defer { direct.close(); through.close() }
        for step in Self.steps {
            let expected = try direct.command(step), got = try through.command(step)
            if step[0] == "MSETNX" {
                #expect(got == .error("CROSSSLOT Keys in request don't hash to the same slot"))
            } else {
                #expect(got == expected, "\(step.joined(separator: " "))")
            }
        }
        // KEYS: every master's keys, in no particular order.
        _ = try through.command(["MSET"] + Self.keys.flatMap { [$0, "x"] })
        let listed = try #require(try through.command(["KEYS", "multi-*"]).array).compactMap(\.string)
        #expect(listed.sorted() == Self.keys.sorted())
        #expect(try through.command(["DBSIZE"]) == .integer(Self.keys.count))
    }

    /// A script loaded once through Ferry runs by its SHA on every master, whatever its keys;
    /// SCRIPT EXISTS is true only where every master has it; SCRIPT FLUSH empties them all.
    @Test func aScriptLoadedOnceRunsOnEveryMaster() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster)
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["SCRIPT", "FLUSH"]) == .simple("OK"))
        let sha = try #require(try client.command(["SCRIPT", "LOAD", "return KEYS[1] or 'none'"]).string)
        for master in cluster.masters() {
            #expect(try cluster.command(master, ["SCRIPT", "EXISTS", sha]) == .array([.integer(1)]), "loaded on \(master)")
        }
        for key in Self.keys {
            #expect(try client.command(["EVALSHA", sha, "1", key]) == .bulk(Array(key.utf8)))
        }
        #expect(try client.command(["EVALSHA", sha, "0"]) == .bulk(Array("none".utf8)))
        #expect(try client.command(["SCRIPT", "EXISTS", sha, "0000000000000000000000000000000000000000"])
                == .array([.integer(1), .integer(0)]))
        // Loaded on one master only: not "every master has it".
        let other = try #require(try cluster.command(cluster.masters()[0], ["SCRIPT", "LOAD", "return 2"]).string)
        #expect(try client.command(["SCRIPT", "EXISTS", other]) == .array([.integer(0)]))
        #expect(try client.command(["SCRIPT", "FLUSH"]) == .simple("OK"))
        #expect(try client.command(["SCRIPT", "EXISTS", sha]) == .array([.integer(0)]))
    }
}

extension ClusterMultiMasterTests {
    /// `SCAN` through Ferry visits every master in one iteration: every key once (no key written
    /// during the scan is missed or repeated), with MATCH, COUNT and TYPE passed through.
    @Test func scanVisitsEveryKeyOfEveryMasterOnce() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster)
        let client = try RedisClient(port: ferry.port)
        defer { client.close() }
        #expect(try client.command(["FLUSHALL"]) == .simple("OK"))
        let keys = (0..<500).map { "scan-\($0)" }
        #expect(try client.command(["MSET"] + keys.flatMap { [$0, "v"] }) == .simple("OK"))
        _ = try client.command(["SADD", "scan-set", "m"])
        for (count, type) in [("10", nil), ("1000", nil), ("7", "string")] as [(String, String?)] {
            var cursor = "0", seen: [String] = [], rounds = 0
            repeat {
                let reply = try #require(try client.command(["SCAN", cursor, "MATCH", "scan-*", "COUNT", count]
                                                            + (type.map { ["TYPE", $0] } ?? [])).array)
                cursor = try #require(reply[0].string)
                seen += try #require(reply[1].array).compactMap(\.string)
                rounds += 1
            } while cursor != "0" && rounds < 10_000
            let expected = keys + (type == nil ? ["scan-set"] : [])
            #expect(seen.count == expected.count, "COUNT \(count): \(seen.count) keys in \(rounds) calls")
            #expect(Set(seen) == Set(expected))
        }
        #expect(try client.command(["SCAN", "18446744073709551615"]) == .error("ERR invalid cursor"))
        #expect(try client.command(["SCAN", "abc"]) == .error("ERR invalid cursor"))
    }
}

extension ClusterMultiMasterTests {
    /// What a plain redis-py client does against one Redis works through Ferry with keys of every
    /// master: `mset`/`mget`/`delete`/`exists` across slots, `dbsize`, `scan_iter` seeing each key
    /// once, `register_script` (EVALSHA, then SCRIPT LOAD on NOSCRIPT), RESP2 and RESP3.
    @Test(arguments: [2, 3])
    func redisPyPlainClientUsesEveryMasterAsOneRedis(protocolVersion: Int) throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster)
        let script = """
            import redis
            r = redis.Redis(host="127.0.0.1", port=\(ferry.port), protocol=\(protocolVersion))
            r.flushall()
            keys = [f"py-multi-{i}" for i in range(300)]
            assert r.mset({k: i for i, k in enumerate(keys)})
            assert r.mget(keys + ["absent"]) == [str(i).encode() for i in range(300)] + [None]
            assert r.exists(*keys[:50], "absent") == 50
            assert r.dbsize() == 300
            seen = list(r.scan_iter(match="py-multi-*", count=25))
            assert len(seen) == 300 and set(seen) == {k.encode() for k in keys}, len(seen)
            script = r.register_script("return redis.call('GET', KEYS[1])")
            r.script_flush()
            assert [script(keys=[k]) for k in keys[:30]] == [str(i).encode() for i in range(30)]
            assert r.delete(*keys[:100]) == 100
            assert r.dbsize() == 200
            print("ok")
            """
        let result = try ferry.runPython(script, name: "plain_client")
        #expect(result.succeeded, "\(result.output)")
    }
}

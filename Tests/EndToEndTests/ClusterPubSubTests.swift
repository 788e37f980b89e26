import Foundation
import Testing

/// cluster mode's Pub/Sub: a subscriber gets a connection of its own; `PUBLISH` through Ferry
/// reaches it whichever master it landed on (the cluster broadcasts), `SPUBLISH` reaches the
/// shard channel's subscribers; a subscriber that leaves is unsubscribed (issue 14).
@Suite(.serialized, .sharedCluster)
struct ClusterPubSubTests {
    @Test func subscribersGetMessagesPublishedThroughFerry() throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster, threads: 1)
        let subscriber = try RedisClient(port: ferry.port), publisher = try RedisClient(port: ferry.port)
        defer { subscriber.close(); publisher.close() }
        #expect(try subscriber.command(["SET", "before-subscribing", "1"]) == .simple("OK"))
        #expect(try subscriber.command(["SUBSCRIBE", "news", "sport"])
                == .array([.bulk(Array("subscribe".utf8)), .bulk(Array("news".utf8)), .integer(1)]))
        #expect(try subscriber.readReply() == .array([.bulk(Array("subscribe".utf8)), .bulk(Array("sport".utf8)), .integer(2)]))
        #expect(try subscriber.command(["PSUBSCRIBE", "n*"])
                == .array([.bulk(Array("psubscribe".utf8)), .bulk(Array("n*".utf8)), .integer(3)]))
        // Published through Ferry on any master: the cluster carries it to every node.
        // (PUBLISH counts the receivers on the node it reached: the channel and the pattern on the
        // subscriber's node, nobody on the others.)
        for _ in 0..<3 { #expect([0, 2].contains(try publisher.command(["PUBLISH", "news", "hello"]).integer)) }
        for _ in 0..<3 {
            #expect(try subscriber.readReply() == .array([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)), .bulk(Array("hello".utf8))]))
            #expect(try subscriber.readReply()
                    == .array([.bulk(Array("pmessage".utf8)), .bulk(Array("n*".utf8)), .bulk(Array("news".utf8)), .bulk(Array("hello".utf8))]))
        }
        // What a subscribed client may run is the server's call, as for a direct client.
        // (A key of another master than the subscriber's: Ferry's own error rather than the node's MOVED.)
        let refused = try subscriber.command(["GET", "x"]).errorMessage ?? ""
        #expect(refused.contains("only (P|S)SUBSCRIBE") || refused == ClusterPubSubTests.subscribedElsewhere, "\(refused)")
        #expect(try subscriber.command(["PING"]) == .array([.bulk(Array("pong".utf8)), .bulk([])]))
        #expect(try subscriber.command(["UNSUBSCRIBE", "news"])
                == .array([.bulk(Array("unsubscribe".utf8)), .bulk(Array("news".utf8)), .integer(2)]))
        // RESET ends the subscriptions and keeps the connection, as on one Redis.
        #expect(try subscriber.command(["RESET"]) == .simple("RESET"))
        #expect(try subscriber.command(["GET", "before-subscribing"]) == .bulk(Array("1".utf8)))
        // Sharded: the channel's master.
        let shard = try RedisClient(port: ferry.port)
        defer { shard.close() }
        #expect(try shard.command(["SSUBSCRIBE", "orders"])
                == .array([.bulk(Array("ssubscribe".utf8)), .bulk(Array("orders".utf8)), .integer(1)]))
        #expect(try publisher.command(["SPUBLISH", "orders", "o-1"]) == .integer(1))
        #expect(try shard.readReply() == .array([.bulk(Array("smessage".utf8)), .bulk(Array("orders".utf8)), .bulk(Array("o-1".utf8))]))
        // A subscriber that leaves is unsubscribed: nobody hears the next message.
        shard.close()
        try E2E.waitUntil("the shard subscriber to be gone", timeout: .seconds(5)) {
            try publisher.command(["SPUBLISH", "orders", "o-2"]) == .integer(0)
        }
    }

    static let subscribedElsewhere = "ERR ferry: this connection subscribed on one master; a key of another master needs another connection"

    /// redis-py's `pubsub()`, plain and sharded, RESP2 and RESP3.
    @Test(arguments: [2, 3])
    func redisPyPubSub(protocolVersion: Int) throws {
        let cluster = try SharedCluster.cluster
        let ferry = try FerryProcess.clusterMode(cluster)
        let script = """
            import redis, time
            r = redis.Redis(host="127.0.0.1", port=\(ferry.port), protocol=\(protocolVersion))
            p = r.pubsub(ignore_subscribe_messages=True)
            p.subscribe("py-news")
            p.psubscribe("py-*")
            time.sleep(0.2)
            r.publish("py-news", "hi")
            got = []
            deadline = time.time() + 5
            while len(got) < 2 and time.time() < deadline:
                m = p.get_message(timeout=1)
                if m: got.append((m["type"], m["data"]))
            assert sorted(got) == [("message", b"hi"), ("pmessage", b"hi")], got
            s = r.pubsub(ignore_subscribe_messages=True)
            s.ssubscribe("py-orders")
            time.sleep(0.2)
            assert r.spublish("py-orders", "o1") == 1
            m = None
            deadline = time.time() + 5
            while m is None and time.time() < deadline:
                m = s.get_sharded_message(timeout=1)
            assert m and m["data"] == b"o1", m
            p.close(); s.close()
            print("ok")
            """
        let result = try ferry.runPython(script, name: "pubsub")
        #expect(result.succeeded, "\(result.output)")
    }
}

import Cluster
import RESP
import Testing

@Suite struct ClusterScanCursorTests {
    typealias C = ClusterScanCursor

    static let masters = [0, 1, 2, 5, 511, 1023]
    static let serverCursors: [UInt64] = [0, 1, 2, 3, 1023, 1024, 12345, 1 << 40, (1 << 52) + 17, C.maxServerCursor]

    @Test(arguments: masters, serverCursors)
    func encodeDecodeRoundTrip(master: Int, serverCursor: UInt64) throws {
        let cursor = try #require(C.encode(masterIndex: master, serverCursor: serverCursor))
        #expect(cursor < 1 << 63)
        #expect(cursor == serverCursor << 10 | UInt64(master))
        #expect((cursor == 0) == (master == 0 && serverCursor == 0))
        #expect(C.decode(cursor, masterCount: C.maxMasters) == C.Position(masterIndex: master, serverCursor: serverCursor))
        #expect(C.decode(cursor, masterCount: master + 1) == C.Position(masterIndex: master, serverCursor: serverCursor))
        #expect(C.decode(cursor, masterCount: master) == nil)
        // As the client sends it back: decimal text, with leading zeros too.
        for text in ["\(cursor)", "000\(cursor)"] {
            let decoded = Array(text.utf8).withUnsafeBytes { C.decode($0, masterCount: 1024) }
            #expect(decoded == C.Position(masterIndex: master, serverCursor: serverCursor))
        }
    }

    @Test(arguments: [
        (-1, 0), (1024, 0), (Int.max, 0), (0, C.maxServerCursor + 1), (3, UInt64.max), (0, 1 << 53),
    ] as [(Int, UInt64)])
    func encodeRefusesWhatDoesNotFit(master: Int, serverCursor: UInt64) {
        #expect(C.encode(masterIndex: master, serverCursor: serverCursor) == nil)
    }

    @Test(arguments: [
        "", "-1", "+1", " 1", "1 ", "1a", "abc", "0x10", "1.0", "9223372036854775808", "18446744073709551615",
        "18446744073709551616", "99999999999999999999999", "1027",  // master 3 of 3
    ])
    func invalidCursors(text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { C.decode($0, masterCount: 3) } == nil)
    }

    @Test func zeroIsTheStart() {
        #expect(C.decode(0, masterCount: 1) == C.Position(masterIndex: 0, serverCursor: 0))
        #expect(Array("0".utf8).withUnsafeBytes { C.decode($0, masterCount: 3) } == C.Position(masterIndex: 0, serverCursor: 0))
        #expect(C.decode(0, masterCount: 0) == nil)
    }

    /// Every (master count, master, server cursor): the next cursor stays on the master while it
    /// has more, moves to the next master's start when it is done, and is 0 only after the last.
    @Test(arguments: Array(1...9) + [16, 1024])
    func nextWalksTheMasters(masterCount: Int) throws {
        for master in 0..<masterCount {
            for serverCursor: UInt64 in [0, 1, 99, C.maxServerCursor] {
                let next = try #require(C.next(afterMaster: master, serverCursor: serverCursor, masterCount: masterCount))
                let position = C.decode(next, masterCount: masterCount)
                if serverCursor != 0 {
                    #expect(position == C.Position(masterIndex: master, serverCursor: serverCursor))
                } else if master + 1 < masterCount {
                    #expect(next != 0)
                    #expect(position == C.Position(masterIndex: master + 1, serverCursor: 0))
                } else {
                    #expect(next == 0)
                }
            }
            #expect(C.next(afterMaster: master, serverCursor: C.maxServerCursor + 1, masterCount: masterCount) == nil)
        }
    }

    // MARK: - A whole scan through the request and reply rewriting

    /// A master's SCAN as a list of batches: cursor `i` answers batch `i` and the next cursor,
    /// `0` after the last; cursors are large, as real ones are, to use the bit budget.
    struct FakeMaster {
        let batches: [[String]]
        func cursor(afterBatch index: Int) -> UInt64 { index + 1 < batches.count ? UInt64(index + 1) << 40 | 5 : 0 }
        func batch(at cursor: UInt64) -> Int { cursor == 0 ? 0 : Int(cursor >> 40) }

        func reply(to request: [[UInt8]], resp3: Bool) -> [UInt8] {
            let cursor = UInt64(String(decoding: request[1], as: UTF8.self))!
            let index = batch(at: cursor)
            let keys = batches[index].map { RESPValue.bulkString(Array($0.utf8)) }
            return MultiKeyFixtures.encode(.array([.bulkString(Array("\(self.cursor(afterBatch: index))".utf8)), .array(keys)]))
        }
    }

    /// A client loops `SCAN cursor MATCH * COUNT 10` from 0 until 0 through Ferry's rewriting and
    /// sees every master's batches, in order, each once.
    @Test(arguments: [1, 2, 3, 16, 1024])
    func aClientScansEveryMaster(masterCount: Int) throws {
        let masters = (0..<masterCount).map { master in
            FakeMaster(batches: (0..<(master % 4)).map { batch in ["m\(master)b\(batch)"] } + [["m\(master)last"]])
        }
        var cursor = Array("0".utf8)
        var seen: [String] = []
        var calls = 0
        repeat {
            calls += 1
            let position = try #require(cursor.withUnsafeBytes { C.decode($0, masterCount: masterCount) })
            var request: [UInt8] = []
            let client = [Array("SCAN".utf8), cursor, Array("MATCH".utf8), Array("*".utf8), Array("COUNT".utf8), Array("10".utf8)]
            CommandArguments.with(client) { C.appendServerRequest($0, serverCursor: position.serverCursor, into: &request) }
            guard case .array(let sent?) = MultiKeyFixtures.decode(request) else { return }
            #expect(sent.map(\.fixtureBytes) == [client[0], Array("\(position.serverCursor)".utf8)] + client[2...])
            let reply = masters[position.masterIndex].reply(to: sent.map(\.fixtureBytes), resp3: false)
            var output: [UInt8] = []
            let rewrite = reply.withUnsafeBytes {
                C.appendClientReply($0, masterIndex: position.masterIndex, masterCount: masterCount, into: &output)
            }
            guard case .array(let elements?) = MultiKeyFixtures.decode(output), elements.count == 2,
                case .rewritten(let next) = rewrite
            else {
                Issue.record("unexpected \(rewrite)")
                return
            }
            #expect(elements[0].fixtureBytes == Array("\(next)".utf8))
            seen += elements[1].fixtureElements.map { String(decoding: $0.fixtureBytes, as: UTF8.self) }
            cursor = elements[0].fixtureBytes
        } while cursor != Array("0".utf8)
        #expect(seen == masters.flatMap { $0.batches.flatMap { $0 } })
        #expect(calls == masters.reduce(0) { $0 + $1.batches.count })
    }

    @Test(arguments: [
        // (reply, master, count, expected output, expected rewrite)
        ("*2\r\n$1\r\n0\r\n*0\r\n", 0, 2, "*2\r\n$1\r\n1\r\n*0\r\n", C.ReplyRewrite.rewritten(cursor: 1)),
        ("*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n", 1, 2, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n", .rewritten(cursor: 0)),
        ("*2\r\n$2\r\n17\r\n*1\r\n$1\r\nk\r\n", 1, 2, "*2\r\n$5\r\n17409\r\n*1\r\n$1\r\nk\r\n", .rewritten(cursor: 17 << 10 | 1)),
        ("*2\r\n$2\r\n17\r\n~1\r\n$1\r\nk\r\n", 0, 1, "*2\r\n$5\r\n17408\r\n~1\r\n$1\r\nk\r\n", .rewritten(cursor: 17 << 10)),
        ("-ERR invalid cursor\r\n", 0, 1, "-ERR invalid cursor\r\n", .error),
        ("*2\r\n$16\r\n9007199254740992\r\n*0\r\n", 0, 1, "", .serverCursorTooLarge),
        ("*2\r\n$16\r\n9007199254740991\r\n*0\r\n", 0, 1, "*2\r\n$19\r\n9223372036854774784\r\n*0\r\n",
         .rewritten(cursor: 9_223_372_036_854_774_784)),
        ("*2\r\n$1\r\nx\r\n*0\r\n", 0, 1, "", .malformed),
        ("*2\r\n$0\r\n\r\n*0\r\n", 0, 1, "", .malformed),
        ("*2\r\n$-1\r\n*0\r\n", 0, 1, "", .malformed),
        ("*2\r\n:1\r\n*0\r\n", 0, 1, "", .malformed),
        ("*2\r\n$1\r\n1\r\n$1\r\nk\r\n", 0, 1, "", .malformed),
        ("*3\r\n$1\r\n1\r\n*0\r\n*0\r\n", 0, 1, "", .malformed),
        ("*1\r\n$1\r\n1\r\n", 0, 1, "", .malformed),
        ("*2\r\n$1\r\n1\r\n*0\r\n+extra\r\n", 0, 1, "", .malformed),
        ("*2\r\n$1\r\n1\r\n", 0, 1, "", .malformed),
        ("", 0, 1, "", .malformed),
    ])
    func clientReplies(reply: String, master: Int, count: Int, expected: String, rewrite: C.ReplyRewrite) {
        var output = Array("kept".utf8)
        let result = Array(reply.utf8).withUnsafeBytes {
            C.appendClientReply($0, masterIndex: master, masterCount: count, into: &output)
        }
        #expect(result == rewrite)
        #expect(String(decoding: output, as: UTF8.self) == "kept" + expected)
    }
}

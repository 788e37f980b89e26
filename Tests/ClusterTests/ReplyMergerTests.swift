import Cluster
import RESP
import Testing

/// Every rule on hand-written parts, RESP2 and RESP3; each result must be one valid reply.
@Suite struct ReplyMergerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let rule: ReplyMergeRule
        let parts: [String]
        let expected: String
        var testDescription: String { "\(rule): \(parts.map(Self.show)) → \(Self.show(expected))" }
        static func show(_ text: String) -> String { text.replacingOccurrences(of: "\r\n", with: "·") }
    }

    static let unreadable = "-" + ReplyMerger.unreadableMessage + "\r\n"
    static let unmergeable = "-" + ReplyMerger.unmergeableMessage + "\r\n"
    static let overflow = "-" + ReplyMerger.overflowMessage + "\r\n"

    static func merge(_ parts: [[UInt8]], _ rule: ReplyMergeRule, plan: SplitPlan? = nil) -> [UInt8] {
        var replies = PartReplies(parts: parts.count)
        // Stored last part first: arrival order must not matter.
        for part in parts.indices.reversed() { replies.store(parts[part], forPart: part) }
        var merger = ReplyMerger()
        var output = Array("left alone".utf8)
        merger.merge(replies, rule: rule, plan: plan, into: &output)
        #expect(output.starts(with: Array("left alone".utf8)))
        return Array(output.dropFirst(10))
    }

    static let cases: [Case] = [
        // Sums (DEL, EXISTS, DBSIZE, SLOWLOG LEN).
        Case(rule: .sum, parts: [":1\r\n", ":2\r\n", ":0\r\n"], expected: ":3\r\n"),
        Case(rule: .sum, parts: [":5\r\n"], expected: ":5\r\n"),
        Case(rule: .sum, parts: [":-4\r\n", ":1\r\n"], expected: ":-3\r\n"),
        Case(rule: .sum, parts: [":9223372036854775807\r\n", ":-1\r\n"], expected: ":9223372036854775806\r\n"),
        Case(rule: .sum, parts: [":9223372036854775807\r\n", ":1\r\n"], expected: overflow),
        Case(rule: .sum, parts: [":-9223372036854775808\r\n", ":-1\r\n"], expected: overflow),
        Case(rule: .sum, parts: ["*2\r\n:1\r\n:2\r\n", "*2\r\n:10\r\n:20\r\n"], expected: "*2\r\n:11\r\n:22\r\n"),
        Case(rule: .sum, parts: ["*0\r\n", "*0\r\n"], expected: "*0\r\n"),
        Case(rule: .sum, parts: ["*2\r\n:1\r\n:2\r\n", "*1\r\n:10\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: [":1\r\n", "*1\r\n:10\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: ["*1\r\n:10\r\n", ":1\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: [":1\r\n", "#t\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: [":1\r\n", "$1\r\n1\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: [":1\r\n", "+OK\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: [":1\r\n", ",1.5\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: [":1\r\n", "(1\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: ["*-1\r\n", "*-1\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: ["~1\r\n:1\r\n", "~1\r\n:1\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: ["*1\r\n*1\r\n:1\r\n", "*1\r\n*1\r\n:1\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: ["*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n", "*1\r\n:1\r\n"], expected: unmergeable),
        Case(rule: .sum, parts: [":1\r\n", "-ERR x\r\n", "-ERR y\r\n"], expected: "-ERR x\r\n"),
        Case(rule: .sum, parts: ["-OOM no\r\n", ":1\r\n"], expected: "-OOM no\r\n"),
        Case(rule: .sum, parts: [":1\r\n", "!5\r\nERR z\r\n"], expected: "!5\r\nERR z\r\n"),
        Case(rule: .sum, parts: [":1\r\n", ":01\r\n"], expected: ":2\r\n"),
        // Minimum and maximum (WAIT, WAITAOF, MSETNX if it were split).
        Case(rule: .minimum, parts: [":3\r\n", ":1\r\n", ":2\r\n"], expected: ":1\r\n"),
        Case(rule: .minimum, parts: ["*2\r\n:1\r\n:5\r\n", "*2\r\n:0\r\n:7\r\n"], expected: "*2\r\n:0\r\n:5\r\n"),
        Case(rule: .maximum, parts: [":3\r\n", ":-1\r\n", ":2\r\n"], expected: ":3\r\n"),
        Case(rule: .maximum, parts: ["*2\r\n:1\r\n:5\r\n", "*2\r\n:0\r\n:7\r\n"], expected: "*2\r\n:1\r\n:7\r\n"),
        Case(rule: .maximum, parts: ["#t\r\n", ":1\r\n"], expected: unmergeable),
        Case(rule: .minimum, parts: [":1\r\n", "-ERR timeout\r\n"], expected: "-ERR timeout\r\n"),
        // Logical AND / OR (SCRIPT EXISTS), integers and RESP3 booleans.
        Case(rule: .logicalAnd, parts: ["*3\r\n:1\r\n:0\r\n:1\r\n", "*3\r\n:1\r\n:1\r\n:0\r\n"], expected: "*3\r\n:1\r\n:0\r\n:0\r\n"),
        Case(rule: .logicalOr, parts: ["*3\r\n:1\r\n:0\r\n:0\r\n", "*3\r\n:0\r\n:0\r\n:1\r\n"], expected: "*3\r\n:1\r\n:0\r\n:1\r\n"),
        Case(rule: .logicalAnd, parts: ["*2\r\n#t\r\n#t\r\n", "*2\r\n#t\r\n#f\r\n"], expected: "*2\r\n#t\r\n#f\r\n"),
        Case(rule: .logicalOr, parts: ["*2\r\n#f\r\n#t\r\n", "*2\r\n#f\r\n#f\r\n"], expected: "*2\r\n#f\r\n#t\r\n"),
        Case(rule: .logicalAnd, parts: ["*2\r\n#t\r\n:1\r\n", "*2\r\n:1\r\n:1\r\n"], expected: "*2\r\n:1\r\n:1\r\n"),
        Case(rule: .logicalAnd, parts: [":7\r\n", ":-2\r\n"], expected: ":1\r\n"),
        Case(rule: .logicalAnd, parts: [":0\r\n", ":1\r\n"], expected: ":0\r\n"),
        Case(rule: .logicalOr, parts: [":0\r\n", ":0\r\n"], expected: ":0\r\n"),
        Case(rule: .logicalOr, parts: [":0\r\n", ":3\r\n"], expected: ":1\r\n"),
        Case(rule: .logicalOr, parts: ["#f\r\n"], expected: "#f\r\n"),
        Case(rule: .logicalAnd, parts: ["*1\r\n:1\r\n", "*1\r\n$1\r\n1\r\n"], expected: unmergeable),
        Case(rule: .logicalAnd, parts: ["*0\r\n", "*0\r\n", "*0\r\n"], expected: "*0\r\n"),
        Case(rule: .logicalOr, parts: ["*1\r\n:1\r\n", "-NOSCRIPT\r\n"], expected: "-NOSCRIPT\r\n"),
        // All succeeded (MSET, FLUSHALL, SCRIPT LOAD): the first error, else part 0's reply.
        Case(rule: .allSucceeded, parts: ["+OK\r\n", "+OK\r\n", "+OK\r\n"], expected: "+OK\r\n"),
        Case(rule: .allSucceeded, parts: ["$2\r\nab\r\n", "$2\r\nab\r\n"], expected: "$2\r\nab\r\n"),
        Case(rule: .allSucceeded, parts: ["+OK\r\n", "-OOM command not allowed\r\n", "-ERR b\r\n"], expected: "-OOM command not allowed\r\n"),
        Case(rule: .allSucceeded, parts: ["-READONLY x\r\n", "+OK\r\n"], expected: "-READONLY x\r\n"),
        // One succeeded (SCRIPT KILL): the first success, else the first error.
        Case(rule: .oneSucceeded, parts: ["-NOTBUSY a\r\n", "+OK\r\n", "-NOTBUSY c\r\n"], expected: "+OK\r\n"),
        Case(rule: .oneSucceeded, parts: ["-NOTBUSY a\r\n", "-NOTBUSY b\r\n"], expected: "-NOTBUSY a\r\n"),
        Case(rule: .oneSucceeded, parts: [":1\r\n", ":2\r\n"], expected: ":1\r\n"),
        // Concatenation (KEYS, SLOWLOG GET): arrays, RESP3 sets and maps, nulls as empty.
        Case(rule: .concatenate, parts: ["*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*0\r\n", "*1\r\n$1\r\nc\r\n"],
             expected: "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        Case(rule: .concatenate, parts: ["~1\r\n$1\r\na\r\n", "~1\r\n$1\r\nb\r\n"], expected: "~2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        Case(rule: .concatenate, parts: ["~1\r\n$1\r\na\r\n", "*1\r\n$1\r\nb\r\n"], expected: "~2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        Case(rule: .concatenate, parts: ["%1\r\n+a\r\n:1\r\n", "%1\r\n+b\r\n:2\r\n"], expected: "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n"),
        Case(rule: .concatenate, parts: ["%1\r\n+a\r\n:1\r\n", "*2\r\n+b\r\n:2\r\n"], expected: unmergeable),
        Case(rule: .concatenate, parts: ["*-1\r\n", "_\r\n", "*1\r\n*2\r\n:1\r\n:2\r\n"], expected: "*1\r\n*2\r\n:1\r\n:2\r\n"),
        Case(rule: .concatenate, parts: ["*-1\r\n", "_\r\n"], expected: "*0\r\n"),
        Case(rule: .concatenate, parts: ["$1\r\na\r\n", "$-1\r\n"], expected: unmergeable),
        Case(rule: .concatenate, parts: ["*1\r\n$1\r\na\r\n", "-ERR x\r\n"], expected: "-ERR x\r\n"),
        Case(rule: .concatenate, parts: ["*1\r\n|1\r\n+k\r\n+v\r\n$1\r\na\r\n"], expected: "*1\r\n|1\r\n+k\r\n+v\r\n$1\r\na\r\n"),
        // Parts that are not one complete reply: refused whatever the rule.
        Case(rule: .sum, parts: [":1\r\n", ""], expected: unreadable),
        Case(rule: .sum, parts: [":1\r\n", ":2"], expected: unreadable),
        Case(rule: .sum, parts: [":1\r\n:2\r\n"], expected: unreadable),
        Case(rule: .allSucceeded, parts: ["+OK\r\n", "+OK\r\nextra"], expected: unreadable),
        Case(rule: .oneSucceeded, parts: ["+OK\r\n", "?\r\n"], expected: unreadable),
        Case(rule: .concatenate, parts: [">2\r\n+message\r\n+x\r\n"], expected: unreadable),
        Case(rule: .concatenate, parts: ["*2\r\n$1\r\na\r\n"], expected: unreadable),
        Case(rule: .logicalOr, parts: ["-ERR x\r\n", "*1\r\n"], expected: unreadable),
    ]

    @Test(arguments: cases)
    func merges(testCase: Case) {
        let output = Self.merge(testCase.parts.map(MultiKeyFixtures.text), testCase.rule)
        #expect(String(decoding: output, as: UTF8.self) == testCase.expected)
        _ = MultiKeyFixtures.decode(output)
    }

    /// `MGET` parts, every kind of element, merged back in key order: keys 0, 2, 4 in part 0 and
    /// 1, 3 in part 1.
    @Test(arguments: [false, true])
    func keyOrderCopiesElementsAsTheyCame(resp3: Bool) throws {
        let plan = try Self.plan(keysInSlots: [0, 1, 0, 1, 0])
        let null = resp3 ? "_\r\n" : "$-1\r\n"
        let parts = [
            "*3\r\n$1\r\na\r\n" + null + "|1\r\n+ttl\r\n:5\r\n$0\r\n\r\n",
            "*2\r\n=7\r\ntxt:abc\r\n$3\r\n\r\n\n\r\n",
        ]
        let output = Self.merge(parts.map(MultiKeyFixtures.text), .keyOrder, plan: plan)
        let expected = "*5\r\n$1\r\na\r\n=7\r\ntxt:abc\r\n" + null + "$3\r\n\r\n\n\r\n|1\r\n+ttl\r\n:5\r\n$0\r\n\r\n"
        #expect(String(decoding: output, as: UTF8.self) == expected)
        _ = MultiKeyFixtures.decode(output)
    }

    @Test(arguments: [
        (["*3\r\n:1\r\n:2\r\n:3\r\n", "*1\r\n:4\r\n"], unmergeable),  // one element too many
        (["*2\r\n:1\r\n:2\r\n", "*1\r\n:4\r\n"], unmergeable),  // one too few
        (["*3\r\n:1\r\n:2\r\n:3\r\n", "*2\r\n:4\r\n:5\r\n"], "*5\r\n:1\r\n:4\r\n:2\r\n:5\r\n:3\r\n"),
        (["~3\r\n:1\r\n:2\r\n:3\r\n", "*2\r\n:4\r\n:5\r\n"], unmergeable),
        (["*-1\r\n", "*2\r\n:4\r\n:5\r\n"], unmergeable),
        ([":3\r\n", "*2\r\n:4\r\n:5\r\n"], unmergeable),
        (["*3\r\n:1\r\n:2\r\n:3\r\n", "-MOVED 1 127.0.0.1:1\r\n"], "-MOVED 1 127.0.0.1:1\r\n"),
        (["-ERR first\r\n", "-ERR second\r\n"], "-ERR first\r\n"),
        (["*3\r\n:1\r\n:2\r\n:3\r\n", "*2\r\n:4\r\n"], unreadable),
    ])
    func keyOrderNeedsArraysOfTheRightLength(parts: [String], expected: String) throws {
        let plan = try Self.plan(keysInSlots: [0, 1, 0, 1, 0])
        let output = Self.merge(parts.map(MultiKeyFixtures.text), .keyOrder, plan: plan)
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    /// A plan with key `i` in the `slots[i]`-th of a few distinct slots.
    static func plan(keysInSlots slots: [Int]) throws -> SplitPlan {
        let keys = slots.enumerated().map { index, slot in
            Array("{".utf8) + MultiKeyFixtures.keyOfSlot[slot * 1000] + Array("}\(index)".utf8)
        }
        var splitter = MultiKeySplitter()
        var plan = SplitPlan()
        let outcome = CommandArguments.with([Array("mget".utf8)] + keys) {
            splitter.split($0, as: MultiKeyFixtures.command("mget"), into: &plan)
        }
        try #require(outcome == .split)
        return plan
    }

    /// Merging the same parts with one merger after another leaves no trace (reused cursors).
    @Test func aMergerIsReusable() throws {
        var merger = ReplyMerger()
        let plan = try Self.plan(keysInSlots: [0, 1, 2, 1])
        for round in 0..<3 {
            var replies = PartReplies(parts: 3)
            replies.store(MultiKeyFixtures.text("*1\r\n:\(round)\r\n"), forPart: 0)
            replies.store(MultiKeyFixtures.text("*2\r\n:10\r\n:11\r\n"), forPart: 1)
            replies.store(MultiKeyFixtures.text("*1\r\n:20\r\n"), forPart: 2)
            var output: [UInt8] = []
            merger.merge(replies, rule: .keyOrder, plan: plan, into: &output)
            #expect(String(decoding: output, as: UTF8.self) == "*4\r\n:\(round)\r\n:10\r\n:20\r\n:11\r\n")
            output.removeAll()
            merger.merge(replies, rule: .concatenate, into: &output)
            #expect(String(decoding: output, as: UTF8.self) == "*4\r\n:\(round)\r\n:10\r\n:11\r\n:20\r\n")
        }
    }

    @Test func partRepliesTrackArrivals() {
        var replies = PartReplies(parts: 3)
        #expect(replies.count == 3 && replies.receivedCount == 0 && !replies.isComplete)
        replies.store(MultiKeyFixtures.text(":2\r\n"), forPart: 2)
        #expect(replies.hasReply(2) && !replies.hasReply(0) && replies.reply(2) == MultiKeyFixtures.text(":2\r\n"))
        #expect(replies.reply(0) == nil)
        replies.store(MultiKeyFixtures.text(":0\r\n"), forPart: 0)
        replies.store(MultiKeyFixtures.text(":1\r\n"), forPart: 1)
        #expect(replies.isComplete && replies.receivedCount == 3)
        replies.reset(parts: 1)
        #expect(replies.count == 1 && !replies.isComplete && replies.reply(0) == nil)
        replies.reset(parts: 0)
        #expect(replies.isComplete)
    }
}

import Cluster
import RESP
import Testing

/// Split → run each part on the model of its slot's master → merge, against the same command run
/// whole on the model of one Redis holding every key: the client must not tell the difference.
@Suite struct SplitMergeRoundTripTests {
    typealias F = MultiKeyFixtures

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let keys: [[UInt8]]
        var testDescription: String { label }
    }

    static let keySets: [Case] = [
        Case(label: "1 slot", keys: F.keys(count: 4, slots: 1)),
        Case(label: "2 slots", keys: F.keys(count: 5, slots: 2)),
        Case(label: "3 slots", keys: F.keys(count: 9, slots: 3)),
        Case(label: "16 slots", keys: F.keys(count: 40, slots: 16)),
        Case(label: "duplicates across 3 slots", keys: F.keys(count: 6, slots: 3) + F.keys(count: 4, slots: 3)),
        Case(label: "one key 3 times", keys: Array(repeating: F.text("dup"), count: 3)),
        Case(label: "512 slots", keys: F.keys(count: 1024, slots: 512, firstSlot: 3, stride: 31)),
    ]

    static let commands = ["MGET", "MSET", "DEL", "UNLINK", "EXISTS", "TOUCH"]

    /// Three masters, slot ranges as `redis-cli --cluster create` makes them.
    static func master(ofSlot slot: UInt16) -> Int { slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2 }

    /// Half the keys (every other one) hold a value before the command runs.
    static func seeded(_ keys: [[UInt8]], resp3: Bool) -> (whole: F.Model, masters: [F.Model]) {
        var whole = F.Model(resp3: resp3)
        var masters = Array(repeating: F.Model(resp3: resp3), count: 3)
        for (index, key) in keys.enumerated() where index % 2 == 0 {
            let value = F.text("v\(index)")
            whole.data[key] = value
            masters[master(ofSlot: HashSlot.of(key))].data[key] = value
        }
        return (whole, masters)
    }

    static func arguments(_ name: String, _ keys: [[UInt8]]) -> [[UInt8]] {
        var arguments = [F.text(name)]
        for (index, key) in keys.enumerated() {
            arguments.append(key)
            if name == "MSET" { arguments.append(F.text("new\(index)")) }
        }
        return arguments
    }

    /// Splits, runs the parts (their replies stored in `arrival` order), merges. `fail(part)` may
    /// replace a part's reply.
    static func splitRunMerge(
        _ arguments: [[UInt8]], masters: inout [F.Model], arrival: (Int) -> [Int] = { Array(0..<$0) },
        fail: (Int) -> [UInt8]? = { _ in nil }
    ) -> [UInt8] {
        let info = CommandFixtures.table.command(named: String(decoding: arguments[0], as: UTF8.self))!
        let command = MultiKeyCommand(info)!
        var splitter = MultiKeySplitter()
        var plan = SplitPlan()
        _ = CommandArguments.with(arguments) { splitter.split($0, as: command, into: &plan) }
        let requests = F.partRequests(plan, arguments)
        var replies = PartReplies(parts: plan.partCount)
        var answers = [[UInt8]](repeating: [], count: plan.partCount)
        for part in 0..<plan.partCount {
            answers[part] = masters[master(ofSlot: plan.slot(ofPart: part))].run(requests[part])
        }
        for part in arrival(plan.partCount) { replies.store(fail(part) ?? answers[part], forPart: part) }
        var merger = ReplyMerger()
        var output: [UInt8] = []
        merger.merge(replies, rule: command.rule, plan: plan, into: &output)
        return output
    }

    @Test(arguments: commands, keySets)
    func sameAsOneRedis(name: String, keySet: Case) {
        for resp3 in [false, true] {
            var (whole, masters) = Self.seeded(keySet.keys, resp3: resp3)
            let arguments = Self.arguments(name, keySet.keys)
            let expected = whole.run(arguments)
            let merged = Self.splitRunMerge(arguments, masters: &masters)
            #expect(String(decoding: merged, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "resp3: \(resp3)")
            _ = F.decode(merged)
            // The data ends the same too: MSET wrote, DEL removed, on the right masters.
            for key in Set(keySet.keys) {
                #expect(masters[Self.master(ofSlot: HashSlot.of(key))].data[key] == whole.data[key])
            }
        }
    }

    /// Parts answered in any order merge the same.
    @Test(arguments: commands)
    func arrivalOrderDoesNotMatter(name: String) {
        let keys = F.keys(count: 40, slots: 16)
        var reference: [UInt8]?
        for order in 0..<4 {
            var (_, masters) = Self.seeded(keys, resp3: false)
            let merged = Self.splitRunMerge(Self.arguments(name, keys), masters: &masters) { count in
                switch order {
                case 0: return Array(0..<count)
                case 1: return Array((0..<count).reversed())
                case 2: return (0..<count).filter { $0 % 2 == 1 } + (0..<count).filter { $0 % 2 == 0 }
                default: return (0..<count).sorted { ($0 * 7) % count < ($1 * 7) % count }
                }
            }
            if let reference { #expect(merged == reference) } else { reference = merged }
        }
    }

    /// An error in any part is the whole reply; with several, the first in part order (so the one
    /// of the earliest key). `MSET` (all_succeeded) answers it too.
    @Test(arguments: commands, [[1], [2], [0, 2], [2, 1], [0, 1, 2]])
    func errorPartsWin(name: String, failing: [Int]) {
        let keys = F.keys(count: 9, slots: 3)
        var (_, masters) = Self.seeded(keys, resp3: true)
        let merged = Self.splitRunMerge(Self.arguments(name, keys), masters: &masters, fail: { part in
            failing.contains(part) ? F.text("-ERR part \(part) failed\r\n") : nil
        })
        #expect(String(decoding: merged, as: UTF8.self) == "-ERR part \(failing.min()!) failed\r\n")
    }

    /// A part whose reply is cut short or of the wrong shape makes the whole reply Ferry's error,
    /// never a reply that misplaces values.
    @Test(arguments: ["MGET", "DEL", "MSET"], [":1\r\n", "*1\r\n$1\r\nx\r\n", "*1\r\n", "+OK\r\n", "$-1\r\n"])
    func wrongShapesAreRefused(name: String, reply: String) {
        let keys = F.keys(count: 6, slots: 3)
        var (_, masters) = Self.seeded(keys, resp3: false)
        let merged = Self.splitRunMerge(Self.arguments(name, keys), masters: &masters, fail: { part in
            part == 1 ? F.text(reply) : nil
        })
        let text = String(decoding: merged, as: UTF8.self)
        switch (name, reply) {
        case ("DEL", ":1\r\n"):
            #expect(text == ":3\r\n")  // 2 + 1 of 3 seeded: still a well-formed sum
        case ("MSET", "+OK\r\n"), ("MSET", ":1\r\n"), ("MSET", "*1\r\n$1\r\nx\r\n"), ("MSET", "$-1\r\n"):
            #expect(text == "+OK\r\n")  // all_succeeded answers part 0's reply when nothing failed
        case (_, "*1\r\n"):
            #expect(text == "-" + ReplyMerger.unreadableMessage + "\r\n")
        default:
            #expect(text == "-" + ReplyMerger.unmergeableMessage + "\r\n")
        }
    }
}

import Cluster
import RESP
import Testing

@Suite struct MultiKeySplitterTests {
    typealias F = MultiKeyFixtures

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let keys: [[UInt8]]
        var testDescription: String { "\(label) (\(keys.count) keys)" }
    }

    /// Keys in 1, 2, 3 and 16 slots, several keys per slot, duplicates, hash tags, binary keys.
    static let cases: [Case] = [
        Case(label: "one key", keys: F.keys(count: 1, slots: 1)),
        Case(label: "1 slot", keys: F.keys(count: 5, slots: 1)),
        Case(label: "2 slots", keys: F.keys(count: 2, slots: 2)),
        Case(label: "2 slots, interleaved", keys: F.keys(count: 7, slots: 2)),
        Case(label: "3 slots", keys: F.keys(count: 3, slots: 3)),
        Case(label: "3 slots, 10 keys", keys: F.keys(count: 10, slots: 3)),
        Case(label: "16 slots", keys: F.keys(count: 16, slots: 16)),
        Case(label: "16 slots, 100 keys", keys: F.keys(count: 100, slots: 16)),
        Case(label: "duplicates", keys: ["a", "b", "a", "c", "b", "a"].map(F.text)),
        Case(label: "one key repeated", keys: Array(repeating: F.text("same"), count: 4)),
        Case(label: "hash tags", keys: ["{user1}:a", "{user2}:a", "{user1}:b", "x{user2}", "{}", "{", "}{user1}"].map(F.text)),
        Case(label: "binary and empty keys", keys: [[], [0], [0xFF, 0x0D, 0x0A], [], Array("{\r\n}".utf8)]),
        Case(label: "slots in descending order", keys: (0..<8).map { F.keyOfSlot[16383 - $0 * 1000] }),
        Case(label: "slot 0 and slot 16383", keys: [F.keyOfSlot[0], F.keyOfSlot[16383], F.keyOfSlot[0]]),
    ]

    /// Checks every promise of a plan against the keys it was made from.
    static func check(_ plan: SplitPlan, _ outcome: SplitOutcome, keys: [[UInt8]], arguments: [[UInt8]], step: Int) {
        let slots = keys.map { HashSlot.of($0) }
        var distinct: [UInt16] = []
        for slot in slots where !distinct.contains(slot) { distinct.append(slot) }
        #expect(outcome == (distinct.count == 1 ? .oneSlot(slots[0]) : .split))
        #expect(plan.keyCount == keys.count)
        #expect(plan.partCount == distinct.count)
        // Parts in the order their slots first appear; keys in the client's order within a part.
        for (part, slot) in distinct.enumerated() {
            #expect(plan.slot(ofPart: part) == slot)
            let expected = slots.indices.filter { slots[$0] == slot }
            #expect(plan.keys(ofPart: part) == expected)
            #expect(plan.keyCount(ofPart: part) == expected.count)
            for (position, key) in expected.enumerated() {
                #expect(plan.placement(ofKey: key) == KeyPlacement(part: part, position: position))
                #expect(plan.part(ofKey: key) == part)
                #expect(plan.slot(ofKey: key) == slot)
                #expect(plan.argumentIndex(ofKey: key) == 1 + key * step)
            }
        }
        // Each part's request is the name and its keys (with their values), as bytes Redis reads.
        let requests = F.partRequests(plan, arguments)
        for part in 0..<plan.partCount {
            var expected = [arguments[0]]
            for key in plan.keys(ofPart: part) { expected += arguments[(1 + key * step)..<(1 + (key + 1) * step)] }
            #expect(requests[part] == expected)
            var bytes: [UInt8] = []
            CommandArguments.with(arguments) { plan.appendRequest(part: part, from: $0, into: &bytes) }
            #expect(bytes == RESPCommand.encode(expected))
        }
    }

    @Test(arguments: cases, [("MGET", 1), ("mset", 2), ("Del", 1)])
    func splitsBySlot(testCase: Case, command: (name: String, step: Int)) {
        let layout: MultiKeyCommand.Layout = command.step == 1 ? .keys : .keyValuePairs
        var arguments = [F.text(command.name)]
        for (index, key) in testCase.keys.enumerated() {
            arguments.append(key)
            if command.step == 2 { arguments.append(F.text("value\(index)")) }
        }
        var splitter = MultiKeySplitter()
        var plan = SplitPlan()
        let outcome = CommandArguments.with(arguments) {
            splitter.split($0, as: MultiKeyCommand(layout: layout, rule: .keyOrder), into: &plan)
        }
        Self.check(plan, outcome, keys: testCase.keys, arguments: arguments, step: command.step)
    }

    /// The router sends a multi-slot request to be split exactly when the splitter splits it.
    @Test(arguments: cases)
    func agreesWithTheRouter(testCase: Case) {
        var splitter = MultiKeySplitter()
        var plan = SplitPlan()
        let router = Router(table: CommandFixtures.table)
        CommandArguments.with([F.text("mget")] + testCase.keys) { arguments in
            let route = router.route(arguments)
            let outcome = splitter.split(arguments, as: F.command("mget"), into: &plan)
            switch outcome {
            case .oneSlot(let slot): #expect(route == .slot(slot))
            case .split: #expect(route == .split(F.command("mget")))
            case .invalid: Issue.record("valid MGET judged invalid")
            }
        }
    }

    /// One splitter and one plan reused for every case, in two rounds, give what fresh ones give:
    /// the slot table is left clean and the plan forgets the previous request.
    @Test func reuseLeavesNoTrace() {
        var splitter = MultiKeySplitter()
        var plan = SplitPlan(capacity: 4)
        for _ in 0..<2 {
            for testCase in Self.cases {
                let arguments = [F.text("mget")] + testCase.keys
                let outcome = CommandArguments.with(arguments) { splitter.split($0, as: F.command("mget"), into: &plan) }
                Self.check(plan, outcome, keys: testCase.keys, arguments: arguments, step: 1)
            }
        }
    }

    /// One key in each of the 16,384 slots: 16,384 parts of one key, in the client's order.
    @Test func everySlot() {
        let keys = (0..<HashSlot.count).map { F.keyOfSlot[($0 * 7919) % HashSlot.count] }
        var splitter = MultiKeySplitter()
        var plan = SplitPlan()
        let outcome = CommandArguments.with([F.text("del")] + keys) { splitter.split($0, as: F.command("del"), into: &plan) }
        #expect(outcome == .split)
        #expect(plan.partCount == HashSlot.count)
        for key in 0..<keys.count {
            #expect(plan.placement(ofKey: key) == KeyPlacement(part: key, position: 0))
            #expect(plan.slot(ofPart: key) == HashSlot.of(keys[key]))
        }
    }

    @Test(arguments: [
        (["MGET"], MultiKeyCommand.Layout.keys),
        (["MSET"], .keyValuePairs),
        (["MSET", "a"], .keyValuePairs),
        (["MSET", "a", "1", "b"], .keyValuePairs),
        (["MSET", "{a}1", "1", "{b}2", "2", "c"], .keyValuePairs),
    ])
    func argumentsThatDoNotFitAreInvalid(words: [String], layout: MultiKeyCommand.Layout) {
        var splitter = MultiKeySplitter()
        var plan = SplitPlan()
        let outcome = CommandArguments.with(words) { splitter.split($0, as: MultiKeyCommand(layout: layout, rule: .sum), into: &plan) }
        #expect(outcome == .invalid)
        #expect(plan.keyCount == 0 && plan.partCount == 0)
    }

    /// The plan is a value: a copy kept for merging is not disturbed by the next split.
    @Test func aKeptPlanSurvivesTheNextSplit() {
        var splitter = MultiKeySplitter()
        var plan = SplitPlan()
        let first = [F.text("mget")] + F.keys(count: 6, slots: 3)
        _ = CommandArguments.with(first) { splitter.split($0, as: F.command("mget"), into: &plan) }
        let kept = plan
        _ = CommandArguments.with([F.text("mget")] + F.keys(count: 9, slots: 9, firstSlot: 7)) {
            splitter.split($0, as: F.command("mget"), into: &plan)
        }
        #expect(kept.partCount == 3 && plan.partCount == 9)
        #expect((0..<6).map { kept.placement(ofKey: $0) } == (0..<6).map { KeyPlacement(part: $0 % 3, position: $0 / 3) })
    }
}

import Config
import Testing

@testable import Proxy

struct ServerHealthTests {
    // MARK: - Scenarios

    /// Sequences of checks with the status, routability and events expected after each.
    @Test(arguments: Scenario.all)
    func scenario(_ scenario: Scenario) {
        var health = ServerHealth(rise: scenario.rise, fall: scenario.fall)
        #expect(health.statusDescription == "DOWN")
        #expect(!health.isRoutable(for: scenario.selection))
        for (index, step) in scenario.steps.enumerated() {
            let events = health.record(Self.result(step.check), selection: scenario.selection)
            let at = Comment(rawValue: "step \(index + 1) (\(step.check))")
            #expect(events == step.events, at)
            #expect(health.statusDescription == step.status, at)
            #expect(health.isRoutable(for: scenario.selection) == step.routable, at)
            #expect(health.lastResult == Self.result(step.check), at)
        }
    }

    // MARK: - Rise and fall for several pairs

    @Test(arguments: Self.pairs, BackendSelection.allCases)
    func riseBringsAFreshServerUp(pair: RiseFall, selection: BackendSelection) {
        var health = ServerHealth(rise: pair.rise, fall: pair.fall)
        let check = Self.check(for: selection)
        for pass in 1..<pair.rise {
            let events = health.record(Self.result(check), selection: selection)
            #expect(health.status == .down)
            #expect(health.statusDescription == "DOWN, going up \(pass)/\(pair.rise)")
            #expect(!health.isRoutable(for: selection))
            #expect(events == (pass == 1 ? [.roleChanged(from: nil, to: Self.role(check)!)] : []))
        }
        let events = health.record(Self.result(check), selection: selection)
        let role = Self.role(check)!
        var expected: [HealthEvent] = []
        if pair.rise == 1 { expected.append(.roleChanged(from: nil, to: role)) }
        expected.append(
            .statusChanged(
                from: .down,
                to: .up,
                reason: "\(pair.rise)/\(pair.rise) checks passed, role \(role.rawValue)"
            )
        )
        let checks = pair.rise == 1 ? "1 check" : "\(pair.rise) checks"
        expected.append(
            .routableChanged(routable: true, reason: "went UP, role \(role.rawValue) confirmed by \(checks)")
        )
        #expect(events == expected)
        #expect(health.status == .up)
        #expect(health.statusDescription == "UP")
        #expect(health.isRoutable(for: selection))
        #expect(health.role == role)
        #expect(health.roleConfirmations == pair.rise)
        #expect(health.downTransitions == 0)
    }

    @Test(arguments: Self.pairs, BackendSelection.allCases)
    func fallTakesAnUpServerDownAndItStaysRoutableUntilThen(pair: RiseFall, selection: BackendSelection) {
        var health = ServerHealth(rise: pair.rise, fall: pair.fall)
        let check = Self.check(for: selection)
        for _ in 0..<pair.rise { _ = health.record(Self.result(check), selection: selection) }
        #expect(health.isRoutable(for: selection))

        for failure in 1..<pair.fall {
            #expect(health.record(Self.result("X"), selection: selection) == [])
            #expect(health.status == .up)
            #expect(health.statusDescription == "UP, going down \(failure)/\(pair.fall)")
            #expect(health.isRoutable(for: selection), "a failing check keeps an UP server routable")
        }
        let events = health.record(Self.result("X"), selection: selection)
        #expect(
            events == [
                .statusChanged(
                    from: .up,
                    to: .down,
                    reason: "\(pair.fall)/\(pair.fall) checks failed, last L4CON: Connection refused"
                ),
                .routableChanged(routable: false, reason: "went DOWN"),
            ]
        )
        #expect(health.statusDescription == "DOWN")
        #expect(!health.isRoutable(for: selection))
        #expect(health.downTransitions == 1)
        #expect(health.role == Self.role(check), "the role is kept while DOWN")
    }

    @Test(arguments: Self.pairs)
    func contraryResultResetsTheStreak(pair: RiseFall) {
        var health = ServerHealth(rise: pair.rise, fall: pair.fall)
        // Going up: rise-1 passes, a failure, and the count starts again.
        for _ in 1..<pair.rise { _ = health.record(Self.result("M"), selection: .master) }
        _ = health.record(Self.result("X"), selection: .master)
        #expect(health.statusDescription == "DOWN")
        #expect(health.streak == 0)
        for _ in 1..<pair.rise { _ = health.record(Self.result("M"), selection: .master) }
        #expect(health.status == .down)
        _ = health.record(Self.result("M"), selection: .master)
        #expect(health.status == .up)

        // Going down: fall-1 failures, a pass, and the count starts again.
        for _ in 1..<pair.fall { _ = health.record(Self.result("X"), selection: .master) }
        _ = health.record(Self.result("M"), selection: .master)
        #expect(health.statusDescription == "UP")
        for _ in 1..<pair.fall { _ = health.record(Self.result("X"), selection: .master) }
        #expect(health.status == .up)
        _ = health.record(Self.result("X"), selection: .master)
        #expect(health.status == .down)
    }

    // MARK: - Roles

    @Test(arguments: Self.pairs)
    func masterDemotedToReplicaLeavesAtOnce(pair: RiseFall) {
        var health = ServerHealth(rise: pair.rise, fall: pair.fall)
        for _ in 0..<pair.rise { _ = health.record(Self.result("M"), selection: .master) }
        #expect(health.isRoutable(for: .master))

        let events = health.record(Self.result("S"), selection: .master)
        #expect(
            events == [
                .roleChanged(from: .master, to: .replica),
                .routableChanged(routable: false, reason: "role changed master → slave"),
            ]
        )
        #expect(!health.isRoutable(for: .master))
        #expect(health.status == .up)
        #expect(health.roleConfirmations == 1)
    }

    @Test(arguments: Self.pairs)
    func replicaPromotedToMasterWaitsForRiseChecks(pair: RiseFall) {
        var health = ServerHealth(rise: pair.rise, fall: pair.fall)
        for _ in 0..<pair.rise { _ = health.record(Self.result("S"), selection: .master) }
        #expect(health.status == .up)
        #expect(!health.isRoutable(for: .master))

        for confirmation in 1...pair.rise {
            let events = health.record(Self.result("M"), selection: .master)
            var expected: [HealthEvent] = confirmation == 1 ? [.roleChanged(from: .replica, to: .master)] : []
            if confirmation == pair.rise {
                let checks = pair.rise == 1 ? "1 check" : "\(pair.rise) checks"
                expected.append(.routableChanged(routable: true, reason: "role master confirmed by \(checks)"))
            }
            #expect(events == expected, "confirmation \(confirmation)")
            #expect(health.isRoutable(for: .master) == (confirmation == pair.rise))
        }
    }

    /// Failing checks between passes neither confirm nor reset the role.
    @Test(arguments: Self.pairs)
    func failuresDoNotInterruptRoleConfirmation(pair: RiseFall) {
        var health = ServerHealth(rise: pair.rise, fall: max(pair.fall, 2))
        for _ in 0..<pair.rise { _ = health.record(Self.result("S"), selection: .master) }
        for _ in 0..<pair.rise {
            _ = health.record(Self.result("M"), selection: .master)
            if !health.isRoutable(for: .master) {
                _ = health.record(Self.result("X"), selection: .master)
                #expect(health.status == .up)
            }
        }
        #expect(health.roleConfirmations == pair.rise)
        #expect(health.isRoutable(for: .master))
    }

    /// A failing result never changes the role, even if it carries one.
    @Test(arguments: CheckCode.allCases.filter { !$0.passed })
    func failingResultsIgnoreTheirRole(code: CheckCode) {
        var health = ServerHealth(rise: 1, fall: 2)
        _ = health.record(Self.result("M"), selection: .master)
        let failing = CheckResult(code: code, duration: .milliseconds(2), detail: "odd", role: .replica)
        #expect(health.record(failing, selection: .master) == [])
        #expect(health.role == .master)
        #expect(health.roleConfirmations == 1)
        #expect(health.isRoutable(for: .master))
    }

    /// A check that could not start for a local reason (EMFILE) moves no streak, in either status.
    @Test(arguments: Self.pairs)
    func localFailuresCountForNothing(pair: RiseFall) {
        var health = ServerHealth(rise: pair.rise, fall: pair.fall)
        let local = CheckResult(code: .l4con, duration: .zero, detail: "Too many open files", isLocalFailure: true)
        for _ in 0..<pair.rise { _ = health.record(Self.result("M"), selection: .master) }
        for _ in 0..<(pair.fall + 2) { #expect(health.record(local, selection: .master) == []) }
        #expect(health.status == .up)
        #expect(health.streak == 0)
        #expect(health.isRoutable(for: .master))
        #expect(health.lastResult == local)
        for _ in 0..<pair.fall { _ = health.record(Self.result("X"), selection: .master) }
        for _ in 0..<(pair.rise + 2) { _ = health.record(local, selection: .master) }
        #expect(health.status == .down)
        #expect(health.streak == 0)
    }

    /// A server that goes down as master and comes back claiming master must pass `rise` checks again.
    @Test(arguments: Self.pairs)
    func restartedMasterMustRiseAgain(pair: RiseFall) {
        var health = ServerHealth(rise: pair.rise, fall: pair.fall)
        for _ in 0..<pair.rise { _ = health.record(Self.result("M"), selection: .master) }
        for _ in 0..<pair.fall { _ = health.record(Self.result("X"), selection: .master) }
        #expect(health.status == .down)
        for pass in 1...pair.rise {
            _ = health.record(Self.result("M"), selection: .master)
            #expect(health.isRoutable(for: .master) == (pass == pair.rise))
        }
    }

    // MARK: - Against a model

    /// Every sequence of checks up to a length, compared after each check with a model
    /// that works from the whole history instead of from counters:
    /// - status is UP when the latest run of `rise` passes ends after the latest run of
    ///   `fall` failures (and DOWN when there is neither);
    /// - the streak is the number of trailing results contrary to that status;
    /// - the role is the last one reported by a passing check, confirmed by the trailing
    ///   passes that reported it (failures and role-less passes skipped).
    @Test(arguments: Self.modelPairs, BackendSelection.allCases)
    func agreesWithAHistoryModel(pair: RiseFall, selection: BackendSelection) {
        for (alphabet, length) in [("MSX", 8), ("MSTPXR", 5)] {
            var history: [Character] = []
            _ = Self.explore(
                alphabet: Array(alphabet),
                depth: length,
                health: ServerHealth(rise: pair.rise, fall: pair.fall),
                model: Model(rise: pair.rise, fall: pair.fall),
                history: &history,
                selection: selection
            )
        }
    }

    private static func explore(
        alphabet: [Character],
        depth: Int,
        health: ServerHealth,
        model: Model,
        history: inout [Character],
        selection: BackendSelection
    ) -> Bool {
        guard depth > 0 else { return true }
        for check in alphabet {
            var next = health
            let events = next.record(Self.result(check), selection: selection)
            history.append(check)
            defer { history.removeLast() }
            let nextModel = Model(after: model, history: history)

            var expectedEvents: [HealthEvent.Kind] = []
            if nextModel.role != model.role { expectedEvents.append(.role(from: model.role, to: nextModel.role!)) }
            if nextModel.status != model.status {
                expectedEvents.append(.status(from: model.status, to: nextModel.status))
            }
            let routable = nextModel.isRoutable(for: selection)
            if routable != model.isRoutable(for: selection) { expectedEvents.append(.routable(routable)) }

            // One comparison per node keeps the ~20 000 nodes per argument fast.
            let observed = Observation(next, events: events.map(\.kind))
            let expected = Observation(nextModel, events: expectedEvents)
            guard observed == expected else {
                // The first disagreement says it all; thousands more would bury it.
                Issue.record("after \(String(history)): got \(observed), model says \(expected)")
                return false
            }
            guard
                Self.explore(
                    alphabet: alphabet,
                    depth: depth - 1,
                    health: next,
                    model: nextModel,
                    history: &history,
                    selection: selection
                )
            else { return false }
        }
        return true
    }

    /// What is compared between ``ServerHealth`` and the model after each check.
    private struct Observation: Equatable {
        var status: ServerHealth.Status
        var streak: Int
        var role: RedisRole?
        var roleConfirmations: Int
        var downTransitions: Int
        var routable: [Bool]
        var events: [HealthEvent.Kind]

        init(_ health: ServerHealth, events: [HealthEvent.Kind]) {
            self.status = health.status
            self.streak = health.streak
            self.role = health.role
            self.roleConfirmations = health.roleConfirmations
            self.downTransitions = health.downTransitions
            self.routable = BackendSelection.allCases.map(health.isRoutable(for:))
            self.events = events
        }

        init(_ model: Model, events: [HealthEvent.Kind]) {
            self.status = model.status
            self.streak = model.streak
            self.role = model.role
            self.roleConfirmations = model.roleConfirmations
            self.downTransitions = model.downTransitions
            self.routable = BackendSelection.allCases.map(model.isRoutable(for:))
            self.events = events
        }
    }

    // MARK: - Wording

    @Test(
        arguments: [
            (2, 3, "", "DOWN"),
            (2, 3, "X", "DOWN"),
            (2, 3, "M", "DOWN, going up 1/2"),
            (2, 3, "MM", "UP"),
            (2, 3, "MMX", "UP, going down 1/3"),
            (2, 3, "MMXX", "UP, going down 2/3"),
            (2, 3, "MMXXX", "DOWN"),
            (2, 3, "MMXXM", "UP"),
            (3, 1, "MM", "DOWN, going up 2/3"),
            (3, 1, "MMMX", "DOWN"),
            (1, 1, "S", "UP"),
            (5, 5, "MMMMMXXXX", "UP, going down 4/5"),
            (5, 5, "PPPP", "DOWN, going up 4/5"),
        ] as [(Int, Int, String, String)]
    )
    func statusDescription(rise: Int, fall: Int, checks: String, expected: String) {
        var health = ServerHealth(rise: rise, fall: fall)
        for check in checks { _ = health.record(Self.result(check), selection: .master) }
        #expect(health.statusDescription == expected)
    }

    @Test(arguments: [
        (RedisRole.master, BackendSelection.master, true),
        (.master, .replica, false),
        (.master, .any, true),
        (.replica, .master, false),
        (.replica, .replica, true),
        (.replica, .any, true),
        (.sentinel, .master, false),
        (.sentinel, .replica, false),
        (.sentinel, .any, false),
    ])
    func roleMatchesSelection(role: RedisRole, selection: BackendSelection, expected: Bool) {
        #expect(role.matches(selection) == expected)
    }

    @Test(arguments: [
        ("master", RedisRole.master as RedisRole?),
        ("slave", .replica),
        ("replica", .replica),
        ("sentinel", .sentinel),
        ("Master", nil),
        ("primary", nil),
        ("", nil),
    ])
    func roleFromReplyWord(word: String, expected: RedisRole?) {
        #expect(RedisRole(roleReply: word) == expected)
    }

    @Test(arguments: [
        (CheckCode.l4ok, true, "L4OK", "Layer4 check passed"),
        (.l4tout, false, "L4TOUT", "Layer4 timeout"),
        (.l4con, false, "L4CON", "Layer4 connection problem"),
        (.l7ok, true, "L7OK", "Layer7 check passed"),
        (.l7rsp, false, "L7RSP", "Layer7 invalid response"),
        (.l7tout, false, "L7TOUT", "Layer7 timeout"),
    ])
    func checkCodes(code: CheckCode, passed: Bool, rawValue: String, explanation: String) {
        #expect(code.passed == passed)
        #expect(code.rawValue == rawValue)
        #expect(code.explanation == explanation)
    }

    @Test(arguments: [
        (
            CheckResult(code: .l7ok, duration: .microseconds(1500), detail: "master, 1 replica", role: .master), 1,
            "L7OK in 1ms: master, 1 replica"
        ),
        (
            CheckResult(code: .l4con, duration: .zero, detail: "Connection refused"), 0,
            "L4CON in 0ms: Connection refused"
        ),
        (CheckResult(code: .l7tout, duration: .seconds(2), detail: ""), 2000, "L7TOUT in 2000ms"),
    ])
    func checkResultDescription(result: CheckResult, milliseconds: Int64, expected: String) {
        #expect(result.milliseconds == milliseconds)
        #expect(result.description == expected)
    }

    @Test
    func sameHistorySameValue() {
        var first = ServerHealth(rise: 2, fall: 3)
        var second = ServerHealth(rise: 2, fall: 3)
        for check in "MMXSM" {
            _ = first.record(Self.result(check), selection: .master)
            _ = second.record(Self.result(check), selection: .any)
        }
        #expect(first == second, "the selection only decides events, not state")
        #expect(first != ServerHealth(rise: 2, fall: 3))
    }
}

// MARK: - Arguments and helpers

extension ServerHealthTests {
    struct RiseFall: Sendable, CustomTestStringConvertible {
        let rise: Int
        let fall: Int
        var testDescription: String { "rise \(self.rise), fall \(self.fall)" }
    }

    static let pairs: [RiseFall] = [(1, 1), (1, 3), (2, 2), (2, 3), (3, 1), (3, 5), (5, 5)].map(RiseFall.init)
    static let modelPairs: [RiseFall] = [(1, 1), (1, 2), (2, 1), (2, 3), (3, 2), (3, 3), (4, 1), (1, 4)].map(
        RiseFall.init
    )

    /// One check, by letter: M/S/T pass reporting master/slave/sentinel, P passes with no
    /// role (plain L4OK); X, Z, O and R fail with L4CON, L4TOUT, L7TOUT and L7RSP.
    static func result(_ check: Character) -> CheckResult {
        switch check {
        case "M": CheckResult(code: .l7ok, duration: .milliseconds(1), detail: "master, 1 replica", role: .master)
        case "S":
            CheckResult(
                code: .l7ok,
                duration: .milliseconds(1),
                detail: "replica of 10.0.0.1:7001 (connected)",
                role: .replica
            )
        case "T": CheckResult(code: .l7ok, duration: .milliseconds(1), detail: "sentinel, 1 master", role: .sentinel)
        case "P": CheckResult(code: .l4ok, duration: .milliseconds(1), detail: "")
        case "X": CheckResult(code: .l4con, duration: .milliseconds(0), detail: "Connection refused")
        case "Z": CheckResult(code: .l4tout, duration: .milliseconds(2000), detail: "")
        case "O": CheckResult(code: .l7tout, duration: .milliseconds(500), detail: "no reply to ROLE")
        case "R":
            CheckResult(
                code: .l7rsp,
                duration: .milliseconds(1),
                detail: "PING: -LOADING Redis is loading the dataset in memory"
            )
        default: fatalError("unknown check \(check)")
        }
    }

    static func role(_ check: Character) -> RedisRole? {
        switch check {
        case "M": .master
        case "S": .replica
        case "T": .sentinel
        default: nil
        }
    }

    /// A passing check whose role suits `selection`.
    static func check(for selection: BackendSelection) -> Character {
        selection == .replica ? "S" : "M"
    }

    /// A check and what must hold right after it.
    struct Step: Sendable {
        let check: Character
        let status: String
        let routable: Bool
        let events: [HealthEvent]

        init(_ check: Character, _ status: String, _ routable: Bool, _ events: [HealthEvent] = []) {
            self.check = check
            self.status = status
            self.routable = routable
            self.events = events
        }
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        let name: String
        let rise: Int
        let fall: Int
        let selection: BackendSelection
        let steps: [Step]

        var testDescription: String { "\(self.name) (rise \(self.rise), fall \(self.fall), select \(self.selection))" }

        static let all: [Self] = [
            Self(
                name: "master comes up, flaps, goes down and comes back",
                rise: 2,
                fall: 3,
                selection: .master,
                steps: [
                    Step("M", "DOWN, going up 1/2", false, [.role(nil, .master)]),
                    Step(
                        "M",
                        "UP",
                        true,
                        [
                            .up("2/2 checks passed, role master"),
                            .routable("went UP, role master confirmed by 2 checks"),
                        ]
                    ),
                    Step("X", "UP, going down 1/3", true),
                    Step("O", "UP, going down 2/3", true),
                    Step("M", "UP", true),
                    Step("X", "UP, going down 1/3", true),
                    Step("Z", "UP, going down 2/3", true),
                    Step(
                        "R",
                        "DOWN",
                        false,
                        [
                            .down(
                                "3/3 checks failed, last L7RSP: PING: -LOADING Redis is loading the dataset in memory"
                            ),
                            .unroutable("went DOWN"),
                        ]
                    ),
                    Step("X", "DOWN", false),
                    Step("M", "DOWN, going up 1/2", false),
                    Step("X", "DOWN", false),
                    Step("M", "DOWN, going up 1/2", false),
                    Step(
                        "M",
                        "UP",
                        true,
                        [
                            .up("2/2 checks passed, role master"),
                            .routable("went UP, role master confirmed by 6 checks"),
                        ]
                    ),
                ]
            ),
            Self(
                name: "master demoted and promoted again",
                rise: 2,
                fall: 3,
                selection: .master,
                steps: [
                    Step("M", "DOWN, going up 1/2", false, [.role(nil, .master)]),
                    Step(
                        "M",
                        "UP",
                        true,
                        [
                            .up("2/2 checks passed, role master"),
                            .routable("went UP, role master confirmed by 2 checks"),
                        ]
                    ),
                    Step("S", "UP", false, [.role(.master, .replica), .unroutable("role changed master → slave")]),
                    Step("S", "UP", false),
                    Step("M", "UP", false, [.role(.replica, .master)]),
                    Step("M", "UP", true, [.routable("role master confirmed by 2 checks")]),
                ]
            ),
            Self(
                name: "master demoted and promoted again",
                rise: 2,
                fall: 3,
                selection: .replica,
                steps: [
                    Step("M", "DOWN, going up 1/2", false, [.role(nil, .master)]),
                    Step("M", "UP", false, [.up("2/2 checks passed, role master")]),
                    Step("S", "UP", false, [.role(.master, .replica)]),
                    Step("S", "UP", true, [.routable("role slave confirmed by 2 checks")]),
                    Step("M", "UP", false, [.role(.replica, .master), .unroutable("role changed slave → master")]),
                    Step("M", "UP", false),
                ]
            ),
            Self(
                name: "master demoted and promoted again",
                rise: 2,
                fall: 3,
                selection: .any,
                steps: [
                    Step("M", "DOWN, going up 1/2", false, [.role(nil, .master)]),
                    Step(
                        "M",
                        "UP",
                        true,
                        [
                            .up("2/2 checks passed, role master"),
                            .routable("went UP, role master confirmed by 2 checks"),
                        ]
                    ),
                    Step("S", "UP", false, [.role(.master, .replica), .unroutable("role changed master → slave")]),
                    Step("S", "UP", true, [.routable("role slave confirmed by 2 checks")]),
                    Step("M", "UP", false, [.role(.replica, .master), .unroutable("role changed slave → master")]),
                    Step("M", "UP", true, [.routable("role master confirmed by 2 checks")]),
                ]
            ),
            Self(
                name: "promoted replica waits for rise checks, failures in between",
                rise: 3,
                fall: 2,
                selection: .master,
                steps: [
                    Step("S", "DOWN, going up 1/3", false, [.role(nil, .replica)]),
                    Step("S", "DOWN, going up 2/3", false),
                    Step("S", "UP", false, [.up("3/3 checks passed, role slave")]),
                    Step("M", "UP", false, [.role(.replica, .master)]),
                    Step("X", "UP, going down 1/2", false),
                    Step("M", "UP", false),
                    Step("M", "UP", true, [.routable("role master confirmed by 3 checks")]),
                ]
            ),
            Self(
                name: "rise 1 fall 1 reacts to every check",
                rise: 1,
                fall: 1,
                selection: .master,
                steps: [
                    Step(
                        "M",
                        "UP",
                        true,
                        [
                            .role(nil, .master), .up("1/1 checks passed, role master"),
                            .routable("went UP, role master confirmed by 1 check"),
                        ]
                    ),
                    Step("S", "UP", false, [.role(.master, .replica), .unroutable("role changed master → slave")]),
                    Step("M", "UP", true, [.role(.replica, .master), .routable("role master confirmed by 1 check")]),
                    Step(
                        "X",
                        "DOWN",
                        false,
                        [.down("1/1 checks failed, last L4CON: Connection refused"), .unroutable("went DOWN")]
                    ),
                    Step("X", "DOWN", false),
                    Step(
                        "M",
                        "UP",
                        true,
                        [
                            .up("1/1 checks passed, role master"),
                            .routable("went UP, role master confirmed by 2 checks"),
                        ]
                    ),
                ]
            ),
            Self(
                name: "a sentinel comes UP but is never routable",
                rise: 2,
                fall: 3,
                selection: .any,
                steps: [
                    Step("T", "DOWN, going up 1/2", false, [.role(nil, .sentinel)]),
                    Step("T", "UP", false, [.up("2/2 checks passed, role sentinel")]),
                    Step("T", "UP", false),
                    Step("X", "UP, going down 1/3", false),
                ]
            ),
            Self(
                name: "role changes while DOWN",
                rise: 3,
                fall: 2,
                selection: .master,
                steps: [
                    Step("M", "DOWN, going up 1/3", false, [.role(nil, .master)]),
                    Step("S", "DOWN, going up 2/3", false, [.role(.master, .replica)]),
                    Step("M", "UP", false, [.role(.replica, .master), .up("3/3 checks passed, role master")]),
                    Step("M", "UP", false),
                    Step("M", "UP", true, [.routable("role master confirmed by 3 checks")]),
                ]
            ),
            Self(
                name: "passes without a role keep it alive but confirm nothing",
                rise: 2,
                fall: 2,
                selection: .master,
                steps: [
                    Step("P", "DOWN, going up 1/2", false),
                    Step("P", "UP", false, [.up("2/2 checks passed")]),
                    Step("M", "UP", false, [.role(nil, .master)]),
                    Step("P", "UP", false),
                    Step("M", "UP", true, [.routable("role master confirmed by 2 checks")]),
                    Step("P", "UP", true),
                    Step("X", "UP, going down 1/2", true),
                    Step("Z", "DOWN", false, [.down("2/2 checks failed, last L4TOUT"), .unroutable("went DOWN")]),
                ]
            ),
            Self(
                name: "contrary results reset the streak",
                rise: 3,
                fall: 3,
                selection: .master,
                steps: [
                    Step("M", "DOWN, going up 1/3", false, [.role(nil, .master)]),
                    Step("M", "DOWN, going up 2/3", false),
                    Step("X", "DOWN", false),
                    Step("M", "DOWN, going up 1/3", false),
                    Step("M", "DOWN, going up 2/3", false),
                    Step(
                        "M",
                        "UP",
                        true,
                        [
                            .up("3/3 checks passed, role master"),
                            .routable("went UP, role master confirmed by 5 checks"),
                        ]
                    ),
                    Step("X", "UP, going down 1/3", true),
                    Step("X", "UP, going down 2/3", true),
                    Step("M", "UP", true),
                    Step("X", "UP, going down 1/3", true),
                    Step("X", "UP, going down 2/3", true),
                    Step(
                        "X",
                        "DOWN",
                        false,
                        [.down("3/3 checks failed, last L4CON: Connection refused"), .unroutable("went DOWN")]
                    ),
                ]
            ),
            Self(
                name: "replica selection while roles flip during rise",
                rise: 2,
                fall: 2,
                selection: .replica,
                steps: [
                    Step("X", "DOWN", false),
                    Step("S", "DOWN, going up 1/2", false, [.role(nil, .replica)]),
                    Step("M", "UP", false, [.role(.replica, .master), .up("2/2 checks passed, role master")]),
                    Step("S", "UP", false, [.role(.master, .replica)]),
                    Step("S", "UP", true, [.routable("role slave confirmed by 2 checks")]),
                ]
            ),
        ]
    }

    /// ServerHealth's rules restated over the whole history (see `agreesWithAHistoryModel`).
    struct Model {
        let rise: Int
        let fall: Int
        let status: ServerHealth.Status
        let streak: Int
        let role: RedisRole?
        let roleConfirmations: Int
        let downTransitions: Int

        /// Before any check.
        init(rise: Int, fall: Int) {
            self.rise = rise
            self.fall = fall
            self.status = .down
            self.streak = 0
            self.role = nil
            self.roleConfirmations = 0
            self.downTransitions = 0
        }

        /// After `history`, whose last check came after the state in `previous`
        /// (which only serves to count UP → DOWN transitions).
        init(after previous: Model, history: [Character]) {
            self.rise = previous.rise
            self.fall = previous.fall
            let passed = history.map { ServerHealthTests.result($0).code.passed }
            // The end of the latest run of `length` equal results.
            func lastRun(of value: Bool, length: Int) -> Int? {
                guard passed.count >= length else { return nil }
                return (length - 1..<passed.count).last { end in
                    passed[(end - length + 1)...end].allSatisfy { $0 == value }
                }
            }
            switch (lastRun(of: true, length: self.rise), lastRun(of: false, length: self.fall)) {
            case (let up?, let down?): self.status = up > down ? .up : .down
            case (.some, nil): self.status = .up
            case (nil, _): self.status = .down
            }
            let contrary = self.status == .down
            self.streak = passed.reversed().prefix { $0 == contrary }.count
            let roles = history.compactMap { ServerHealthTests.role($0) }
            self.role = roles.last
            self.roleConfirmations = roles.reversed().prefix { $0 == roles.last }.count
            self.downTransitions = previous.downTransitions + (previous.status == .up && self.status == .down ? 1 : 0)
        }

        func isRoutable(for selection: BackendSelection) -> Bool {
            self.status == .up && self.role?.matches(selection) == true && self.roleConfirmations >= self.rise
        }
    }
}

extension HealthEvent {
    fileprivate static func up(_ reason: String) -> Self { .statusChanged(from: .down, to: .up, reason: reason) }
    fileprivate static func down(_ reason: String) -> Self { .statusChanged(from: .up, to: .down, reason: reason) }
    fileprivate static func role(_ from: RedisRole?, _ to: RedisRole) -> Self { .roleChanged(from: from, to: to) }
    fileprivate static func routable(_ reason: String) -> Self { .routableChanged(routable: true, reason: reason) }
    fileprivate static func unroutable(_ reason: String) -> Self { .routableChanged(routable: false, reason: reason) }

    /// The event without its wording, for comparing with the model.
    fileprivate enum Kind: Equatable {
        case status(from: ServerHealth.Status, to: ServerHealth.Status)
        case role(from: RedisRole?, to: RedisRole)
        case routable(Bool)
    }

    fileprivate var kind: Kind {
        switch self {
        case .statusChanged(let from, let to, _): .status(from: from, to: to)
        case .roleChanged(let from, let to): .role(from: from, to: to)
        case .routableChanged(let routable, _): .routable(routable)
        }
    }
}

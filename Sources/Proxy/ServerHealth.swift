import Config

/// The health of one backend server: HAProxy-style rise/fall plus confirmation of the
/// Redis role, as a value driven by check results. No I/O and no clock: the checker
/// feeds it ``CheckResult``s and logs or acts on the ``HealthEvent``s it returns.
///
/// - Status: a DOWN server goes UP after `rise` consecutive passing checks, an UP
///   server goes DOWN after `fall` consecutive failing ones; a contrary result resets
///   the count. A new server starts DOWN, so even a node that just started and claims
///   to be master has to pass `rise` checks.
/// - Role: every passing check that reports a role either confirms the current one or
///   replaces it, restarting the confirmation count at 1. A master that turns into a
///   replica therefore leaves the rotation on the check that shows it, while a replica
///   promoted to master joins only after `rise` checks have reported it as master.
/// - A passing check without a role (a plain L4OK) keeps the server alive but neither
///   confirms nor contradicts the role.
/// - A check that could not start for a local reason (``CheckResult/isLocalFailure``, e.g.
///   EMFILE) is recorded as the last result and otherwise ignored.
/// - A failing check does not touch the role: an UP server keeps receiving clients until
///   it goes DOWN, as in HAProxy.
public struct ServerHealth: Sendable, Equatable {
    /// Whether the server is considered alive.
    public enum Status: String, Sendable, Equatable, CaseIterable {
        case up = "UP"
        case down = "DOWN"
    }

    /// Consecutive passing checks that take a DOWN server UP.
    public let rise: Int
    /// Consecutive failing checks that take an UP server DOWN.
    public let fall: Int

    public private(set) var status: Status = .down
    /// Consecutive results contrary to ``status`` so far (passes while DOWN, failures while UP).
    public private(set) var streak: Int = 0
    /// The last role seen by a passing check.
    public private(set) var role: RedisRole?
    /// Consecutive passing checks that reported ``role`` (failing checks in between do not count or reset).
    public private(set) var roleConfirmations: Int = 0
    public private(set) var lastResult: CheckResult?
    /// How many times the server went UP → DOWN.
    public private(set) var downTransitions: Int = 0

    /// Starts DOWN with no history.
    public init(rise: Int, fall: Int) {
        precondition(rise >= 1 && fall >= 1, "rise and fall must be at least 1")
        self.rise = rise
        self.fall = fall
    }

    /// The same history under new `rise`/`fall` (a configuration reload): status, role and
    /// counters are kept, a streak is cut to stay below its new threshold.
    public func withThresholds(rise: Int, fall: Int) -> ServerHealth {
        var copy = ServerHealth(rise: rise, fall: fall)
        copy.status = status
        copy.streak = min(streak, (status == .up ? fall : rise) - 1)
        copy.role = role
        copy.roleConfirmations = roleConfirmations
        copy.lastResult = lastResult
        copy.downTransitions = downTransitions
        return copy
    }

    /// Routable = UP, the role matches `selection`, and that role has been reported by at
    /// least `rise` consecutive passing checks.
    public func isRoutable(for selection: BackendSelection) -> Bool {
        guard self.status == .up, let role = self.role, role.matches(selection) else { return false }
        return self.roleConfirmations >= self.rise
    }

    /// HAProxy's wording: `UP`, `DOWN`, `UP, going down 1/3`, `DOWN, going up 1/2`.
    public var statusDescription: String {
        switch (self.status, self.streak) {
        case (.up, 0): return "UP"
        case (.down, 0): return "DOWN"
        case (.up, let failures): return "UP, going down \(failures)/\(self.fall)"
        case (.down, let passes): return "DOWN, going up \(passes)/\(self.rise)"
        }
    }

    /// Applies one check result; returns what changed, in order (role, then status, then
    /// routability), for logging. `selection` only decides the `routableChanged` event.
    public mutating func record(_ result: CheckResult, selection: BackendSelection) -> [HealthEvent] {
        guard !result.isLocalFailure else {
            // Shown as the last check, but it tells nothing about the server: no streak moves.
            self.lastResult = result
            return []
        }
        let wasRoutable = self.isRoutable(for: selection)
        let previousRole = self.role
        var events: [HealthEvent] = []
        self.lastResult = result

        if result.code.passed {
            if let reported = result.role {
                if reported == self.role {
                    self.roleConfirmations += 1
                } else {
                    events.append(.roleChanged(from: self.role, to: reported))
                    self.role = reported
                    self.roleConfirmations = 1
                }
            }
            switch self.status {
            case .down:
                self.streak += 1
                if self.streak >= self.rise {
                    self.status = .up
                    self.streak = 0
                    let role = result.role.map { ", role \($0.rawValue)" } ?? ""
                    events.append(
                        .statusChanged(from: .down, to: .up, reason: "\(self.rise)/\(self.rise) checks passed\(role)")
                    )
                }
            case .up:
                self.streak = 0
            }
        } else {
            switch self.status {
            case .up:
                self.streak += 1
                if self.streak >= self.fall {
                    self.status = .down
                    self.streak = 0
                    self.downTransitions += 1
                    let last =
                        result.detail.isEmpty ? result.code.rawValue : "\(result.code.rawValue): \(result.detail)"
                    events.append(
                        .statusChanged(
                            from: .up,
                            to: .down,
                            reason: "\(self.fall)/\(self.fall) checks failed, last \(last)"
                        )
                    )
                }
            case .down:
                self.streak = 0
            }
        }

        let routable = self.isRoutable(for: selection)
        if routable != wasRoutable {
            events.append(
                .routableChanged(routable: routable, reason: self.routableReason(routable, previousRole, events))
            )
        }
        return events
    }

    private func routableReason(_ routable: Bool, _ previousRole: RedisRole?, _ events: [HealthEvent]) -> String {
        let statusChanged = events.contains { if case .statusChanged = $0 { true } else { false } }
        if routable {
            let checks = self.roleConfirmations == 1 ? "1 check" : "\(self.roleConfirmations) checks"
            let confirmed = "role \(self.role!.rawValue) confirmed by \(checks)"
            return statusChanged ? "went UP, " + confirmed : confirmed
        }
        // Only two things end routability: going DOWN (failures) or a new role (a pass).
        if statusChanged { return "went DOWN" }
        return "role changed \(previousRole?.rawValue ?? "none") → \(self.role?.rawValue ?? "none")"
    }
}

/// Something that changed in a ``ServerHealth`` on one check, for logs and for the
/// checker to act on (a server that stops being routable may get its sessions closed).
public enum HealthEvent: Sendable, Equatable {
    /// `reason`: `2/2 checks passed, role master`, `3/3 checks failed, last L4CON: Connection refused`.
    case statusChanged(from: ServerHealth.Status, to: ServerHealth.Status, reason: String)
    /// A passing check reported a role different from the last one seen.
    case roleChanged(from: RedisRole?, to: RedisRole)
    /// ``ServerHealth/isRoutable(for:)`` changed for the selection passed to `record`.
    /// `reason`: `went DOWN`, `role changed master → slave`, `role master confirmed by 2 checks`.
    case routableChanged(routable: Bool, reason: String)
}

import Proxy

/// What the page shows in a server's Status column, HAProxy's vocabulary and colours:
/// the operator's MAINT / DRAIN first, then the health checks' UP / DOWN / going up / going down.
public enum ServerState: Sendable, Equatable {
    case up
    /// UP by its checks but not in rotation because of its role (a replica under `select: master`).
    case upNotRoutable
    /// UP, `failures` of `fall` consecutive checks failed.
    case goingDown(Int, of: Int)
    /// DOWN, `passes` of `rise` consecutive checks passed.
    case goingUp(Int, of: Int)
    case down
    /// No check has finished yet.
    case notChecked
    case drain
    case maint

    /// Every kind once, in legend order (transitions with 1 of 2, 1 of 3).
    public static let legendOrder: [ServerState] = [
        .up, .goingDown(1, of: 3), .goingUp(1, of: 2), .down, .upNotRoutable, .notChecked, .drain, .maint,
    ]

    public init(_ status: BackendStatus) {
        switch status.adminState {
        case .maint: self = .maint
        case .drain: self = .drain
        case .ready:
            if status.lastCheck == nil && status.status == .down {
                self = .notChecked
            } else if let (done, of) = Self.transition(in: status.statusDescription, word: "going down"),
                      status.status == .up {
                self = .goingDown(done, of: of)
            } else if let (done, of) = Self.transition(in: status.statusDescription, word: "going up"),
                      status.status == .down {
                self = .goingUp(done, of: of)
            } else if status.status == .down {
                self = .down
            } else {
                self = status.routable ? .up : .upNotRoutable
            }
        }
    }

    /// `n/m` after `word` in `ServerHealth.statusDescription` ("UP, going down 1/3").
    private static func transition(in description: String, word: String) -> (Int, Int)? {
        guard let range = description.range(of: word + " ") else { return nil }
        let parts = description[range.upperBound...].split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let done = Int(parts[0]), let of = Int(parts[1].prefix { $0.isNumber }) else { return nil }
        return (done, of)
    }

    /// The Status column, as on HAProxy's page: `UP`, `UP, going down 1/3`, `DOWN, going up 1/2`, `DRAIN`, `MAINT`.
    public var label: String {
        switch self {
        case .up: return "UP"
        case .upNotRoutable: return "UP, not in rotation"
        case .goingDown(let n, let m): return "UP, going down \(n)/\(m)"
        case .goingUp(let n, let m): return "DOWN, going up \(n)/\(m)"
        case .down: return "DOWN"
        case .notChecked: return "no check yet"
        case .drain: return "DRAIN"
        case .maint: return "MAINT"
        }
    }

    /// HAProxy's CSV `status` field: `UP`, `UP 1/3`, `DOWN 1/2`, `DOWN`, `DRAIN`, `MAINT`, `no check`.
    public var csvStatus: String {
        switch self {
        case .up: return "UP"
        case .upNotRoutable: return "NOLB"
        case .goingDown(let n, let m): return "UP \(n)/\(m)"
        case .goingUp(let n, let m): return "DOWN \(n)/\(m)"
        case .down: return "DOWN"
        case .notChecked: return "no check"
        case .drain: return "DRAIN"
        case .maint: return "MAINT"
        }
    }

    /// A stable machine name for JSON and the `state` label of `/metrics`.
    public var key: String {
        switch self {
        case .up: return "up"
        case .upNotRoutable: return "up_not_routable"
        case .goingDown: return "going_down"
        case .goingUp: return "going_up"
        case .down: return "down"
        case .notChecked: return "not_checked"
        case .drain: return "drain"
        case .maint: return "maint"
        }
    }

    /// Every ``key``, for state-set metrics (each always present, 0 or 1).
    public static let allKeys = ["up", "up_not_routable", "going_down", "going_up", "down", "not_checked", "drain", "maint"]

    /// The CSS class on the page; the colours are HAProxy's.
    var cssClass: String { "s-" + String(key.map { $0 == "_" ? "-" : $0 }) }

    /// What the legend says about the colour.
    var legend: String {
        switch self {
        case .up: return "UP, in rotation"
        case .goingDown: return "UP, going down"
        case .goingUp: return "DOWN, going up"
        case .down: return "DOWN"
        case .upNotRoutable: return "UP, not in rotation (role)"
        case .notChecked: return "not checked yet"
        case .drain: return "DRAIN (no new sessions)"
        case .maint: return "MAINT (sessions closed)"
        }
    }
}

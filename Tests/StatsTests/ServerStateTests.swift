import Testing

@testable import Proxy
@testable import Stats

/// The Status column for every combination the page distinguishes.
@Suite struct ServerStateTests {
    @Test(arguments: Fixtures.statesByServer.map { ($0.0, $0.1) })
    func statusMapsToItsPageState(status: BackendStatus, expected: ServerState) {
        #expect(ServerState(status) == expected)
    }

    @Test(arguments: [
        (ServerState.up, "UP", "UP", "up"),
        (.goingDown(1, of: 3), "UP, going down 1/3", "UP 1/3", "going_down"),
        (.goingUp(2, of: 5), "DOWN, going up 2/5", "DOWN 2/5", "going_up"),
        (.down, "DOWN", "DOWN", "down"),
        (.upNotRoutable, "UP, not in rotation", "NOLB", "up_not_routable"),
        (.notChecked, "no check yet", "no check", "not_checked"),
        (.drain, "DRAIN", "DRAIN", "drain"),
        (.maint, "MAINT", "MAINT", "maint"),
    ])
    func wording(state: ServerState, label: String, csv: String, key: String) {
        #expect(state.label == label)
        #expect(state.csvStatus == csv)
        #expect(state.key == key)
        #expect(ServerState.allKeys.contains(key))
    }

    @Test func theLegendShowsEveryKindOnce() {
        #expect(Set(ServerState.legendOrder.map(\.key)) == Set(ServerState.allKeys))
        #expect(ServerState.legendOrder.count == ServerState.allKeys.count)
    }

    /// The operator's state wins over the health checks, whatever they say.
    @Test(arguments: [ServerHealth.Status.up, .down], [AdminState.drain, .maint])
    func adminStateWins(health: ServerHealth.Status, admin: AdminState) {
        let status = Fixtures.status(health: health, description: "\(health.rawValue), going down 1/3", admin: admin)
        #expect(ServerState(status) == (admin == .drain ? .drain : .maint))
    }
}

extension Fixtures {
    static func status(health: ServerHealth.Status, description: String, admin: AdminState) -> BackendStatus {
        status("127.0.0.1:7001", health, description: description, admin: admin)
    }
}

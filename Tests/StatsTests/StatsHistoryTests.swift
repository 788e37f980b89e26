import Testing

@testable import Stats

/// Per-second samples: rate = delta of sessionsTotal over the elapsed time, a bounded window.
@Suite struct StatsHistoryTests {
    @Test func theFirstReadingOnlySetsTheBase() {
        var history = StatsHistory(capacity: 10)
        history.record(sessionsTotal: 500, checkLatencies: [.milliseconds(1)], elapsed: .seconds(1))
        #expect(history.samples.isEmpty)
        #expect(history.currentSessionRate == 0)
    }

    @Test(arguments: [
        // (totals, elapsed per reading in ms, expected rates)
        ([0, 10, 30, 30], 1000, [10.0, 20, 0]),
        ([0, 10, 30], 500, [20.0, 40]),
        ([0, 15], 1500, [10.0]),
        ([100, 50, 60], 1000, [0.0, 10]),  // a counter that went back restarts from 0, never negative
    ])
    func rateIsTheDeltaPerSecond(totals: [UInt64], elapsedMs: Int, rates: [Double]) {
        var history = StatsHistory(capacity: 10)
        for total in totals { history.record(sessionsTotal: total, checkLatencies: [], elapsed: .milliseconds(elapsedMs)) }
        #expect(history.samples.map(\.sessionRate) == rates)
        #expect(history.currentSessionRate == rates.last)
        #expect(history.maxSessionRate == rates.max())
    }

    @Test(arguments: [1, 3, 600])
    func keepsAtMostCapacitySamplesButTheMaxSinceStart(capacity: Int) {
        var history = StatsHistory(capacity: capacity)
        history.record(sessionsTotal: 0, checkLatencies: [], elapsed: .seconds(1))
        history.record(sessionsTotal: 1000, checkLatencies: [], elapsed: .seconds(1))  // the peak, soon out of the window
        var total: UInt64 = 1000
        for _ in 0..<(capacity + 5) {
            total += 1
            history.record(sessionsTotal: total, checkLatencies: [nil, .milliseconds(2)], elapsed: .seconds(1))
        }
        #expect(history.samples.count == capacity)
        #expect(history.samples.allSatisfy { $0.sessionRate == 1 })
        #expect(history.maxSessionRate == 1000)
        #expect(history.samples.last?.checkLatencies == [nil, .milliseconds(2)])
    }

    /// cluster mode: the command rate is derived like the session rate, from the same readings.
    @Test(arguments: [
        // (command totals, elapsed per reading in ms, expected rates)
        ([0, 1000, 4000, 4000], 1000, [1000.0, 3000, 0]),
        ([0, 500], 250, [2000.0]),
        ([700, 100, 150], 1000, [0.0, 50]),  // a counter that went back restarts from 0
    ])
    func commandRateIsTheDeltaPerSecond(totals: [UInt64], elapsedMs: Int, rates: [Double]) {
        var history = StatsHistory(capacity: 10)
        for (index, total) in totals.enumerated() {
            history.record(sessionsTotal: UInt64(index), commandsTotal: total, checkLatencies: [],
                           elapsed: .milliseconds(elapsedMs))
        }
        #expect(history.samples.map(\.commandRate) == rates)
        #expect(history.currentCommandRate == rates.last)
        #expect(history.maxCommandRate == rates.max())
        #expect(history.samples.map(\.sessionRate) == rates.map { _ in 1000 / Double(elapsedMs) }, "sessions unaffected")
    }

    @Test func tcpModeHasNoCommandRate() {
        var history = StatsHistory(capacity: 10)
        for total: UInt64 in [0, 10, 20] { history.record(sessionsTotal: total, checkLatencies: [], elapsed: .seconds(1)) }
        #expect(history.samples.allSatisfy { $0.commandRate == 0 })
        #expect(history.maxCommandRate == 0)
    }

    @Test func zeroElapsedGivesZeroNotInfinity() {
        var history = StatsHistory()
        history.record(sessionsTotal: 0, checkLatencies: [], elapsed: .zero)
        history.record(sessionsTotal: 5, checkLatencies: [], elapsed: .zero)
        #expect(history.currentSessionRate == 0)
    }
}

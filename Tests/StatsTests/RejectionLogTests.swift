import Testing

@testable import Stats

/// The rate limit on lines about refused requests, driven by made-up instants.
@Suite struct RejectionLogTests {
    @Test func aBurstIsLoggedThenSilenceThenTheCountOfWhatWasLeftOut() {
        var limiter = RejectionLog.Limiter(burst: 3, window: .seconds(60))
        let start = ContinuousClock.now
        let first = (0..<3).map { limiter.admit(at: start.advanced(by: .seconds($0))) }
        #expect(first == [0, 0, 0])
        let silenced = (0..<5).map { limiter.admit(at: start.advanced(by: .seconds(10 + $0))) }
        #expect(silenced == [nil, nil, nil, nil, nil])
        // A new window: the next line says how many were left out, the one after does not.
        #expect(limiter.admit(at: start.advanced(by: .seconds(60))) == 5)
        #expect(limiter.admit(at: start.advanced(by: .seconds(61))) == 0)
    }

    @Test(arguments: [1, 20])
    func aSteadyTrickleIsNeverSilenced(burst: Int) {
        var limiter = RejectionLog.Limiter(burst: burst, window: .seconds(60))
        let start = ContinuousClock.now
        for minute in 0..<10 {
            #expect(limiter.admit(at: start.advanced(by: .seconds(61 * minute))) == 0)
        }
    }

    @Test func everyLineCarriesPeerAndReasonAndTheLimitHolds() {
        let captured = CapturedLog()
        let log = RejectionLog(logger: captured.logger, limiter: .init(burst: 2, window: .seconds(3600)))
        for _ in 0..<10 {
            log.log(.info, "stats: request refused", peer: "10.0.0.5", reason: "dot segment in path")
        }
        let lines = captured.records
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.metadata["peer"] == "10.0.0.5" && $0.metadata["reason"] == "dot segment in path" })
    }

    @Test func longTargetsAreCutInLogLines() {
        #expect(RejectionLog.excerpt("/stats") == "/stats")
        let long = RejectionLog.excerpt("/" + String(repeating: "a", count: 10_000))
        #expect(long.utf8.count <= 124)
        #expect(long.hasSuffix("…"))
    }
}

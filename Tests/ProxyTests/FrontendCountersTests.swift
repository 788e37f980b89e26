import Testing

@testable import Proxy

/// A refused client is counted on its reason's counter alone, and loops' counters sum.
@Suite struct FrontendCountersTests {
    @Test func eachRefusalCountsOnItsOwnCounter() {
        var counters = FrontendCounters()
        counters.count(.noBackend)
        #expect(counters.noBackend == 1 && counters.outOfResources == 0)
        counters.count(.outOfResources)
        counters.count(.outOfResources)
        #expect(counters.noBackend == 1 && counters.outOfResources == 2)
        #expect(counters.acceptErrors == 0 && counters.sessionsTotal == 0)
    }

    @Test func addSumsEveryCounter() {
        var first = FrontendCounters(), second = FrontendCounters()
        first.sessionsTotal = 1; first.bytesIn = 2; first.bytesOut = 3
        first.noBackend = 4; first.outOfResources = 5; first.acceptErrors = 6
        second.sessionsTotal = 10; second.bytesIn = 20; second.bytesOut = 30
        second.noBackend = 40; second.outOfResources = 50; second.acceptErrors = 60
        first.add(second)
        var expected = FrontendCounters()
        expected.sessionsTotal = 11; expected.bytesIn = 22; expected.bytesOut = 33
        expected.noBackend = 44; expected.outOfResources = 55; expected.acceptErrors = 66
        #expect(first == expected)
    }
}

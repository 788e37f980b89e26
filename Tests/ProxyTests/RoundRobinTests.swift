import Testing

@testable import Proxy

@Suite struct RoundRobinTests {
    @Test(arguments: [
        ([Int32](), 4, [Int32]()),
        ([3], 3, [3, 3, 3]),
        ([0, 2], 5, [0, 2, 0, 2, 0]),
        ([1, 4, 5], 7, [1, 4, 5, 1, 4, 5, 1]),
    ])
    func rotatesThroughRoutableServers(routable: [Int32], picks: Int, expected: [Int32]) {
        var rotation = RoundRobin(routable: routable)
        let chosen = (0..<picks).compactMap { _ in rotation.next() }
        #expect(chosen == expected)
    }

    @Test(arguments: [
        ([Int32](0...2), Int32(0), Int32(1)),
        ([0, 1, 2], 1, 0),  // the cursor sits on 0 first; 0 is not avoided
        ([5], 5, 5),  // a single server is retried rather than refusing the client
    ])
    func avoidsTheServerThatJustFailed(routable: [Int32], avoiding: Int32, expected: Int32) {
        var rotation = RoundRobin(routable: routable)
        #expect(rotation.next(avoiding: avoiding) == expected)
    }

    @Test func updateKeepsRotatingInsteadOfRestartingAtTheFirstServer() {
        var rotation = RoundRobin(routable: [0, 1, 2])
        _ = rotation.next()  // 0
        rotation.update([0, 1, 2, 3])
        #expect(rotation.next() == 1)
        rotation.update([7])  // cursor past the end wraps
        #expect(rotation.next() == 7)
        rotation.update([])
        #expect(rotation.next() == nil)
    }

    @Test func spreadsEvenly() {
        var rotation = RoundRobin(routable: [0, 1, 2])
        var counts = [Int32: Int]()
        for _ in 0..<300 { counts[rotation.next()!, default: 0] += 1 }
        #expect(counts == [0: 100, 1: 100, 2: 100])
    }
}

@testable import Proxy
import Testing

@Suite struct IdlePolicyTests {
    private static let second: UInt64 = 1_000_000_000
    private static let policy = IdlePolicy(connect: 2 * second, clientIdle: 10 * second, serverIdle: 20 * second,
                                           clientFin: 5 * second)

    @Test(arguments: [
        // (activity, clientSeen, serverSeen, now, expected)
        (IdlePolicy.Activity.refused, 0, 0, 2 * second, nil),
        (.refused, 0, 0, 2 * second + 1, .refusedLingered),
        (.connecting(since: second), 0, 0, 3 * second, nil),
        (.connecting(since: second), 0, 0, 3 * second + 1, .connectTimeout),
        (.open(halfClosed: false), 0, 0, 10 * second, nil),
        (.open(halfClosed: false), 0, 15 * second, 10 * second + 1, .clientIdle),
        (.open(halfClosed: false), 15 * second, 0, 20 * second + 1, .serverIdle),
        (.open(halfClosed: false), 15 * second, 3 * second, 20 * second + 1, nil),
        (.open(halfClosed: true), 0, 3 * second, 8 * second, nil),
        (.open(halfClosed: true), 0, 3 * second, 8 * second + 1, .clientFin),
        (.open(halfClosed: true), 4 * second, 3 * second, 8 * second + 1, nil),
        // The client's idle timeout is checked first, as it was before the rules moved here.
        (.open(halfClosed: true), 0, 0, 30 * second, .clientIdle),
    ] as [(IdlePolicy.Activity, UInt64, UInt64, UInt64, IdlePolicy.Expiry?)])
    func expiry(activity: IdlePolicy.Activity, clientSeen: UInt64, serverSeen: UInt64, now: UInt64, expected: IdlePolicy.Expiry?) {
        #expect(Self.policy.expiry(activity, clientSeen: clientSeen, serverSeen: serverSeen, now: now) == expected)
    }

    @Test(arguments: [
        IdlePolicy.Activity.connecting(since: 0), .open(halfClosed: false), .open(halfClosed: true),
    ])
    func zeroMeansNoTimeout(activity: IdlePolicy.Activity) {
        #expect(IdlePolicy().expiry(activity, clientSeen: 0, serverSeen: 0, now: UInt64.max / 2) == nil)
    }

    @Test func aRefusedClientLingersEvenWithoutTimeouts() {
        #expect(IdlePolicy().expiry(.refused, clientSeen: 0, serverSeen: 0, now: 3 * Self.second) == .refusedLingered)
    }
}

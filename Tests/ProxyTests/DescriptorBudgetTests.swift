import Testing

@testable import Proxy

@Suite struct DescriptorBudgetTests {
    /// (soft limit, threads, listen addresses, servers, configured maxconn) → enforced maxconn.
    @Test(arguments: [
        (65536, 2, 1, 6, 10000, 10000),  // systemd unit's LimitNOFILE: room to spare
        (20000, 2, 1, 6, 10000, 9964),   // this container's hard limit: just short of 10,000
        (1024, 1, 1, 1, 10000, 481),     // a shell's default ulimit -n
        (256, 2, 1, 1, 10000, 94),       // the descriptor-exhaustion test
        (256, 2, 1, 1, 20, 20),          // a small maxconn fits
        (100, 8, 2, 6, 10000, 1),        // absurdly low: one session, never zero
    ])
    func maxconnIsCappedToWhatTheLimitHolds(limit: Int, threads: Int, listen: Int, servers: Int,
                                            configured: Int, enforced: Int) {
        let budget = DescriptorBudget(limit: limit, threads: threads, listenAddresses: listen, servers: servers)
        #expect(budget.maxconn(configured: configured) == enforced)
        if enforced > 1 { #expect(budget.needed(forMaxconn: enforced) <= limit) }
        #expect(budget.needed(forMaxconn: enforced + 1) > limit || enforced == configured)
    }
}

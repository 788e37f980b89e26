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

extension DescriptorBudgetTests {
    /// Cluster mode: one descriptor per session, the loops' links to the servers reserved.
    /// (soft limit, threads, servers, links per server per loop, configured) → enforced.
    @Test(arguments: [
        (20000, 2, 6, 2, 10000, 10000),  // 10,000 clients need only 10,000 descriptors plus links
        (1024, 1, 6, 2, 10000, 945),     // 1024 − (32 + 24 + 6 + 1 × (4 + 1 + 12))
        (256, 2, 6, 8, 10000, 88),        // 256 − (32 + 24 + 6 + 2 × (4 + 1 + 48))
    ])
    func clusterSessionsNeedOneDescriptor(limit: Int, threads: Int, servers: Int, links: Int, configured: Int, enforced: Int) {
        let budget = DescriptorBudget(limit: limit, threads: threads, listenAddresses: 1, servers: servers, clusterLinks: links)
        #expect(budget.perSession == 1)
        #expect(budget.maxconn(configured: configured) == enforced)
        #expect(budget.needed(forMaxconn: enforced) <= limit)
    }
}

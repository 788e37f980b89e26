import Cluster
import EventLoop

/// Requests that wait for a master (`cluster.hold`): their slot's master is DOWN or failing over,
/// the cluster answered `CLUSTERDOWN`, `TRYAGAIN` or `LOADING` (so the request did not run), or
/// their connection failed before any of their bytes were written. They are sent once the slot
/// has a live master again (a new slot map, the checks, or a retry every ``retryInterval``), and
/// answered `CLUSTERDOWN` once they have waited `hold`. A request that was written to a
/// connection that then failed is never held: it may have run.
extension ClusterEngine {
    /// A held request: its waiter (client, reply number, hash slot, arrival) and its bytes.
    struct HeldRequest {
        var waiter: BackendLink.Waiter
        var bytes: [UInt8]
    }

    /// How often held requests are tried again while the cluster answers CLUSTERDOWN.
    static let retryInterval: Duration = .milliseconds(20)

    /// Whether a request that could not be sent, or was refused without running, waits instead of
    /// failing: only clients' own requests on shared links (a transaction's or a blocking command's
    /// exclusive link cannot be swapped for another), and only with `cluster.hold` > 0.
    func mayHold(_ waiter: BackendLink.Waiter, on link: BackendLink) -> Bool {
        settings.hold > 0 && (waiter.kind == .client || waiter.kind == .part) && !link.exclusive
    }

    /// Holds a request (rare path: it copies the bytes); `link` is where it would have gone, for
    /// the counters. The caller has checked ``mayHold(_:on:)``.
    func hold(_ waiter: BackendLink.Waiter, _ bytes: UnsafeRawBufferPointer, at link: BackendLink) {
        guard let client = clients[Int(waiter.client)], client.generation == waiter.generation else { return dropped(waiter) }
        var waiter = waiter
        waiter.hops = 0
        link.counters.held &+= 1
        client.held += 1
        held.append(HeldRequest(waiter: waiter, bytes: Array(bytes)))
        scheduleRetry()
    }

    /// Sends the held requests whose slot has a live master now, in the order they were held (a
    /// client's requests keep their order: one still waiting keeps its later ones waiting), and
    /// answers those that have waited `hold`.
    func releaseHeld() {
        guard !held.isEmpty else { return }
        let requests = held
        held.removeAll(keepingCapacity: true)
        var waitingClients = Set<Int32>()
        let now = context.loop.now
        for request in requests {
            let waiter = request.waiter
            guard let client = clients[Int(waiter.client)], client.generation == waiter.generation else {
                dropped(waiter)
                continue
            }
            client.held -= 1
            if now &- waiter.queuedAt >= settings.hold {
                if let index = target(of: waiter) { links[Int(index)].counters.errors &+= 1 }
                deliver(waiter, error: Self.clusterIsDown)
                continue
            }
            let index = waitingClients.contains(waiter.client) ? nil : target(of: waiter)
            guard let index, case let link = link(index, for: client), !link.failed else {
                waitingClients.insert(waiter.client)
                client.held += 1
                held.append(request)
                continue
            }
            link.counters.commands &+= 1
            request.bytes.withUnsafeBytes { enqueue($0, for: waiter, on: link) }
            if client.held > 0 { waitingClients.insert(waiter.client) }  // held again: its connect failed
        }
        scheduleRetry()
    }

    /// A held request whose client has gone is not sent; a part still counts for its gather.
    private func dropped(_ waiter: BackendLink.Waiter) {
        if waiter.kind == .part { deliver(waiter, error: Self.clusterIsDown) }
    }

    private func scheduleRetry() {
        guard !held.isEmpty && !retryScheduled else { return }
        retryScheduled = true
        context.loop.schedule(after: Self.retryInterval) { [unowned self] in
            retryScheduled = false
            releaseHeld()
            flushPending()
        }
    }

    /// The RESP2 link of the master a held request would go to now.
    private func target(of waiter: BackendLink.Waiter) -> Int32? {
        if waiter.hashSlot >= 0 {
            let index = slotLinks[Int(waiter.hashSlot)]
            return index >= 0 ? index : nil
        }
        return anyMaster()
    }
}

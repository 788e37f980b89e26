import ServiceLifecycle

/// The 1 s timer that feeds ``StatsHistory``: a task of the stats server (one of its services),
/// never the data plane. Stops with the server's graceful shutdown.
struct StatsSampler: Service {
    let source: StatsSource
    var interval: Duration = .seconds(1)

    func run() async throws {
        source.sample(elapsed: .zero)  // the base reading: rates start one interval later
        await cancelWhenGracefulShutdown {
            let clock = ContinuousClock()
            var last = clock.now
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval, clock: clock) } catch { return }
                let now = clock.now
                source.sample(elapsed: now - last)
                last = now
            }
        }
    }
}

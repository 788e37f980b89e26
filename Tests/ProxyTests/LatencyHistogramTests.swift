@testable import Proxy
import Testing

@Suite struct LatencyHistogramTests {
    @Test(arguments: [
        (UInt64(0), 0), (999, 0), (1_000, 1), (1_999, 1), (2_000, 2), (3_999, 2), (4_000, 3),
        (1_000_000, 10), (1_048_575_999, 20), (1 << 50, LatencyHistogram.bucketCount - 1), (UInt64.max, LatencyHistogram.bucketCount - 1),
    ] as [(UInt64, Int)])
    func bucketOfALatency(nanoseconds: UInt64, bucket: Int) {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: nanoseconds)
        #expect(histogram.buckets[bucket] == 1)
        #expect(histogram.count == 1)
    }

    @Test func quantilesAreBucketUpperBounds() {
        var histogram = LatencyHistogram()
        #expect(histogram.quantileMicroseconds(0.5) == nil)
        for _ in 0..<98 { histogram.record(nanoseconds: 50_000) }  // 50 µs: bucket 6, below 64 µs
        histogram.record(nanoseconds: 3_000_000)  // 3 ms: bucket 12, below 4096 µs
        histogram.record(nanoseconds: 3_000_000)
        #expect(histogram.quantileMicroseconds(0.5) == 64)
        #expect(histogram.quantileMicroseconds(0.98) == 64)
        #expect(histogram.quantileMicroseconds(0.99) == 4096)
        #expect(histogram.quantileMicroseconds(1.0) == 4096)
        #expect(histogram.quantileMicroseconds(0) == 64)
    }

    @Test func histogramsAdd() {
        var first = LatencyHistogram(), second = LatencyHistogram()
        first.record(nanoseconds: 10_000)
        second.record(nanoseconds: 10_000)
        second.record(nanoseconds: 0)
        first.add(second)
        #expect(first.count == 3)
        #expect(first.buckets[4] == 2 && first.buckets[0] == 1)
    }
}

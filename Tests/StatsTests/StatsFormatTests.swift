import Testing

@testable import Stats

/// How numbers read on the page.
@Suite struct StatsFormatTests {
    @Test(arguments: [(Int64(0), "0s"), (59, "59s"), (60, "1m00s"), (252, "4m12s"), (3600, "1h00m"), (11107, "3h05m"),
                      (86_400, "1d0h"), (187_200, "2d4h"), (-5, "0s")])
    func durations(seconds: Int64, text: String) {
        #expect(StatsFormat.duration(.seconds(seconds)) == text)
    }

    @Test(arguments: [(Int64(0), "0.0 ms"), (250, "0.3 ms"), (1500, "1.5 ms"), (9940, "9.9 ms"), (12_400, "12 ms"),
                      (1_234_567, "1235 ms")])
    func milliseconds(microseconds: Int64, text: String) {
        #expect(StatsFormat.milliseconds(.microseconds(microseconds)) == text)
    }

    @Test(arguments: [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"),
                      (10 * 1024 * 1024, "10.0 MiB"), (150 * 1024 * 1024, "150 MiB"), (1 << 40, "1.0 TiB")] as [(UInt64, String)])
    func bytes(value: UInt64, text: String) {
        #expect(StatsFormat.bytes(value) == text)
    }

    @Test(arguments: [(Int(0), "0"), (999, "999"), (1000, "1\u{2009}000"), (1_234_567, "1\u{2009}234\u{2009}567"),
                      (-1234, "-1\u{2009}234")])
    func counts(value: Int, text: String) {
        #expect(StatsFormat.count(value) == text)
    }

    @Test(arguments: [(Double(1.25), Int(1), "1.3"), (0.0, 2, "0.00"), (-0.04, 1, "0.0"), (-1.5, 0, "-2"), (12.346, 2, "12.35")])
    func fixed(value: Double, decimals: Int, text: String) {
        #expect(StatsFormat.fixed(value, decimals: decimals) == text)
    }
}

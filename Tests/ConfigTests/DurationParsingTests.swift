import Testing

@testable import Config

struct DurationParsingTests {
    @Test(arguments: [
        ("0", Duration.zero),
        ("0s", .zero),
        ("0ms", .zero),
        ("1", .milliseconds(1)),  // bare integers are milliseconds, as in HAProxy
        ("2000", .seconds(2)),
        ("100us", .microseconds(100)),
        ("500ms", .milliseconds(500)),
        ("2s", .seconds(2)),
        ("1.5s", .milliseconds(1500)),
        ("0.5ms", .microseconds(500)),
        ("40.95s", .milliseconds(40_950)),
        ("1m", .seconds(60)),
        ("1.5m", .seconds(90)),
        ("1h", .seconds(3600)),
        ("1d", .seconds(86_400)),
        ("0.000000001s", .nanoseconds(1)),
        ("1.123456789d", .nanoseconds(97_066_666_569_600)),
        ("007s", .seconds(7)),
    ])
    func validDurations(text: String, expected: Duration) {
        #expect(DurationSyntax.parse(text) == expected)
    }

    @Test(arguments: [
        "", "s", "ms", "-1s", "-1", "+1s", "1.5", "1.s", ".5s", "1 s", " 1s", "1s ", "1S", "1sec", "1ms2",
        "1e3ms", "0x10", "1,5s", "one", "1.0000000001s",  // finer than a nanosecond
        "0.0000000001us", "99999999999999999999", "9223372036854775807s", "9223372036854775807",
        "1µs", "∞",
    ])
    func invalidDurations(text: String) {
        #expect(DurationSyntax.parse(text) == nil)
    }

    @Test(arguments: [
        (Duration.zero, "0s"),
        (.seconds(1), "1s"),
        (.milliseconds(1500), "1500ms"),
        (.milliseconds(40_950), "40950ms"),
        (.seconds(120), "2m"),
        (.seconds(7200), "2h"),
        (.seconds(86_400), "1d"),
        (.microseconds(100), "100us"),
        (.nanoseconds(3), "3ns"),
    ])
    func formatting(duration: Duration, expected: String) {
        #expect(DurationSyntax.format(duration) == expected)
        #expect(DurationSyntax.parse(expected) == duration || expected.hasSuffix("ns"))
    }
}

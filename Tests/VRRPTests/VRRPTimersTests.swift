import Testing

@testable import VRRP

@Suite struct VRRPTimersTests {
    /// (version, priority, Master_Adver_Interval, Skew_Time, Master_Down_Interval), nanoseconds.
    @Test(arguments: [
        // The DESIGN's reference: priority 100 at 1 s.
        (VRRPPacket.Version.v2, UInt8(100), UInt64(1_000_000_000), UInt64(609_375_000), UInt64(3_609_375_000)),
        (.v3, 100, 1_000_000_000, 609_375_000, 3_609_375_000),
        // v3 at 0.1 s: everything scales with the interval.
        (.v3, 100, 100_000_000, 60_937_500, 360_937_500),
        (.v3, 150, 1_000_000_000, 414_062_500, 3_414_062_500),
        (.v3, 254, 10_000_000, 78_125, 30_078_125),
        (.v3, 1, 1_000_000_000, 996_093_750, 3_996_093_750),
        (.v3, 255, 1_000_000_000, 3_906_250, 3_003_906_250),
        // v2: Skew_Time is (256 − Priority)/256 seconds whatever the interval.
        (.v2, 100, 3_000_000_000, 609_375_000, 9_609_375_000),
        (.v2, 200, 1_000_000_000, 218_750_000, 3_218_750_000),
        (.v2, 1, 1_000_000_000, 996_093_750, 3_996_093_750),
    ])
    func skewAndMasterDownInterval(version: VRRPPacket.Version, priority: UInt8, interval: UInt64, skew: UInt64, down: UInt64) {
        #expect(VRRPTimers.skewTime(version: version, priority: priority, masterAdverInterval: interval) == skew)
        #expect(VRRPTimers.masterDownInterval(version: version, priority: priority, masterAdverInterval: interval) == down)
    }

    @Test func higherPriorityAlwaysHasTheShorterSkew() {
        for version in VRRPPacket.Version.allCases {
            let skews = (1...255).map {
                VRRPTimers.skewTime(version: version, priority: UInt8($0), masterAdverInterval: 1_000_000_000)
            }
            #expect(zip(skews, skews.dropFirst()).allSatisfy { $0 > $1 })
        }
    }

    @Test(arguments: [
        (UInt64(3_609_375_000), "3.61s"),
        (609_375_000, "0.61s"),
        (0, "0.00s"),
        (1_000_000_000, "1.00s"),
        (100_000_000, "0.10s"),
        (4_994_999_999, "4.99s"),
        (4_995_000_000, "5.00s"),
        (40_950_000_000, "40.95s"),
    ])
    func describesDurations(nanoseconds: UInt64, text: String) {
        #expect(VRRPTimers.describe(nanoseconds) == text)
    }

    @Test func saturatesInsteadOfTrapping() {
        #expect(VRRPTimers.adding(.max - 1, 5) == .max)
        #expect(VRRPTimers.masterDownInterval(version: .v3, priority: 1, masterAdverInterval: .max / 2) == .max)
    }
}

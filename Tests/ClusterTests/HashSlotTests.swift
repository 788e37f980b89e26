import Cluster
import Testing

@Suite struct HashSlotTests {
    /// Expected slots from `CLUSTER KEYSLOT` on redis-server 7.0 (and the spec's own CRC16 check value).
    @Test(arguments: [
        ("123456789", 0x31C3 & 0x3FFF),  // the XMODEM check value 0x31C3
        ("foo", 12182), ("bar", 5061), ("hello", 866), ("", 0),
        ("{user1000}.following", 3443), ("{user1000}.followers", 3443), ("user1000", 3443),
        ("foo{}{bar}", 8363),  // `{}` has nothing inside: the whole key is hashed
        ("foo{{bar}}zap", 4015),  // the tag is `{bar`
        ("foo{bar}{zap}", 5061),  // only the first tag counts: `bar`
        ("{bar", 4303),  // no closing brace: the whole key
    ])
    func slotMatchesRedis(key: String, slot: Int) {
        #expect(HashSlot.of(Array(key.utf8)) == UInt16(slot))
    }

    @Test func crc16CheckValue() {
        let crc = Array("123456789".utf8).withUnsafeBytes { HashSlot.crc16($0) }
        #expect(crc == 0x31C3)
    }
}

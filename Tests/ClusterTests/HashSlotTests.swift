import Cluster
import Testing

@Suite struct HashSlotTests {
    /// Every expected slot is what `CLUSTER KEYSLOT` answered on redis-server 7.0.15 (keys sent as
    /// binary-safe bulk strings): the lead's list (where `{bar` had been written down as 4303; Redis
    /// says 4015, the slot of `{bar` hashed whole, the same as the tag of `foo{{bar}}zap`), binary
    /// keys, empty tags and stray braces, nested braces, long keys and UTF-8. See
    /// ``CapturedKey/all``.
    @Test(arguments: CapturedKey.all)
    func slotMatchesRedis(captured: CapturedKey) {
        #expect(HashSlot.of(captured.key) == captured.slot)
        captured.key.withUnsafeBytes { #expect(HashSlot.of($0) == captured.slot) }
    }

    @Test func crc16CheckValue() {
        let crc = Array("123456789".utf8).withUnsafeBytes { HashSlot.crc16($0) }
        #expect(crc == 0x31C3)
    }

    /// Keys that share a tag share a slot whatever surrounds the tag (the point of hash tags).
    @Test(arguments: ["user1000", "42", "{", "é", "a b"])
    func sameTagSameSlot(tag: String) {
        let slots = ["{\(tag)}", "x{\(tag)}", "{\(tag)}y", "prefix:{\(tag)}:suffix{other}"].map {
            HashSlot.of(Array($0.utf8))
        }
        #expect(Set(slots).count == 1)
        #expect(slots[0] == HashSlot.of(Array(tag.utf8)))
    }
}

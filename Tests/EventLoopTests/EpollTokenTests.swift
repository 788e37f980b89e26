import EventLoop
import Testing

@Suite struct EpollTokenTests {
    @Test(arguments: [
        (0, 0, 0), (15, 0, 0), (3, Int32.max, EpollToken.generationMask),
        (7, -1, 12345), (1, 42, 1 << 19), (15, Int32.min, EpollToken.generationMask),
    ] as [(UInt8, Int32, UInt32)])
    func roundTrips(kind: UInt8, slot: Int32, generation: UInt32) {
        let token = EpollToken(kind: kind, slot: slot, generation: generation)
        #expect(EpollToken(data: token.data) == token)
        #expect(token.data >> 56 == 0, "the loop keeps the top byte for the handler")
    }

    @Test func generationsWrapWithinTheirBits() {
        #expect(EpollToken.next(EpollToken.generationMask) == 0)
        #expect(EpollToken.next(5) == 6)
        #expect(EpollToken(kind: 0, slot: 0, generation: EpollToken.generationMask + 1).generation == 0)
    }

    @Test func fieldsDoNotOverlap() {
        let token = EpollToken(kind: 0xF, slot: -1, generation: EpollToken.generationMask)
        #expect(token.data == 0x00FF_FFFF_FFFF_FFFF)
    }
}

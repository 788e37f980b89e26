/// The 56 bits a registration carries back with each event (``EpollLoop/register(fd:events:handler:data:)``):
/// what kind of descriptor it is, which slot of its owner's table, and that slot's generation, so
/// an event for a descriptor whose slot has since been freed and reused is recognised as stale.
///
/// Layout: kind in bits 52-55 (16 kinds), generation in bits 32-51, slot in bits 0-31.
/// As swift-nio's `EPollUserData` does, the packing lives in one place.
public struct EpollToken: Equatable, Sendable {
    /// Generations wrap within 20 bits; a stale event needs 2^20 reuses of one slot within one
    /// epoll batch to be mistaken for a live one.
    public static let generationMask: UInt32 = (1 << 20) - 1
    public static let kindLimit: UInt8 = 16

    public var kind: UInt8
    public var slot: Int32
    public var generation: UInt32

    @inline(__always)
    public init(kind: UInt8, slot: Int32, generation: UInt32 = 0) {
        precondition(kind < Self.kindLimit, "epoll token kinds are 4 bits")
        self.kind = kind
        self.slot = slot
        self.generation = generation & Self.generationMask
    }

    @inline(__always)
    public init(data: UInt64) {
        kind = UInt8(truncatingIfNeeded: data >> 52 & 0xF)
        generation = UInt32(truncatingIfNeeded: data >> 32) & Self.generationMask
        slot = Int32(bitPattern: UInt32(truncatingIfNeeded: data))
    }

    @inline(__always)
    public var data: UInt64 {
        UInt64(kind) << 52 | UInt64(generation) << 32 | UInt64(UInt32(bitPattern: slot))
    }

    /// The generation that follows `generation` when a slot is freed.
    @inline(__always)
    public static func next(_ generation: UInt32) -> UInt32 { (generation &+ 1) & generationMask }
}

/// The replies of the parts of one client command, collected as they arrive (in any order) until
/// ``ReplyMerger`` turns them into the client's reply.
///
/// Each reply is one complete RESP value, as ``RESP/ReplyScanner`` delimits it on a link, after
/// Ferry has followed any `MOVED`/`ASK`/`TRYAGAIN` for that part: the final answer of its master.
/// The bytes are copied into one buffer, which keeps its storage across ``reset(parts:)``.
public struct PartReplies: Sendable {
    private var bytes: [UInt8] = []
    /// Per part: where its reply starts in `bytes`, -1 until it arrives.
    private var starts: [Int] = []
    private var lengths: [Int] = []
    /// Parts whose reply has arrived.
    public private(set) var receivedCount = 0

    /// Room for `parts` parts.
    public init(parts: Int = 0) {
        reset(parts: parts)
    }

    /// Forgets every reply and expects `parts` new ones.
    public mutating func reset(parts: Int) {
        precondition(parts >= 0, "a negative part count")
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        starts.append(contentsOf: repeatElement(-1, count: parts))
        lengths.append(contentsOf: repeatElement(0, count: parts))
        receivedCount = 0
    }

    /// Parts expected.
    public var count: Int { starts.count }
    /// True once every part has its reply.
    public var isComplete: Bool { receivedCount == starts.count }

    /// True when part `part`'s reply has arrived.
    public func hasReply(_ part: Int) -> Bool { starts[part] >= 0 }

    /// Stores `reply` as part `part`'s; each part is stored once.
    public mutating func store(_ reply: UnsafeRawBufferPointer, forPart part: Int) {
        precondition(starts[part] < 0, "part \(part) already has its reply")
        starts[part] = bytes.count
        lengths[part] = reply.count
        bytes.append(contentsOf: reply)
        receivedCount += 1
    }

    /// The same for a reply given as an array (tests and Ferry's own replies).
    public mutating func store(_ reply: [UInt8], forPart part: Int) {
        reply.withUnsafeBytes { store($0, forPart: part) }
    }

    /// Where part `part`'s reply lies in the buffer of ``withBytes(_:)``.
    func range(_ part: Int) -> Range<Int> { starts[part]..<starts[part] + lengths[part] }

    /// Calls `body` with the buffer holding every reply; every part must have its reply.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        precondition(isComplete, "\(starts.count - receivedCount) part(s) have not answered")
        return try bytes.withUnsafeBytes(body)
    }

    /// Part `part`'s reply (tests and logs: it allocates).
    public func reply(_ part: Int) -> [UInt8]? {
        starts[part] < 0 ? nil : Array(bytes[starts[part]..<starts[part] + lengths[part]])
    }
}

/// The arguments of one parsed request, as spans of the buffer the request was parsed from: no
/// copy, no allocation once the span arrays have grown to the longest command seen.
///
/// The spans are only valid while that buffer is: a data-plane session routes and re-encodes the
/// command before it consumes the bytes. One value is reused for every command of a loop.
public struct CommandArguments {
    /// Where the spans point into; set by the parser for each command.
    public private(set) var base: UnsafeRawBufferPointer
    private var offsets: [Int] = []
    private var lengths: [Int] = []

    /// `capacity`: arguments to make room for now (0 allocates nothing: a placeholder).
    public init(capacity: Int = 16) {
        base = UnsafeRawBufferPointer(start: nil, count: 0)
        offsets.reserveCapacity(capacity)
        lengths.reserveCapacity(capacity)
    }

    /// Number of arguments, the command name included.
    @inline(__always) public var count: Int { offsets.count }

    /// Argument `index` (0 is the command name).
    @inline(__always) public subscript(index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[offsets[index]..<offsets[index] + lengths[index]])
    }

    /// Forgets the previous command's spans, keeping their storage, and points at `base`.
    public mutating func reset(base: UnsafeRawBufferPointer) {
        self.base = base
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }

    /// Adds the span `base[offset..<offset + length]` as the next argument.
    @inline(__always) public mutating func append(offset: Int, length: Int) {
        offsets.append(offset)
        lengths.append(length)
    }

    /// True when argument `index` equals `lowercase` (ASCII letters compared case-insensitively);
    /// `lowercase` must be written in lower case, as command names are in `COMMAND`'s reply.
    public func matches(_ index: Int, _ lowercase: StaticString) -> Bool {
        let argument = self[index]
        guard argument.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for position in 0..<argument.count where ASCII.lowercased(argument[position]) != expected[position] {
            return false
        }
        return true
    }

    /// Argument `index` as bytes (tests, logs and rare paths only: it allocates).
    public func bytes(_ index: Int) -> [UInt8] { Array(self[index]) }

    /// Calls `body` with the arguments `strings` laid out in one buffer: for tests and for
    /// commands Ferry builds itself.
    public static func with<Result>(_ arguments: [[UInt8]], _ body: (CommandArguments) throws -> Result) rethrows -> Result {
        let joined = arguments.flatMap { $0 }
        return try joined.withUnsafeBytes { buffer in
            var spans = CommandArguments()
            spans.reset(base: buffer)
            var offset = 0
            for argument in arguments {
                spans.append(offset: offset, length: argument.count)
                offset += argument.count
            }
            return try body(spans)
        }
    }

    /// The same with text arguments.
    public static func with<Result>(_ arguments: [String], _ body: (CommandArguments) throws -> Result) rethrows -> Result {
        try with(arguments.map { Array($0.utf8) }, body)
    }
}

/// ASCII helpers for command names and keywords, which Redis matches case-insensitively.
public enum ASCII {
    @inline(__always) public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}

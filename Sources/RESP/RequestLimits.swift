/// The bounds a ``RequestParser`` enforces on client requests, with the error Redis gives for each.
public struct RequestLimits: Sendable, Equatable {
    /// Longest bulk argument (`proto-max-bulk-len`); a longer `$len` is
    /// `ERR Protocol error: invalid bulk length`.
    public var maxBulkLength: Int
    /// Most arguments in one multibulk request; a larger `*count` is
    /// `ERR Protocol error: invalid multibulk length`.
    public var maxArguments: Int
    /// Longest inline line, multibulk count line or bulk length line (`PROTO_INLINE_MAX_SIZE`):
    /// more bytes without their terminator is a `too big … ` protocol error.
    public var maxInlineLength: Int

    /// Custom bounds (tests, or a stricter deployment); see ``redis`` for the defaults.
    public init(maxBulkLength: Int, maxArguments: Int, maxInlineLength: Int) {
        precondition(maxBulkLength >= 0 && maxArguments >= 0 && maxInlineLength >= 0, "limits cannot be negative")
        self.maxBulkLength = maxBulkLength
        self.maxArguments = maxArguments
        self.maxInlineLength = maxInlineLength
    }

    /// Redis's defaults: 512 MiB bulks, 64 KiB lines, and 1 048 576 arguments.
    ///
    /// Redis 7.0 itself accepts up to `INT_MAX` arguments (6.2 and earlier stopped at 1024 * 1024);
    /// Ferry keeps the older bound because a proxy holds every span of a request at once.
    public static let redis = RequestLimits(maxBulkLength: 512 << 20, maxArguments: 1 << 20, maxInlineLength: 64 << 10)
}

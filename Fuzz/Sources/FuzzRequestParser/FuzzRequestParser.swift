import RESP
import FuzzSupport

/// RequestParser (cluster mode's client side) on arbitrary client byte streams.
///
/// Input: one control byte, a 2-byte big-endian split point, then the bytes a client sends. Bit 0
/// of the control byte selects tight limits (so the "too big" and "invalid length" errors are
/// reached within a few hundred bytes) instead of Redis's.
///
/// Beyond "no crash", it checks:
/// - the stream given whole and the stream cut at the chosen point (each piece appended to a
///   buffer in new storage, so only offsets may carry over between calls) give the same steps:
///   the same commands with the same arguments, inline and canonical flags and lengths, the same
///   skips, the same error text, and the same bytes left waiting; short streams are also fed one
///   byte at a time;
/// - a step never consumes nothing nor more than the buffer holds, an error is one of Redis's
///   protocol errors, and `lastWasInline` is true exactly when the request does not start with `*`;
/// - a canonical command's bytes are exactly `RESPWriter.appendCommand` of its arguments, and
///   every command (inline or not) re-encodes to bytes that a fresh parser reads back as the same
///   arguments, canonical, whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let limits = data[0] & 0x01 != 0 ? tightLimits : RequestLimits.redis
    let bytes = Array(UnsafeBufferPointer(start: data + 3, count: size - 3))
    let split = (Int(data[1]) << 8 | Int(data[2])) % (bytes.count + 1)
    let whole = feed(bytes, chunks: [bytes.count], limits: limits)
    let pieces = feed(bytes, chunks: [split, bytes.count - split], limits: limits)
    require(whole == pieces, "split at \(split): \(pieces) != whole \(whole)")
    if bytes.count <= 64 {
        let single = feed(bytes, chunks: Array(repeating: 1, count: bytes.count), limits: limits)
        require(whole == single, "byte by byte: \(single) != whole \(whole)")
    }
    return 0
}

/// Small enough that every limit is reachable in a fuzzer-sized input.
let tightLimits = RequestLimits(maxBulkLength: 64, maxArguments: 8, maxInlineLength: 32)

/// The errors Redis 7.0 gives for a malformed request (`networking.c`).
let knownErrors: Set<String> = [
    "ERR Protocol error: too big inline request", "ERR Protocol error: too big mbulk count string",
    "ERR Protocol error: too big bulk count string", "ERR Protocol error: invalid multibulk length",
    "ERR Protocol error: invalid bulk length", "ERR Protocol error: unbalanced quotes in request",
]

/// One step as a session sees it, the arguments copied out of the buffer.
enum Step: Equatable, CustomStringConvertible {
    case command([[UInt8]], consumed: Int, inline: Bool, canonical: Bool)
    case skipped(consumed: Int)
    case error(String)

    var description: String {
        switch self {
        case .command(let arguments, let consumed, let inline, let canonical):
            return "command(\(arguments.map { quoted($0, limit: 48) }), \(consumed)\(inline ? ", inline" : "")\(canonical ? ", canonical" : ""))"
        case .skipped(let consumed): return "skipped(\(consumed))"
        case .error(let text): return "error(\(text))"
        }
    }
}

/// What one connection produced: its steps, then how many bytes wait for more.
struct Outcome: Equatable, CustomStringConvertible {
    var steps: [Step] = []
    var pending = 0
    var description: String { "\(steps.count) steps \(steps.prefix(4))…, \(pending) pending" }
}

/// Feeds `bytes` in chunks of the given lengths to one parser, as a client session does: keeps a
/// buffer (moved to new storage on every append), runs every complete request off its front,
/// stops at an error (the session replies and closes).
func feed(_ bytes: [UInt8], chunks: [Int], limits: RequestLimits) -> Outcome {
    var parser = RequestParser(limits: limits)
    var arguments = CommandArguments()
    var outcome = Outcome()
    var buffer: [UInt8] = []
    var offset = 0
    for length in chunks {
        buffer = Array(buffer) + bytes[offset..<(offset + length)]
        offset += length
        while true {
            let starts = buffer.first
            let available = buffer.count
            let step: Step? = buffer.withUnsafeMutableBytes { raw in
                switch parser.parse(raw, into: &arguments) {
                case .needMore:
                    if let needed = parser.bytesNeeded { require(needed > raw.count, "needMore with \(needed) of \(raw.count) bytes") }
                    return nil
                case .command(let consumed):
                    require(consumed > 0 && consumed <= raw.count, "command consumed \(consumed) of \(raw.count)")
                    require(arguments.count > 0, "command without arguments")
                    let copied = (0..<arguments.count).map { arguments.bytes($0) }
                    for index in 0..<arguments.count {
                        let span = arguments[index]
                        if span.count > 0 {
                            require(span.baseAddress! >= raw.baseAddress! && span.baseAddress! + span.count <= raw.baseAddress! + consumed,
                                    "argument \(index) outside the request's bytes")
                        }
                    }
                    if parser.lastIsCanonical {
                        var encoded: [UInt8] = []
                        RESPWriter.appendCommand(arguments, into: &encoded)
                        require(encoded.elementsEqual(raw[0..<consumed]),
                                "canonical command \(copied.map { quoted($0, limit: 48) }) re-encodes to \(quoted(encoded, limit: 48)), not its \(consumed) bytes")
                    }
                    return .command(copied, consumed: consumed, inline: parser.lastWasInline, canonical: parser.lastIsCanonical)
                case .skipped(let consumed):
                    require(consumed > 0 && consumed <= raw.count, "skip consumed \(consumed) of \(raw.count)")
                    return .skipped(consumed: consumed)
                case .error(let text):
                    require(knownErrors.contains(text) || text.hasPrefix("ERR Protocol error: expected '$', got '"),
                            "unexpected error text \(text)")
                    return .error(text)
                }
            }
            guard let step else { break }
            outcome.steps.append(step)
            switch step {
            case .command(let arguments, let consumed, let inline, let canonical):
                require(inline == (starts != UInt8(ascii: "*")), "inline \(inline) for a request starting with \(String(describing: starts))")
                require(!(inline && canonical), "an inline command cannot be canonical")
                checkReencoding(arguments, limits: limits)
                buffer.removeFirst(consumed)
            case .skipped(let consumed):
                buffer.removeFirst(consumed)
            case .error:
                outcome.pending = 0
                return outcome
            }
            require(buffer.count < available, "a step consumed nothing")
        }
    }
    outcome.pending = buffer.count
    return outcome
}

/// The canonical encoding of `arguments` parses back, in a fresh parser, to the same arguments,
/// canonical and whole (when the limits allow it: an inline argument may exceed a tight bulk limit).
func checkReencoding(_ arguments: [[UInt8]], limits: RequestLimits) {
    guard arguments.count <= limits.maxArguments, arguments.allSatisfy({ $0.count <= limits.maxBulkLength }) else { return }
    var encoded: [UInt8] = []
    CommandArguments.with(arguments) { RESPWriter.appendCommand($0, into: &encoded) }
    require(encoded == RESPCommand.encode(arguments), "RESPWriter and RESPCommand disagree on \(arguments.map { quoted($0, limit: 48) })")
    // Length lines of at most 20 digits always fit a line limit of 32 bytes.
    var parser = RequestParser(limits: limits)
    var again = CommandArguments()
    let count = encoded.count
    let (step, copied) = encoded.withUnsafeMutableBytes { raw in
        let step = parser.parse(raw, into: &again)
        return (step, step == .command(consumed: count) ? (0..<again.count).map { again.bytes($0) } : [])
    }
    require(step == .command(consumed: count), "re-encoded \(arguments.map { quoted($0, limit: 48) }) parses as \(step)")
    require(parser.lastIsCanonical && !parser.lastWasInline, "re-encoded \(arguments.map { quoted($0, limit: 48) }) is not canonical multibulk")
    require(copied == arguments, "re-encoded \(arguments.map { quoted($0, limit: 48) }) parses back as \(copied.map { quoted($0, limit: 48) })")
}

import RESP
import FuzzSupport

/// ReplyScanner (cluster mode's backend side: where each reply ends, without building values)
/// against RESPReader on arbitrary reply streams.
///
/// Input: one control byte, then the bytes a backend sends. Bit 0 of the control byte selects
/// tight limits (bulk and line length 16, depth 3) instead of the defaults, the same for both.
///
/// Beyond "no crash", it checks, reply after reply along the stream:
/// - when both complete a reply, the scanner's length is the reader's `consumed`, `isError` is
///   true exactly for an error value (`-` or `!`), `isPush` exactly for a push, and `errorText`
///   spans exactly the reader's error text;
/// - the same verdict: both complete, both need more bytes, or both reject the bytes. The one
///   allowed difference: the reader rejects an aggregate header above its element limit at once,
///   where the scanner (which has no element limit) waits for the elements;
/// - the scanner fed the stream in pieces (a pseudo-random split derived from the input, so a
///   crash reproduces; byte by byte for short inputs) finds the same replies and the same error as
///   fed whole, and `bytesNeeded` never asks for bytes it already has.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplyScanner(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let tight = data[0] & 0x01 != 0
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let scanner = tight ? ReplyScanner(maxDepth: 3, maxBulkLength: 16) : ReplyScanner(maxDepth: 128, maxBulkLength: 1 << 20)
    let reader =
        tight
        ? RESPReader(maxBulkLength: 16, maxElements: 4096, maxDepth: 3)
        : RESPReader(maxBulkLength: 1 << 20, maxElements: 4096, maxDepth: 128)
    compareWithReader(bytes, scanner, reader)
    var random = SplitMix(seed: fnv1a(bytes))
    let whole = scanAll(scanner, bytes, chunks: [bytes.count])
    let splits = randomSplit(bytes.count, &random)
    let pieces = scanAll(scanner, bytes, chunks: splits)
    require(whole == pieces, "split \(splits): \(pieces) != whole \(whole)")
    if bytes.count <= 64 {
        let single = scanAll(scanner, bytes, chunks: Array(repeating: 1, count: bytes.count))
        require(whole == single, "byte by byte: \(single) != whole \(whole)")
    }
    return 0
}

enum Verdict: CustomStringConvertible {
    case complete
    case needMore
    case rejected(RESPError)

    var description: String {
        switch self {
        case .complete: return "complete"
        case .needMore: return "needs more"
        case .rejected(let error): return "rejected (\(error))"
        }
    }
}

/// Walks `bytes` reply by reply with a fresh scanner and the reader on the same remaining bytes.
func compareWithReader(_ bytes: [UInt8], _ fresh: ReplyScanner, _ reader: RESPReader) {
    var start = 0
    while start < bytes.count {
        let rest = bytes[start...]
        var scanner = fresh
        let scanned: Result<ScannedReply?, RESPError> = rest.withUnsafeBytes { raw in
            Result { () throws(RESPError) in try scanner.scan(raw) }
        }
        let parsed: Result<(value: RESPValue, consumed: Int)?, RESPError> = Result { () throws(RESPError) in
            try reader.parse(rest)
        }
        let scannerVerdict: Verdict
        switch scanned {
        case .success(let reply?):
            scannerVerdict = .complete
            require(reply.length > 0 && reply.length <= rest.count, "scanned length \(reply.length) of \(rest.count)")
        case .success(nil): scannerVerdict = .needMore
        case .failure(let error): scannerVerdict = .rejected(error)
        }
        let readerVerdict: Verdict
        switch parsed {
        case .success(_?): readerVerdict = .complete
        case .success(nil): readerVerdict = .needMore
        case .failure(let error): readerVerdict = .rejected(error)
        }
        let at = "at offset \(start) (\(quoted(Array(rest.prefix(40)))))"
        switch (scanned, parsed) {
        case (.success(let reply?), .success(let (value, consumed)?)):
            require(reply.length == consumed, "scanner length \(reply.length) != reader consumed \(consumed) \(at)")
            if case .error(let text) = value {
                require(reply.isError, "error \(text) not flagged as an error \(at)")
                guard let range = reply.errorText else { fatalError("invariant failed: error \(text) without errorText \(at)") }
                require(range.lowerBound >= 0 && range.upperBound <= reply.length, "errorText \(range) outside the reply \(at)")
                let scannedText = rest.withUnsafeBytes {
                    String(decoding: UnsafeRawBufferPointer(rebasing: $0[range]), as: UTF8.self)
                }
                require(scannedText == text, "errorText \(scannedText) != reader's \(text) \(at)")
            } else {
                require(!reply.isError && reply.errorText == nil, "\(value) flagged as an error \(at)")
            }
            if case .push = value {
                require(reply.isPush, "push not flagged \(at)")
            } else {
                require(!reply.isPush, "\(value) flagged as a push \(at)")
            }
            start += consumed
            continue
        case (.success(nil), .success(nil)), (.failure, .failure):
            return
        case (.success(nil), .failure(.tooLarge(let message))) where isElementLimit(message):
            return  // the reader's element limit, which the scanner does not have
        default:
            fatalError("invariant failed: scanner \(scannerVerdict), reader \(readerVerdict) \(at)")
        }
    }
}

/// The reader's "array of N elements exceeds the limit" (and map entries, set and push elements).
func isElementLimit(_ message: String) -> Bool {
    message.hasSuffix("exceeds the limit of 4096") && (message.contains(" elements ") || message.contains(" entries "))
}

/// What a backend link sees: the replies' lengths and flags in order, then the error if any.
struct Outcome: Equatable, CustomStringConvertible {
    var replies: [ScannedReply] = []
    var error: RESPError?
    var description: String { "\(replies.count) replies \(replies.prefix(3).map(\.length))…, error \(String(describing: error))" }
}

/// Feeds `bytes` in chunks of the given lengths to one scanner, the buffer moved to new storage
/// at every read, as a backend link reads.
func scanAll(_ fresh: ReplyScanner, _ bytes: [UInt8], chunks: [Int]) -> Outcome {
    var scanner = fresh
    var outcome = Outcome()
    var buffer: [UInt8] = []
    var offset = 0
    for length in chunks {
        buffer = Array(buffer) + bytes[offset..<(offset + length)]
        offset += length
        while true {
            let step: Result<ScannedReply?, RESPError> = buffer.withUnsafeBytes { raw in
                Result { () throws(RESPError) in try scanner.scan(raw) }
            }
            switch step {
            case .success(let reply?):
                require(reply.length > 0 && reply.length <= buffer.count, "length \(reply.length) of \(buffer.count)")
                outcome.replies.append(reply)
                buffer.removeFirst(reply.length)
            case .success(nil):
                if let needed = scanner.bytesNeeded {
                    require(needed > buffer.count, "bytesNeeded \(needed) with \(buffer.count) bytes buffered")
                }
                break
            case .failure(let error):
                outcome.error = error
                return outcome
            }
            if case .success(nil) = step { break }
        }
    }
    return outcome
}

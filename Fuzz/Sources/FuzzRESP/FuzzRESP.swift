import Config
import Proxy
import RESP
import FuzzSupport

/// RESPReader and HealthCheckExchange on arbitrary reply streams (what a misbehaving backend or
/// something that is not Redis at all could send to a health check).
///
/// The input is the byte stream. Beyond "no crash", it checks:
/// - the stream cut into random pieces (a pseudo-random split derived from the input, so a crash
///   reproduces) yields the same values and the same error as the stream given whole; short inputs
///   are also fed one byte at a time;
/// - a value uses at least one byte and never more than it was given;
/// - every value re-encodes (a RESP3 encoder written here) to bytes that parse to the same value;
/// - the exchange's verdict does not depend on the split either, its detail is at most 80
///   printable characters, and EOF after `needMore` always fails it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var random = SplitMix(seed: fnv1a(bytes))
    let splits = randomSplit(bytes.count, &random)
    for reader in readers {
        let whole = readAll(reader, bytes, chunks: [bytes.count])
        let pieces = readAll(reader, bytes, chunks: splits)
        require(whole == pieces, "split \(splits): \(pieces) != whole \(whole)")
        if bytes.count <= 64 {
            let single = readAll(reader, bytes, chunks: Array(repeating: 1, count: bytes.count))
            require(whole == single, "byte by byte: \(single) != whole \(whole)")
        }
        for value in whole.values { checkRoundTrip(value, reader) }
    }
    for credentials in [nil, Credentials(username: nil, passwordFile: "/x", password: "p")] {
        let whole = exchange(credentials, bytes, chunks: [bytes.count])
        let pieces = exchange(credentials, bytes, chunks: splits)
        require(whole == pieces, "exchange split \(splits): \(pieces) != whole \(whole)")
    }
    return 0
}

/// The default limits (what the health checker uses) and tight ones, so the limit errors are reached.
let readers = [RESPReader(), RESPReader(maxBulkLength: 16, maxElements: 4, maxDepth: 3)]

/// What a consumer reading the stream sees: the complete values in order, then the error if any.
struct Outcome: Equatable, CustomStringConvertible {
    var values: [RESPValue] = []
    var error: RESPError?
    var description: String { "\(values.count) values \(values.prefix(3))…, error \(String(describing: error))" }

    static func == (a: Outcome, b: Outcome) -> Bool {
        a.error == b.error && a.values.count == b.values.count
            && zip(a.values, b.values).allSatisfy { RESPEncoder.encode($0) == RESPEncoder.encode($1) }
    }
}

/// Feeds `bytes` in chunks of the given lengths, as a connection would: keeps a buffer, appends
/// each chunk, takes every complete value off its front.
func readAll(_ reader: RESPReader, _ bytes: [UInt8], chunks: [Int]) -> Outcome {
    var outcome = Outcome()
    var buffer: [UInt8] = []
    var offset = 0
    for length in chunks {
        buffer += bytes[offset..<(offset + length)]
        offset += length
        while true {
            do throws(RESPError) {
                guard let (value, consumed) = try reader.parse(buffer) else { break }
                require(consumed > 0 && consumed <= buffer.count, "consumed \(consumed) of \(buffer.count)")
                outcome.values.append(value)
                buffer.removeFirst(consumed)
            } catch {
                outcome.error = error
                return outcome
            }
        }
    }
    return outcome
}

func exchange(_ credentials: Credentials?, _ bytes: [UInt8], chunks: [Int]) -> HealthCheckExchange.Progress {
    var exchange = HealthCheckExchange(credentials: credentials)
    var progress = HealthCheckExchange.Progress.needMore
    var offset = 0
    for length in chunks {
        progress = exchange.receive(Array(bytes[offset..<(offset + length)]))
        offset += length
    }
    if progress == .needMore {
        require(exchange.awaiting != nil, "needMore but awaiting nothing")
        progress = exchange.receiveEOF()
        guard case .failed = progress else { fatalError("invariant failed: EOF gave \(progress)") }
    }
    require(exchange.awaiting == nil, "ended but still awaiting \(String(describing: exchange.awaiting))")
    let detail: String
    switch progress {
    case .passed(_, let text), .failed(let text): detail = text
    case .needMore: fatalError("unreachable")
    }
    require(detail.count <= HealthCheckExchange.maxDetailLength, "detail of \(detail.count) characters")
    require(!detail.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "control character in \(detail)")
    return progress
}

func checkRoundTrip(_ value: RESPValue, _ reader: RESPReader) {
    guard let encoded = RESPEncoder.encode(value) else { return }
    // The same structure limits, but room for text that grew when invalid UTF-8 became U+FFFD.
    let roomy = RESPReader(maxBulkLength: 1 << 28, maxElements: reader.maxElements, maxDepth: reader.maxDepth)
    do throws(RESPError) {
        guard let (again, consumed) = try roomy.parse(encoded) else {
            fatalError("invariant failed: re-encoded value incomplete: \(value)")
        }
        require(consumed == encoded.count, "re-encoded value used \(consumed) of \(encoded.count) bytes")
        require(RESPEncoder.encode(again) == encoded, "round trip \(again) != \(value)")
    } catch {
        fatalError("invariant failed: re-encoded \(value) throws \(error)")
    }
}

/// RESP3 bytes for a value; `nil` for the few values that have no faithful encoding (a verbatim
/// format that is not three bytes once decoded, which the reader does not produce from valid UTF-8).
enum RESPEncoder {
    static func encode(_ value: RESPValue) -> [UInt8]? {
        var out: [UInt8] = []
        return append(value, to: &out) ? out : nil
    }

    static func append(_ value: RESPValue, to out: inout [UInt8]) -> Bool {
        func line(_ type: Character, _ text: String) {
            out.append(type.asciiValue!)
            out += Array(text.utf8) + [13, 10]
        }
        func blob(_ type: Character, _ bytes: [UInt8]) {
            line(type, String(bytes.count))
            out += bytes + [13, 10]
        }
        switch value {
        case .simpleString(let text): line("+", text)
        case .error(let text):
            // A blob error keeps text that a line cannot hold.
            if text.utf8.contains(13) || text.utf8.contains(10) { blob("!", Array(text.utf8)) } else { line("-", text) }
        case .integer(let number): line(":", String(number))
        case .bulkString(nil): line("$", "-1")
        case .bulkString(let bytes?): blob("$", bytes)
        case .array(nil): line("*", "-1")
        case .null: line("_", "")
        case .boolean(let flag): line("#", flag ? "t" : "f")
        case .double(let number): line(",", "\(number)")
        case .bigNumber(let digits): line("(", digits)
        case .verbatimString(let format, let text):
            guard format.utf8.count == 3 else { return false }
            blob("=", Array(format.utf8) + [UInt8(ascii: ":")] + text)
        case .array(let elements?): return aggregate("*", elements, &out)
        case .set(let elements): return aggregate("~", elements, &out)
        case .push(let elements): return aggregate(">", elements, &out)
        case .map(let entries): return aggregate("%", entries.flatMap { [$0.key, $0.value] }, &out, count: entries.count)
        }
        return true
    }

    static func aggregate(_ type: Character, _ elements: [RESPValue], _ out: inout [UInt8], count: Int? = nil) -> Bool {
        out.append(type.asciiValue!)
        out += Array(String(count ?? elements.count).utf8) + [13, 10]
        return elements.allSatisfy { append($0, to: &out) }
    }
}

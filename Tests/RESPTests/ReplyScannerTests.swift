import Testing

@testable import RESP

/// The reply scanner against ``RESPReader``: for every reply the scanned length is the reader's
/// `consumed`, whatever the split, and the error/push flags match the reader's value.
@Suite struct ReplyScannerTests {
    /// Replies captured from redis-server 7.0.15 (RESP2, then after `HELLO 3`; `DEBUG PROTOCOL …`
    /// for the RESP3 types, `CLIENT TRACKING` for an invalidation push). Some hold two replies.
    static let captured: [String] = [
        "+PONG\r\n", "$1\r\nv\r\n", "$-1\r\n", ":1\r\n", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$0\r\n\r\n",
        "*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", "*1\r\n$2\r\nm1\r\n",
        "*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$3\r\ninf\r\n", "$3\r\n1.5\r\n", "$5\r\na\r\nb\0\r\n",
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
        "-ERR wrong number of arguments for 'get' command\r\n", "*-1\r\n", "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
        "-ERR EXEC without MULTI\r\n", "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
        "$39\r\nSome real reply following the attribute\r\n", "$37\r\n1234567999999999999999999999999999999\r\n",
        "$25\r\nThis is a verbatim\nstring\r\n", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
        "-ERR RESP2 is not supported by this command\r\n",
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
        // RESP3
        "_\r\n", "%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", "~1\r\n$2\r\nm1\r\n",
        "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,inf\r\n", ",1.5\r\n", "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
        "(1234567999999999999999999999999999999\r\n", "#t\r\n", "#f\r\n", "=29\r\ntxt:This is a verbatim\nstring\r\n",
        ",3.141\r\n", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n",
        ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n",
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n",
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n",
    ]

    /// Written by hand from the RESP3 specification: what the captures do not cover.
    static let handMade: [String] = [
        "-MOVED 3999 127.0.0.1:6381\r\n", "-ASK 3999 127.0.0.1:6381\r\n", "!21\r\nSYNTAX invalid syntax\r\n",
        "!0\r\n\r\n", "-\r\n", "+\r\n", "$0\r\n\r\n", "*0\r\n", "%0\r\n", "~0\r\n", ">0\r\n",
        ":-9223372036854775808\r\n", ":9223372036854775807\r\n", ":007\r\n", "(-123\r\n", ",-inf\r\n", ",nan\r\n",
        ",1.5e-10\r\n", "=4\r\nmkd:\r\n", "|0\r\n+after empty attribute\r\n", "|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n:2\r\n",
        "*3\r\n|1\r\n+ttl\r\n:5\r\n$1\r\nx\r\n*-1\r\n$-1\r\n", "%1\r\n|1\r\n+k\r\n+v\r\n+key\r\n~2\r\n_\r\n#t\r\n",
        "|1\r\n+meta\r\n-ERR inside\r\n>2\r\n+message\r\n$2\r\nhi\r\n", "|1\r\n+meta\r\n-ERR not the reply\r\n+OK\r\n",
        "*1\r\n-ERR nested, not the reply\r\n", "*2\r\n!3\r\nERR\r\n$3\r\na\rb\r\n", "$4\r\n\r\n\r\n\r\n",
        "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*0\r\n", ">1\r\n%1\r\n~1\r\n*1\r\n|1\r\n:1\r\n:2\r\n(9\r\n_\r\n",
    ]

    static let replies: [[UInt8]] = (captured + handMade).map(latin1)
    static let reader = RESPReader(maxBulkLength: 1 << 20, maxElements: 1 << 20, maxDepth: 128)

    /// The reader's split of `stream` into replies: their lengths and values.
    static func expected(_ stream: [UInt8]) throws -> [(length: Int, value: RESPValue)] {
        var result: [(Int, RESPValue)] = []
        var start = 0
        while start < stream.count {
            let parsed = try #require(try reader.parse(stream[start...]))
            result.append((parsed.consumed, parsed.value))
            start += parsed.consumed
        }
        return result
    }

    /// Scans `chunks` as a backend connection would, the buffer moved to new storage at every read.
    static func scan(_ chunks: [[UInt8]], scanner: ReplyScanner = ReplyScanner()) throws(RESPError) -> [ScannedReply] {
        var scanner = scanner
        var buffer: [UInt8] = []
        var replies: [ScannedReply] = []
        for chunk in chunks {
            buffer = Array(buffer) + chunk
            while true {
                let reply = try buffer.withUnsafeBytes { raw in
                    Result { () throws(RESPError) in try scanner.scan(raw) }
                }.get()
                guard let reply else { break }
                replies.append(reply)
                buffer.removeFirst(reply.length)
            }
        }
        return replies
    }

    static func chunks(_ bytes: [UInt8], size: Int) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    // MARK: - Lengths and flags

    @Test(arguments: replies)
    func oneShotMatchesReader(_ wire: [UInt8]) throws {
        let expected = try Self.expected(wire)
        let scanned = try Self.scan([wire])
        #expect(scanned.map(\.length) == expected.map(\.length))
        var start = 0
        for (reply, (length, value)) in zip(scanned, expected) {
            if case .error(let text) = value {
                #expect(reply.isError)
                let range = try #require(reply.errorText)
                #expect(String(decoding: wire[(start + range.lowerBound)..<(start + range.upperBound)], as: UTF8.self) == text)
            } else {
                #expect(!reply.isError)
                #expect(reply.errorText == nil)
            }
            if case .push = value { #expect(reply.isPush) } else { #expect(!reply.isPush) }
            start += length
        }
    }

    @Test(arguments: replies)
    func byteAtATimeMatchesOneShot(_ wire: [UInt8]) throws {
        #expect(try Self.scan(wire.map { [$0] }) == Self.scan([wire]))
    }

    @Test(arguments: replies)
    func everySplitMatchesOneShot(_ wire: [UInt8]) throws {
        let oneShot = try Self.scan([wire])
        for split in 0...wire.count {
            #expect(try Self.scan([Array(wire[..<split]), Array(wire[split...])]) == oneShot, "split at \(split)")
        }
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func allRepliesBackToBack(chunkSize: Int) throws {
        let stream = Self.replies.flatMap { $0 }
        let scanned = try Self.scan(Self.chunks(stream, size: chunkSize))
        #expect(scanned.map(\.length) == (try Self.expected(stream)).map(\.length))
    }

    @Test func errorTextRanges() throws {
        let moved = try #require(try Self.scan([latin1("-MOVED 3999 127.0.0.1:6381\r\n")]).first)
        #expect(moved == ScannedReply(length: 28, isError: true, errorText: 1..<26))
        let blob = try #require(try Self.scan([latin1("!21\r\nSYNTAX invalid syntax\r\n")]).first)
        #expect(blob == ScannedReply(length: 28, isError: true, errorText: 5..<26))
        let afterAttribute = try #require(try Self.scan([latin1("|1\r\n+a\r\n-x\r\n-ASK 1 h:1\r\n")]).first)
        #expect(afterAttribute == ScannedReply(length: 24, isError: true, errorText: 13..<22))
        let pushAfterAttribute = try #require(try Self.scan([latin1("|0\r\n>1\r\n+p\r\n")]).first)
        #expect(pushAfterAttribute == ScannedReply(length: 12, isPush: true))
    }

    // MARK: - Garbage and limits

    static let garbage: [String] = [
        "?\r\n", "\r\n", "+a\rb\r\n", "+a\nb\r\n", ":\r\n", ":1a\r\n", ":-\r\n", ":9223372036854775808\r\n",
        ":123456789012345678901\r\n", "$-2\r\n", "$abc\r\n", "$3\r\nabcd\r\n", "$3\r\nabc\n\r", "*-2\r\n", "~-1\r\n",
        "%-1\r\n", "*1\r\n?\r\n", "_x\r\n", "#x\r\n", "#tt\r\n", ",\r\n", "(\r\n", "(12a\r\n", "(-\r\n", "=3\r\ntxt\r\n",
        "=5\r\ntxt;x\r\n", "!-1\r\n", "|1\r\n+k\r\n?\r\n", "*2\r\n:1\r\n:x\r\n",
    ]

    @Test(arguments: garbage)
    func garbageThrowsWhateverTheSplit(_ text: String) throws {
        let wire = latin1(text)
        #expect(throws: RESPError.self) { try Self.reader.parse(wire) }
        #expect(throws: RESPError.self) { try Self.scan([wire]) }
        #expect(throws: RESPError.self) { try Self.scan(wire.map { [$0] }) }
    }

    @Test func depthLimit() throws {
        let scanner = ReplyScanner(maxDepth: 2)
        #expect(try Self.scan([latin1("*1\r\n*1\r\n:1\r\n")], scanner: scanner).count == 1)
        #expect(try Self.scan([latin1("*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n")], scanner: scanner).count == 1)
        for text in ["*1\r\n*1\r\n*1\r\n", "*1\r\n*1\r\n*-1\r\n", "%1\r\n+k\r\n*1\r\n|1\r\n"] {
            #expect(throws: RESPError.tooLarge("nested deeper than 2 levels")) { try Self.scan([latin1(text)], scanner: scanner) }
        }
        // 128 levels by default, as deep as the reader goes when told so.
        let deep = latin1(String(repeating: "*1\r\n", count: 128) + ":1\r\n")
        #expect(try Self.scan([deep]).first?.length == deep.count)
        #expect(try Self.reader.parse(deep)?.consumed == deep.count)
        #expect(throws: RESPError.self) { try Self.scan([latin1("*1\r\n") + deep]) }
    }

    @Test func bulkLimit() throws {
        let scanner = ReplyScanner(maxBulkLength: 10)
        #expect(try Self.scan([latin1("$10\r\n0123456789\r\n")], scanner: scanner).count == 1)
        #expect(throws: RESPError.self) { try Self.scan([latin1("$11\r\n")], scanner: scanner) }
        #expect(throws: RESPError.self) { try Self.scan([latin1("+01234567890\r\n")], scanner: scanner) }
    }

    // MARK: - Resuming

    @Test func bytesNeededAndReset() throws {
        var scanner = ReplyScanner()
        let head = latin1("*2\r\n$1000\r\nab")
        #expect(try head.withUnsafeBytes { try scanner.scan($0) } == nil)
        #expect(scanner.bytesNeeded == 11 + 1000 + 2)
        scanner.reset()
        #expect(scanner.bytesNeeded == nil)
        #expect(try latin1(":1\r\n").withUnsafeBytes { try scanner.scan($0) } == ScannedReply(length: 4))
    }

    /// A 64 MiB bulk inside an array, arriving in 16 KiB reads: each call looks only at new bytes.
    @Test func bigBulkIsLinear() throws {
        let size = 64 << 20
        let header = latin1("*2\r\n:1\r\n$\(size)\r\n")
        var buffer = [UInt8](repeating: UInt8(ascii: "x"), count: header.count + size + 2)
        buffer.replaceSubrange(0..<header.count, with: header)
        buffer[buffer.count - 2] = 0x0D
        buffer[buffer.count - 1] = 0x0A
        var scanner = ReplyScanner()
        var reply: ScannedReply?
        var calls = 0
        let elapsed = try ContinuousClock().measure {
            reply = try buffer.withUnsafeBytes { raw in
                try Result { () throws(RESPError) -> ScannedReply? in
                    for end in stride(from: 16 << 10, through: raw.count + (16 << 10) - 1, by: 16 << 10) {
                        calls += 1
                        if let reply = try scanner.scan(UnsafeRawBufferPointer(rebasing: raw[0..<min(end, raw.count)])) {
                            return reply
                        }
                    }
                    return nil
                }.get()
            }
        }
        #expect(reply == ScannedReply(length: buffer.count))
        #expect(calls == (buffer.count + (16 << 10) - 1) / (16 << 10))
        #expect(elapsed < .seconds(2))
    }
}

/// Text whose scalars are all below U+0100, as the bytes they number.
private func latin1(_ text: String) -> [UInt8] {
    text.unicodeScalars.map { UInt8($0.value) }
}

extension ReplyScannerTests {
    /// Found by FuzzReplyScanner (Fuzz/Reproducers/reply-scanner-accepts-invalid-double): a RESP3
    /// double is checked as RESPReader checks it.
    @Test(arguments: [",m\r\n", ",1e\r\n", ",--1\r\n", ",1.5.2\r\n", ",\(String(repeating: "1", count: 65))\r\n"])
    func invalidDoublesAreMalformed(reply: String) {
        var scanner = ReplyScanner()
        #expect(throws: RESPError.self) { try Array(reply.utf8).withUnsafeBytes { try scanner.scan($0) } }
    }

    @Test(arguments: [",1.5\r\n", ",-0\r\n", ",inf\r\n", ",-inf\r\n", ",nan\r\n", ",1e300\r\n", ",3.14159265358979\r\n"])
    func validDoublesAreScanned(reply: String) throws {
        var scanner = ReplyScanner()
        let scanned = try Array(reply.utf8).withUnsafeBytes { try scanner.scan($0) }
        #expect(scanned?.length == reply.utf8.count)
    }
}

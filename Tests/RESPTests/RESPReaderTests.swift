import Testing

@testable import RESP

struct RESPReaderTests {
    // MARK: - Valid values

    @Test(arguments: ValueArgument.all)
    func parsesOneValue(argument: ValueArgument) throws {
        let parsed = try #require(try RESPReader().parse(argument.wire))
        #expect(parsed.value == argument.expected)
        #expect(parsed.consumed == argument.wire.count)

        // The raw-buffer entry point is the one the checker uses; it must agree.
        let raw = try argument.wire.withUnsafeBytes { try RESPReader().parse($0) }
        #expect(raw?.value == argument.expected)
        #expect(raw?.consumed == argument.wire.count)
    }

    @Test(arguments: ValueArgument.all)
    func leavesFollowingBytesAlone(argument: ValueArgument) throws {
        let parsed = try #require(try RESPReader().parse(argument.wire + Self.bytes("+next\r\n$3\r\nfoo")))
        #expect(parsed.value == argument.expected)
        #expect(parsed.consumed == argument.wire.count)
    }

    @Test(arguments: ValueArgument.all)
    func everyStrictPrefixNeedsMoreBytes(argument: ValueArgument) throws {
        for length in 0..<argument.wire.count {
            let prefix = Array(argument.wire[..<length])
            #expect(try RESPReader().parse(prefix) == nil, "prefix of \(length) bytes: \(Self.printable(prefix))")
        }
    }

    /// All values back to back, fed in chunks of every size: the split never changes the values.
    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 13, 16, 64, 1024, Int.max])
    func streamFedInChunks(chunkSize: Int) throws {
        let stream = ValueArgument.all.flatMap(\.wire)
        var chunks: [[UInt8]] = []
        var start = 0
        while start < stream.count {
            let end = start + min(chunkSize, stream.count - start)
            chunks.append(Array(stream[start..<end]))
            start = end
        }
        #expect(try Self.decode(chunks) == ValueArgument.all.map(\.expected))
    }

    /// Every split point of the stream into two writes gives the same values.
    @Test
    func streamSplitAtEveryPoint() throws {
        let stream = ValueArgument.all.flatMap(\.wire)
        let expected = ValueArgument.all.map(\.expected)
        for split in 0...stream.count {
            let values = try Self.decode([Array(stream[..<split]), Array(stream[split...])])
            #expect(values == expected, "split at \(split)")
        }
    }

    @Test
    func notANumberDouble() throws {
        let parsed = try #require(try RESPReader().parse(Self.bytes(",nan\r\n")))
        guard case .double(let value) = parsed.value else {
            Issue.record("expected a double, got \(parsed.value)")
            return
        }
        #expect(value.isNaN)
        #expect(parsed.consumed == 6)
    }

    /// Attributes are skipped iteratively: a long chain of them cannot exhaust the stack.
    @Test
    func longChainOfAttributes() throws {
        let attribute = Self.bytes("|1\r\n+ttl\r\n:3600\r\n")
        let wire = Array(repeating: attribute, count: 50_000).flatMap { $0 } + Self.bytes("+OK\r\n")
        let parsed = try #require(try RESPReader().parse(wire))
        #expect(parsed.value == .simpleString("OK"))
        #expect(parsed.consumed == wire.count)
    }

    // MARK: - Malformed input

    @Test(arguments: MalformedArgument.all)
    func rejectsMalformedInput(argument: MalformedArgument) {
        #expect(throws: argument.error) { try argument.reader.parse(argument.wire) }
    }

    /// Errors are decided left to right: a prefix either needs more bytes or already
    /// fails with the same error, so the network's split never changes the verdict.
    @Test(arguments: MalformedArgument.all)
    func everyPrefixOfMalformedInputNeedsMoreOrFailsTheSame(argument: MalformedArgument) {
        for length in 0..<argument.wire.count {
            let prefix = Array(argument.wire[..<length])
            do {
                #expect(try argument.reader.parse(prefix) == nil)
            } catch {
                #expect(error == argument.error, "prefix of \(length) bytes: \(Self.printable(prefix))")
            }
        }
    }

    /// After a good value, the bad one is still found once the caller moves past the good one.
    @Test(arguments: MalformedArgument.all)
    func malformedInputAfterAGoodValue(argument: MalformedArgument) throws {
        let wire = Self.bytes("+OK\r\n") + argument.wire
        let first = try #require(try argument.reader.parse(wire))
        #expect(first.value == .simpleString("OK"))
        #expect(throws: argument.error) { try argument.reader.parse(Array(wire[first.consumed...])) }
    }

    // MARK: - Limits

    @Test(arguments: LimitArgument.all)
    func limits(argument: LimitArgument) throws {
        switch argument.expected {
        case .success(let value):
            let parsed = try #require(try argument.reader.parse(argument.wire))
            #expect(parsed.value == value)
            #expect(parsed.consumed == argument.wire.count)
        case .failure(let error):
            #expect(throws: error) { try argument.reader.parse(argument.wire) }
        }
    }

    // MARK: - Rendering

    @Test(arguments: [
        (RESPValue.simpleString("PONG"), "+PONG"),
        (.error("LOADING Redis is loading the dataset in memory"), "-LOADING Redis is loading the dataset in memory"),
        (.integer(-42), ":-42"),
        (.bulkString(Self.bytes("PONG")), "\"PONG\""),
        (.bulkString([0x00, 0x0D, 0x0A, 0x22, 0x5C, 0xFF]), "\"\\x00\\x0d\\x0a\\\"\\\\\\xff\""),
        (.bulkString(nil), "$-1"),
        (.array(nil), "*-1"),
        (.array([]), "[]"),
        (.array([.integer(1), .bulkString(Self.bytes("a")), .array([.simpleString("b")])]), "[:1, \"a\", [+b]]"),
        (.null, "_"),
        (.boolean(true), "#t"),
        (.boolean(false), "#f"),
        (.double(1.5), ",1.5"),
        (.bigNumber("-123"), "(-123"),
        (.verbatimString(format: "txt", text: Self.bytes("hi")), "=txt:\"hi\""),
        (.map([.init(key: .simpleString("a"), value: .integer(1))]), "{+a: :1}"),
        (.set([.integer(1)]), "~[:1]"),
        (.push([.simpleString("message")]), ">[+message]"),
    ])
    func description(value: RESPValue, expected: String) {
        #expect(value.description == expected)
    }

    @Test(arguments: [
        (RESPValue.simpleString("OK"), "OK" as String?),
        (.bulkString(Self.bytes("master")), "master"),
        (.verbatimString(format: "txt", text: Self.bytes("hi")), "hi"),
        (.bulkString(nil), nil),
        (.integer(1), nil),
        (.error("ERR"), nil),
        (.array([]), nil),
    ])
    func stringValue(value: RESPValue, expected: String?) {
        #expect(value.stringValue == expected)
    }

    @Test(arguments: [
        (RESPValue.bulkString(nil), true),
        (.array(nil), true),
        (.null, true),
        (.bulkString([]), false),
        (.array([]), false),
        (.simpleString(""), false),
    ])
    func isNull(value: RESPValue, expected: Bool) {
        #expect(value.isNull == expected)
    }

    // MARK: - Commands

    @Test(
        arguments: [
            (["PING"], "*1\r\n$4\r\nPING\r\n"),
            (["AUTH", "secret"], "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"),
            (["AUTH", "ferry-check", "s3cr\r\net"], "*3\r\n$4\r\nAUTH\r\n$11\r\nferry-check\r\n$8\r\ns3cr\r\net\r\n"),
            (["SET", "k", ""], "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"),
            (["ECHO", "pässwörd"], "*2\r\n$4\r\nECHO\r\n$10\r\npässwörd\r\n"),
            ([], "*0\r\n"),
        ] as [([String], String)]
    )
    func encodesCommands(command: [String], expected: String) throws {
        let encoded = RESPCommand.encode(command)
        #expect(encoded == Self.bytes(expected))
        // What we send is what a server (and our own reader) reads back.
        let parsed = try #require(try RESPReader().parse(encoded))
        #expect(parsed.value == .array(command.map { .bulkString(Self.bytes($0)) }))
        #expect(parsed.consumed == encoded.count)
    }

    @Test
    func encodesBinaryArguments() {
        #expect(
            RESPCommand.encode([[0x00, 0xFF], []]) == Self.bytes("*2\r\n$2\r\n") + [0x00, 0xFF]
                + Self.bytes("\r\n$0\r\n\r\n")
        )
    }
}

// MARK: - Arguments

extension RESPReaderTests {
    /// One complete value as it appears on the wire, and what it parses to.
    struct ValueArgument: Sendable, CustomTestStringConvertible {
        let wire: [UInt8]
        let expected: RESPValue

        init(_ wire: String, _ expected: RESPValue) {
            self.wire = bytes(wire)
            self.expected = expected
        }

        init(wire: [UInt8], _ expected: RESPValue) {
            self.wire = wire
            self.expected = expected
        }

        var testDescription: String { printable(self.wire) }

        static let all: [Self] = [
            // RESP2 simple types
            Self("+OK\r\n", .simpleString("OK")),
            Self("+\r\n", .simpleString("")),
            Self("+héllo wörld\r\n", .simpleString("héllo wörld")),
            Self("-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
            Self(
                "-LOADING Redis is loading the dataset in memory\r\n",
                .error("LOADING Redis is loading the dataset in memory")
            ),
            Self(":0\r\n", .integer(0)),
            Self(":1000\r\n", .integer(1000)),
            Self(":-1\r\n", .integer(-1)),
            Self(":-0\r\n", .integer(0)),
            Self(":007\r\n", .integer(7)),
            Self(":9223372036854775807\r\n", .integer(.max)),
            Self(":-9223372036854775808\r\n", .integer(.min)),
            // Bulk strings are binary-safe: CR, LF and any byte may appear inside.
            Self("$5\r\nhello\r\n", .bulkString(bytes("hello"))),
            Self("$0\r\n\r\n", .bulkString([])),
            Self("$-1\r\n", .bulkString(nil)),
            Self("$4\r\na\r\nb\r\n", .bulkString(bytes("a\r\nb"))),
            Self(
                wire: bytes("$4\r\n") + [0x00, 0xFF, 0x0D, 0x0D] + bytes("\r\n"),
                .bulkString([0x00, 0xFF, 0x0D, 0x0D])
            ),
            // Arrays
            Self("*0\r\n", .array([])),
            Self("*-1\r\n", .array(nil)),
            Self("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", .array([.bulkString(bytes("foo")), .bulkString(bytes("bar"))])),
            Self("*3\r\n:1\r\n:2\r\n:3\r\n", .array([.integer(1), .integer(2), .integer(3)])),
            Self(
                "*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n$5\r\nhello\r\n",
                .array([.integer(1), .integer(2), .integer(3), .integer(4), .bulkString(bytes("hello"))])
            ),
            Self(
                "*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n",
                .array([
                    .array([.integer(1), .integer(2), .integer(3)]), .array([.simpleString("Hello"), .error("World")]),
                ])
            ),
            Self(
                "*3\r\n$3\r\nfoo\r\n$-1\r\n$3\r\nbar\r\n",
                .array([.bulkString(bytes("foo")), .bulkString(nil), .bulkString(bytes("bar"))])
            ),
            Self("*2\r\n*-1\r\n*0\r\n", .array([.array(nil), .array([])])),
            Self("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*0\r\n", deeplyNested(levels: 8)),
            // ROLE replies as Redis sends them
            Self(
                "*3\r\n$6\r\nmaster\r\n:3129659\r\n*2\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n9001\r\n$7\r\n3129242\r\n"
                    + "*3\r\n$9\r\n127.0.0.1\r\n$4\r\n9002\r\n$7\r\n3129543\r\n",
                .array([
                    .bulkString(bytes("master")), .integer(3_129_659),
                    .array([
                        .array([
                            .bulkString(bytes("127.0.0.1")), .bulkString(bytes("9001")), .bulkString(bytes("3129242")),
                        ]),
                        .array([
                            .bulkString(bytes("127.0.0.1")), .bulkString(bytes("9002")), .bulkString(bytes("3129543")),
                        ]),
                    ]),
                ])
            ),
            Self(
                "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:9000\r\n$9\r\nconnected\r\n:3167038\r\n",
                .array([
                    .bulkString(bytes("slave")), .bulkString(bytes("127.0.0.1")), .integer(9000),
                    .bulkString(bytes("connected")), .integer(3_167_038),
                ])
            ),
            // RESP3
            Self("_\r\n", .null),
            Self("#t\r\n", .boolean(true)),
            Self("#f\r\n", .boolean(false)),
            Self(",1.23\r\n", .double(1.23)),
            Self(",10\r\n", .double(10)),
            Self(",-1.5e-3\r\n", .double(-0.0015)),
            Self(",inf\r\n", .double(.infinity)),
            Self(",-inf\r\n", .double(-.infinity)),
            Self(
                "(3492890328409238509324850943850943825024385\r\n",
                .bigNumber("3492890328409238509324850943850943825024385")
            ),
            Self("(-1\r\n", .bigNumber("-1")),
            Self("!21\r\nSYNTAX invalid syntax\r\n", .error("SYNTAX invalid syntax")),
            Self("=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", text: bytes("Some string"))),
            Self("=4\r\nmkd:\r\n", .verbatimString(format: "mkd", text: [])),
            Self(
                "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
                .map([
                    .init(key: .simpleString("first"), value: .integer(1)),
                    .init(key: .simpleString("second"), value: .integer(2)),
                ])
            ),
            Self("%0\r\n", .map([])),
            Self(
                "~5\r\n+orange\r\n+apple\r\n#t\r\n:100\r\n:999\r\n",
                .set([.simpleString("orange"), .simpleString("apple"), .boolean(true), .integer(100), .integer(999)])
            ),
            Self("~0\r\n", .set([])),
            Self(
                ">3\r\n$7\r\nmessage\r\n$7\r\nchannel\r\n$5\r\nhello\r\n",
                .push([.bulkString(bytes("message")), .bulkString(bytes("channel")), .bulkString(bytes("hello"))])
            ),
            // Attributes annotate the value that follows and are skipped.
            Self(
                "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
                .array([.integer(2_039_123), .integer(9_543_892)])
            ),
            Self("*2\r\n|1\r\n+ttl\r\n:3600\r\n+a\r\n+b\r\n", .array([.simpleString("a"), .simpleString("b")])),
            Self("|0\r\n|0\r\n:1\r\n", .integer(1)),
        ]
    }

    /// Input that can never become valid RESP, and the error it must produce.
    struct MalformedArgument: Sendable, CustomTestStringConvertible {
        let reader: RESPReader
        let wire: [UInt8]
        let error: RESPError

        init(_ wire: String, _ error: RESPError, reader: RESPReader = RESPReader()) {
            self.reader = reader
            self.wire = bytes(wire)
            self.error = error
        }

        var testDescription: String { printable(self.wire) }

        static let small = RESPReader(maxBulkLength: 8, maxElements: 3, maxDepth: 2)

        static let all: [Self] = [
            // Bad type bytes
            Self("A\r\n", .malformed("unexpected type byte 'A' (0x41)")),
            Self("\0", .malformed("unexpected type byte 0x00")),
            Self(" +OK\r\n", .malformed("unexpected type byte 0x20")),
            Self("HTTP/1.1 400 Bad Request\r\n", .malformed("unexpected type byte 'H' (0x48)")),
            Self("*2\r\n:1\r\n?\r\n", .malformed("unexpected type byte '?' (0x3F)")),
            Self("\r\n", .malformed("unexpected type byte 0x0D")),
            // Bad lengths
            Self("$abc\r\n", .malformed("invalid bulk string length")),
            Self("$\r\n", .malformed("invalid bulk string length")),
            Self("$-\r\n", .malformed("invalid bulk string length")),
            Self("$1.5\r\n", .malformed("invalid bulk string length")),
            Self("$+5\r\n", .malformed("invalid bulk string length")),
            Self("$ 5\r\n", .malformed("invalid bulk string length")),
            Self("$5 \r\n", .malformed("invalid bulk string length")),
            Self("$123456789012345678901\r\n", .malformed("invalid bulk string length")),
            Self("$99999999999999999999\r\n", .malformed("bulk string length out of range")),
            Self("*x\r\n", .malformed("invalid array length")),
            // Negative lengths other than -1
            Self("$-2\r\n", .malformed("negative bulk string length -2")),
            Self("$-9223372036854775808\r\n", .malformed("negative bulk string length -9223372036854775808")),
            Self("*-2\r\n", .malformed("negative array length -2")),
            Self("*-100\r\n", .malformed("negative array length -100")),
            Self("~-1\r\n", .malformed("negative set length -1")),
            Self(">-1\r\n", .malformed("negative push length -1")),
            Self("%-1\r\n", .malformed("negative map length -1")),
            Self("|-1\r\n", .malformed("negative attribute length -1")),
            Self("!-1\r\n", .malformed("negative blob error length -1")),
            Self("=-1\r\n", .malformed("negative verbatim string length -1")),
            // Bad integers
            Self(":\r\n", .malformed("invalid integer")),
            Self(":-\r\n", .malformed("invalid integer")),
            Self(":12a\r\n", .malformed("invalid integer")),
            Self(":1 2\r\n", .malformed("invalid integer")),
            Self(":9223372036854775808\r\n", .malformed("integer out of range")),
            Self(":-9223372036854775809\r\n", .malformed("integer out of range")),
            // Missing or broken CRLF
            Self("+OK\rX", .malformed("carriage return not followed by line feed")),
            Self("+OK\r\r\n", .malformed("carriage return not followed by line feed")),
            Self("+OK\n", .malformed("line feed without carriage return")),
            Self("-ERR a\nb\r\n", .malformed("line feed without carriage return")),
            Self(":1\n", .malformed("line feed without carriage return")),
            Self("$3\n", .malformed("line feed without carriage return")),
            Self("$3\r\nfooX\r\n", .malformed("bulk string not terminated by CRLF")),
            Self("$3\r\nfoo\rX", .malformed("bulk string not terminated by CRLF")),
            Self("$3\r\nfoo\n\r", .malformed("bulk string not terminated by CRLF")),
            Self("$3\r\nfoobar\r\n", .malformed("bulk string not terminated by CRLF")),
            Self("$0\r\nX", .malformed("bulk string not terminated by CRLF")),
            Self("*2\r\n$1\r\na\r\n$1\r\nbc\r\n", .malformed("bulk string not terminated by CRLF")),
            Self("!3\r\nERRx\r\n", .malformed("blob error not terminated by CRLF")),
            // Bad RESP3 payloads
            Self("_x\r\n", .malformed("null with a payload")),
            Self("#x\r\n", .malformed("boolean is not t or f")),
            Self("#\r\n", .malformed("boolean is not t or f")),
            Self("#tt\r\n", .malformed("boolean is not t or f")),
            Self(",abc\r\n", .malformed("invalid double")),
            Self(",\r\n", .malformed("invalid double")),
            Self("(12a\r\n", .malformed("invalid big number")),
            Self("(\r\n", .malformed("invalid big number")),
            Self("(-\r\n", .malformed("invalid big number")),
            Self("=3\r\ntxt\r\n", .malformed("verbatim string without a format prefix")),
            Self("=5\r\ntxt-x\r\n", .malformed("verbatim string without a format prefix")),
            // Too deep
            Self(String(repeating: "*1\r\n", count: 9) + ":1\r\n", .tooLarge("nested deeper than 8 levels")),
            Self(String(repeating: "*1\r\n", count: 8) + "%0\r\n", .tooLarge("nested deeper than 8 levels")),
            Self(String(repeating: "*1\r\n", count: 8) + "|0\r\n:1\r\n", .tooLarge("nested deeper than 8 levels")),
            Self("*1\r\n~1\r\n>1\r\n", .tooLarge("nested deeper than 2 levels"), reader: small),
            Self("%1\r\n+k\r\n%1\r\n+k\r\n%0\r\n", .tooLarge("nested deeper than 2 levels"), reader: small),
            // Too large
            Self("$524289\r\n", .tooLarge("bulk string of 524289 bytes exceeds the limit of 524288")),
            Self("*4097\r\n", .tooLarge("array of 4097 elements exceeds the limit of 4096")),
            Self("%4097\r\n", .tooLarge("map of 4097 entries exceeds the limit of 4096")),
            Self("$9\r\n123456789\r\n", .tooLarge("bulk string of 9 bytes exceeds the limit of 8"), reader: small),
            Self("!9\r\n", .tooLarge("blob error of 9 bytes exceeds the limit of 8"), reader: small),
            Self("=9\r\n", .tooLarge("verbatim string of 9 bytes exceeds the limit of 8"), reader: small),
            Self("+123456789\r\n", .tooLarge("line longer than 8 bytes"), reader: small),
            Self("-123456789", .tooLarge("line longer than 8 bytes"), reader: small),
            Self("(123456789\r\n", .tooLarge("line longer than 8 bytes"), reader: small),
            Self("*4\r\n", .tooLarge("array of 4 elements exceeds the limit of 3"), reader: small),
            Self("~4\r\n", .tooLarge("set of 4 elements exceeds the limit of 3"), reader: small),
            Self(">4\r\n", .tooLarge("push of 4 elements exceeds the limit of 3"), reader: small),
            Self("%4\r\n", .tooLarge("map of 4 entries exceeds the limit of 3"), reader: small),
            Self("|4\r\n", .tooLarge("attribute of 4 entries exceeds the limit of 3"), reader: small),
        ]
    }

    /// Input right at, and just past, a reader's limits.
    struct LimitArgument: Sendable, CustomTestStringConvertible {
        let name: String
        let reader: RESPReader
        let wire: [UInt8]
        let expected: Result<RESPValue, RESPError>

        init(_ name: String, _ reader: RESPReader, _ wire: [UInt8], _ expected: Result<RESPValue, RESPError>) {
            self.name = name
            self.reader = reader
            self.wire = wire
            self.expected = expected
        }

        var testDescription: String { self.name }

        static let small = RESPReader(maxBulkLength: 8, maxElements: 3, maxDepth: 2)
        static let zero = RESPReader(maxBulkLength: 0, maxElements: 0, maxDepth: 0)
        static let standard = RESPReader()

        static func bulk(_ length: Int) -> [UInt8] {
            bytes("$\(length)\r\n") + Array(repeating: UInt8(ascii: "x"), count: length) + bytes("\r\n")
        }

        static func simple(_ length: Int) -> [UInt8] {
            bytes("+") + Array(repeating: UInt8(ascii: "x"), count: length) + bytes("\r\n")
        }

        static func array(_ count: Int) -> [UInt8] {
            bytes("*\(count)\r\n") + Array(repeating: bytes(":1\r\n"), count: count).flatMap { $0 }
        }

        static func nested(_ levels: Int) -> [UInt8] {
            bytes(String(repeating: "*1\r\n", count: levels - 1) + "*0\r\n")
        }

        static let all: [Self] = [
            Self("bulk at 8", small, bulk(8), .success(.bulkString(Array(repeating: 0x78, count: 8)))),
            Self("bulk over 8", small, bulk(9), .failure(.tooLarge("bulk string of 9 bytes exceeds the limit of 8"))),
            Self("simple at 8", small, simple(8), .success(.simpleString("xxxxxxxx"))),
            Self("simple over 8", small, simple(9), .failure(.tooLarge("line longer than 8 bytes"))),
            Self("error at 8", small, bytes("-ERR 4567\r\n"), .success(.error("ERR 4567"))),
            Self("array at 3", small, array(3), .success(.array(Array(repeating: .integer(1), count: 3)))),
            Self("array over 3", small, array(4), .failure(.tooLarge("array of 4 elements exceeds the limit of 3"))),
            Self("null array over count", small, bytes("*-1\r\n"), .success(.array(nil))),
            Self("depth at 2", small, nested(2), .success(.array([.array([])]))),
            Self("depth over 2", small, nested(3), .failure(.tooLarge("nested deeper than 2 levels"))),
            Self(
                "scalars do not nest",
                small,
                bytes("*1\r\n*1\r\n$-1\r\n"),
                .success(.array([.array([.bulkString(nil)])]))
            ),
            Self("integers ignore the bulk limit", small, bytes(":-9223372036854775808\r\n"), .success(.integer(.min))),
            Self("zero: scalar", zero, bytes(":1\r\n"), .success(.integer(1))),
            Self("zero: empty bulk", zero, bytes("$0\r\n\r\n"), .success(.bulkString([]))),
            Self("zero: empty simple", zero, bytes("+\r\n"), .success(.simpleString(""))),
            Self("zero: one-byte simple", zero, bytes("+a\r\n"), .failure(.tooLarge("line longer than 0 bytes"))),
            Self("zero: any aggregate", zero, bytes("*0\r\n"), .failure(.tooLarge("nested deeper than 0 levels"))),
            Self(
                "default bulk at 512 KiB",
                standard,
                bulk(512 * 1024),
                .success(.bulkString(Array(repeating: 0x78, count: 512 * 1024)))
            ),
            Self(
                "default bulk over 512 KiB",
                standard,
                bulk(512 * 1024 + 1),
                .failure(.tooLarge("bulk string of 524289 bytes exceeds the limit of 524288"))
            ),
            Self(
                "default simple at 512 KiB",
                standard,
                simple(512 * 1024),
                .success(.simpleString(String(repeating: "x", count: 512 * 1024)))
            ),
            Self(
                "default simple over 512 KiB",
                standard,
                simple(512 * 1024 + 1),
                .failure(.tooLarge("line longer than 524288 bytes"))
            ),
            Self(
                "default array at 4096",
                standard,
                array(4096),
                .success(.array(Array(repeating: .integer(1), count: 4096)))
            ),
            Self(
                "default array over 4096",
                standard,
                array(4097),
                .failure(.tooLarge("array of 4097 elements exceeds the limit of 4096"))
            ),
            Self("default depth at 8", standard, nested(8), .success(deeplyNested(levels: 8))),
            Self("default depth over 8", standard, nested(9), .failure(.tooLarge("nested deeper than 8 levels"))),
        ]
    }

    // MARK: - Helpers

    static func bytes(_ string: String) -> [UInt8] {
        Array(string.utf8)
    }

    /// `levels` arrays inside each other, the innermost empty.
    static func deeplyNested(levels: Int) -> RESPValue {
        var value = RESPValue.array([])
        for _ in 1..<levels {
            value = .array([value])
        }
        return value
    }

    /// Bytes as a readable, escaped string for test names and failure messages.
    static func printable(_ bytes: [UInt8]) -> String {
        let text = RESPValue.bulkString(Array(bytes.prefix(120))).description
        return bytes.count > 120 ? text + "… (\(bytes.count) bytes)" : text
    }

    /// Feeds `chunks` to a buffer the way a connection would, taking every complete value out as it appears.
    static func decode(_ chunks: [[UInt8]]) throws -> [RESPValue] {
        let reader = RESPReader()
        var buffer: [UInt8] = []
        var values: [RESPValue] = []
        for chunk in chunks {
            buffer += chunk
            while let parsed = try reader.parse(buffer) {
                values.append(parsed.value)
                buffer.removeFirst(parsed.consumed)
            }
        }
        #expect(buffer.isEmpty, "left over: \(printable(buffer))")
        return values
    }
}

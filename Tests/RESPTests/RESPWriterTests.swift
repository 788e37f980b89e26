import Testing

@testable import RESP

/// The writer's output: commands byte for byte as redis-cli sends them (captured from redis-cli
/// 7.0.15 against a listening socket), replies parsed back by ``RESPReader``.
@Suite struct RESPWriterTests {
    struct Captured: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let wire: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let capturedFromRedisCLI: [Captured] = [
        .init(arguments: ["SET", "k", "v"], wire: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        .init(arguments: ["ASKING"], wire: "*1\r\n$6\r\nASKING\r\n"),
        .init(arguments: ["CLUSTER", "SLOTS"], wire: "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n"),
        .init(arguments: ["ECHO", ""], wire: "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"),
        .init(
            arguments: ["SET", "key:{user1000}", "a b\tc"],
            wire: "*3\r\n$3\r\nSET\r\n$14\r\nkey:{user1000}\r\n$5\r\na b\tc\r\n"),
    ]

    static func written(_ body: (inout [UInt8]) -> Void) -> [UInt8] {
        var buffer: [UInt8] = []
        body(&buffer)
        return buffer
    }

    static func parsed(_ bytes: [UInt8]) throws -> RESPValue {
        let result = try #require(try RESPReader().parse(bytes))
        #expect(result.consumed == bytes.count)
        return result.value
    }

    // MARK: - Commands

    @Test(arguments: capturedFromRedisCLI)
    func commandFromArgumentsIsCanonical(_ captured: Captured) {
        let bytes = CommandArguments.with(captured.arguments) { arguments in
            Self.written { RESPWriter.appendCommand(arguments, into: &$0) }
        }
        #expect(bytes == Array(captured.wire.utf8))
    }

    @Test func commandsOfConstantWords() {
        #expect(Self.written { RESPWriter.appendCommand("ASKING", into: &$0) } == Array("*1\r\n$6\r\nASKING\r\n".utf8))
        #expect(
            Self.written { RESPWriter.appendCommand("CLUSTER", "SLOTS", into: &$0) }
                == Array("*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n".utf8))
    }

    /// A parsed inline command re-encodes to what redis-cli sends for the same arguments.
    @Test func inlineCommandReencoded() {
        var line = Array("SET key:{user1000} \"a b\\tc\"\r\n".utf8)
        var parser = RequestParser()
        var arguments = CommandArguments()
        let bytes = line.withUnsafeMutableBytes { raw -> [UInt8] in
            #expect(parser.parse(raw, into: &arguments) == .command(consumed: raw.count))
            return Self.written { RESPWriter.appendCommand(arguments, into: &$0) }
        }
        #expect(bytes == Array(Self.capturedFromRedisCLI[4].wire.utf8))
    }

    /// A command built piece by piece, numbers included (`CLUSTER COUNTKEYSINSLOT 16383`).
    @Test func commandWithNumbers() throws {
        let bytes = Self.written {
            RESPWriter.appendArrayHeader(3, into: &$0)
            RESPWriter.appendBulk("CLUSTER", into: &$0)
            RESPWriter.appendBulk("COUNTKEYSINSLOT", into: &$0)
            RESPWriter.appendBulk(integer: 16383, into: &$0)
        }
        #expect(bytes == RESPCommand.encode(["CLUSTER", "COUNTKEYSINSLOT", "16383"]))
    }

    @Test(arguments: [0, 7, 10, 99, 100, -1, -10, Int.max, Int.min])
    func bulkInteger(_ value: Int) throws {
        let bytes = Self.written { RESPWriter.appendBulk(integer: value, into: &$0) }
        #expect(try Self.parsed(bytes) == .bulkString(Array(String(value).utf8)))
    }

    // MARK: - Replies

    @Test(arguments: [Int64(0), 1, -1, 9, 10, 12345, -12345, Int64.max, Int64.min])
    func integers(_ value: Int64) throws {
        let bytes = Self.written { RESPWriter.appendInteger(value, into: &$0) }
        #expect(bytes == Array(":\(value)\r\n".utf8))
        #expect(try Self.parsed(bytes) == .integer(value))
        #expect(Self.written { RESPWriter.appendInteger(Int(value), into: &$0) } == bytes)
    }

    @Test func bulks() throws {
        let binary: [UInt8] = [0, 0x0D, 0x0A, 0xFF]
        #expect(try Self.parsed(Self.written { RESPWriter.appendBulk(binary, into: &$0) }) == .bulkString(binary))
        #expect(try Self.parsed(Self.written { RESPWriter.appendBulk([], into: &$0) }) == .bulkString([]))
        #expect(try Self.parsed(Self.written { RESPWriter.appendBulk("OK", into: &$0) }) == .bulkString(Array("OK".utf8)))
    }

    @Test func nulls() throws {
        #expect(Self.written { RESPWriter.appendNullBulk(resp3: false, into: &$0) } == Array("$-1\r\n".utf8))
        #expect(Self.written { RESPWriter.appendNullBulk(resp3: true, into: &$0) } == Array("_\r\n".utf8))
        #expect(Self.written { RESPWriter.appendNullArray(resp3: false, into: &$0) } == Array("*-1\r\n".utf8))
        #expect(Self.written { RESPWriter.appendNullArray(resp3: true, into: &$0) } == Array("_\r\n".utf8))
        #expect(try Self.parsed(Self.written { RESPWriter.appendNullBulk(resp3: false, into: &$0) }) == .bulkString(nil))
        #expect(try Self.parsed(Self.written { RESPWriter.appendNullArray(resp3: false, into: &$0) }) == .array(nil))
        #expect(try Self.parsed(Self.written { RESPWriter.appendNullBulk(resp3: true, into: &$0) }) == .null)
    }

    @Test func simpleStringsAndErrors() throws {
        #expect(try Self.parsed(Self.written { RESPWriter.appendSimpleString("OK", into: &$0) }) == .simpleString("OK"))
        let error = "ERR Protocol error: expected '$', got '\u{FFFD}'"
        #expect(try Self.parsed(Self.written { RESPWriter.appendError(error, into: &$0) }) == .error(error))
        #expect(
            try Self.parsed(Self.written { RESPWriter.appendError("CLUSTERDOWN Hash slot not served", into: &$0) })
                == .error("CLUSTERDOWN Hash slot not served"))
        // CR and LF would end the line early: they become spaces, as in Redis's own errors.
        #expect(Self.written { RESPWriter.appendError("ERR a\r\nb", into: &$0) } == Array("-ERR a  b\r\n".utf8))
        let raw = Array("x\ny".utf8)
        #expect(
            raw.withUnsafeBytes { text in Self.written { RESPWriter.appendSimpleString(text, into: &$0) } }
                == Array("+x y\r\n".utf8))
        #expect(
            raw.withUnsafeBytes { text in Self.written { RESPWriter.appendError(text, into: &$0) } }
                == Array("-x y\r\n".utf8))
    }

    /// A map of two entries, as RESP3 sends it and as the RESP2 flat array Redis sends instead.
    @Test func mapsAndSets() throws {
        func entries(_ buffer: inout [UInt8]) {
            RESPWriter.appendBulk("a", into: &buffer)
            RESPWriter.appendInteger(1, into: &buffer)
            RESPWriter.appendBulk("b", into: &buffer)
            RESPWriter.appendNullBulk(resp3: false, into: &buffer)
        }
        let resp3 = Self.written {
            RESPWriter.appendMapHeader(2, resp3: true, into: &$0)
            entries(&$0)
        }
        #expect(
            try Self.parsed(resp3)
                == .map([
                    .init(key: .bulkString(Array("a".utf8)), value: .integer(1)),
                    .init(key: .bulkString(Array("b".utf8)), value: .bulkString(nil)),
                ]))
        let resp2 = Self.written {
            RESPWriter.appendMapHeader(2, resp3: false, into: &$0)
            entries(&$0)
        }
        #expect(try Self.parsed(resp2) == .array([.bulkString(Array("a".utf8)), .integer(1), .bulkString(Array("b".utf8)), .bulkString(nil)]))
        let set3 = Self.written {
            RESPWriter.appendSetHeader(1, resp3: true, into: &$0)
            RESPWriter.appendSimpleString("m", into: &$0)
        }
        #expect(try Self.parsed(set3) == .set([.simpleString("m")]))
        let set2 = Self.written {
            RESPWriter.appendSetHeader(0, resp3: false, into: &$0)
        }
        #expect(try Self.parsed(set2) == .array([]))
    }

    /// Appending never disturbs what the buffer already holds.
    @Test func appendsAfterExistingBytes() {
        var buffer = Array("+OK\r\n".utf8)
        RESPWriter.appendInteger(-42, into: &buffer)
        RESPWriter.appendArrayHeader(10, into: &buffer)
        #expect(buffer == Array("+OK\r\n:-42\r\n*10\r\n".utf8))
    }
}

/// `string2ll`, shared by the request parser, the key specs and the local commands.
@Suite struct RedisDecimalTests {
    @Test(arguments: [
        ("0", Int64?.some(0)), ("1", 1), ("-1", -1), ("123", 123), ("9223372036854775807", .max),
        ("-9223372036854775808", .min), ("9223372036854775808", nil), ("-9223372036854775809", nil),
        ("", nil), ("-", nil), ("+1", nil), ("01", nil), ("-0", nil), (" 1", nil), ("1 ", nil), ("1x", nil),
        ("00", nil), ("123456789012345678901", nil),
    ])
    func parsesAsRedisDoes(text: String, expected: Int64?) {
        #expect(Array(text.utf8).withUnsafeBytes { RedisDecimal.parse($0) } == expected)
    }

    @Test(arguments: [Int64(0), 7, -7, 10, 1_000_000, .max, .min])
    func appendsDecimal(value: Int64) {
        var buffer: [UInt8] = []
        RedisDecimal.append(value, to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == String(value))
    }
}

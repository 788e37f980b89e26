import Cluster
import RESP
import Testing

/// Helpers for the split, merge and SCAN tests: keys of chosen slots, a reply encoder, and a tiny
/// model of the six splittable commands on one Redis.
enum MultiKeyFixtures {
    /// For every slot, the first key `k<n>` that hashes to it (found once, by brute force).
    static let keyOfSlot: [[UInt8]] = {
        var keys = [[UInt8]?](repeating: nil, count: HashSlot.count)
        var found = 0
        var number = 0
        while found < HashSlot.count {
            let key = Array("k\(number)".utf8)
            let slot = Int(HashSlot.of(key))
            if keys[slot] == nil {
                keys[slot] = key
                found += 1
            }
            number += 1
        }
        return keys.map { $0! }
    }()

    /// `count` keys in `slots` distinct slots, dealt round-robin (key `i` in the `i % slots`-th
    /// slot), each made unique with a hash tag so several keys share a slot: `{k12}:3`.
    static func keys(count: Int, slots: Int, firstSlot: Int = 100, stride: Int = 997) -> [[UInt8]] {
        (0..<count).map { index in
            let slot = (firstSlot + (index % slots) * stride) % HashSlot.count
            return Array("{".utf8) + keyOfSlot[slot] + Array("}:\(index)".utf8)
        }
    }

    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    /// `value` on the wire; RESP3 types as RESP3 (the tests pick the types a server would send).
    static func encode(_ value: RESPValue) -> [UInt8] {
        var bytes: [UInt8] = []
        append(value, to: &bytes)
        return bytes
    }

    static func append(_ value: RESPValue, to bytes: inout [UInt8]) {
        func line(_ type: Character, _ text: String) { bytes += Array((String(type) + text + "\r\n").utf8) }
        switch value {
        case .simpleString(let text): line("+", text)
        case .error(let text): line("-", text)
        case .integer(let number): line(":", "\(number)")
        case .bulkString(nil): line("$", "-1")
        case .bulkString(let data?):
            line("$", "\(data.count)")
            bytes += data + [13, 10]
        case .array(nil): line("*", "-1")
        case .array(let elements?):
            line("*", "\(elements.count)")
            for element in elements { append(element, to: &bytes) }
        case .null: line("_", "")
        case .boolean(let flag): line("#", flag ? "t" : "f")
        case .double(let number): line(",", "\(number)")
        case .bigNumber(let digits): line("(", digits)
        case .verbatimString(let format, let text):
            line("=", "\(text.count + 4)")
            bytes += Array((format + ":").utf8) + text + [13, 10]
        case .map(let entries):
            line("%", "\(entries.count)")
            for entry in entries {
                append(entry.key, to: &bytes)
                append(entry.value, to: &bytes)
            }
        case .set(let elements):
            line("~", "\(elements.count)")
            for element in elements { append(element, to: &bytes) }
        case .push(let elements):
            line(">", "\(elements.count)")
            for element in elements { append(element, to: &bytes) }
        }
    }

    /// Reads `bytes` as exactly one RESP value (generous limits), or records a failure.
    static func decode(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> RESPValue? {
        let reader = RESPReader(maxBulkLength: 1 << 24, maxElements: 1 << 20, maxDepth: 64)
        do {
            guard let (value, consumed) = try reader.parse(bytes) else {
                Issue.record("incomplete reply \(String(decoding: bytes.prefix(80), as: UTF8.self))", sourceLocation: sourceLocation)
                return nil
            }
            #expect(consumed == bytes.count, "bytes after the reply", sourceLocation: sourceLocation)
            return value
        } catch {
            Issue.record("invalid reply: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// One Redis: the six splittable commands on a dictionary, answering RESP2 or RESP3.
    struct Model {
        var data: [[UInt8]: [UInt8]] = [:]
        var resp3 = false

        /// Runs `arguments` (name first) and returns the reply's bytes.
        mutating func run(_ arguments: [[UInt8]]) -> [UInt8] {
            let name = String(decoding: arguments[0], as: UTF8.self).lowercased()
            let rest = Array(arguments.dropFirst())
            switch name {
            case "mget":
                return MultiKeyFixtures.encode(.array(rest.map { key in
                    data[key].map { .bulkString($0) } ?? (resp3 ? .null : .bulkString(nil))
                }))
            case "mset":
                for pair in stride(from: 0, to: rest.count, by: 2) { data[rest[pair]] = rest[pair + 1] }
                return MultiKeyFixtures.encode(.simpleString("OK"))
            case "del", "unlink":
                var removed = 0
                for key in rest where data.removeValue(forKey: key) != nil { removed += 1 }
                return MultiKeyFixtures.encode(.integer(Int64(removed)))
            case "exists", "touch":
                return MultiKeyFixtures.encode(.integer(Int64(rest.filter { data[$0] != nil }.count)))
            default:
                return MultiKeyFixtures.encode(.error("ERR unknown command '\(name)'"))
            }
        }
    }

    /// The six splittable commands' descriptions, from the real table.
    static func command(_ name: String) -> MultiKeyCommand {
        MultiKeyCommand(CommandFixtures.table.command(named: name)!)!
    }

    /// The argument lists of `plan`'s parts, decoded back from the bytes `appendRequest` wrote.
    static func partRequests(_ plan: SplitPlan, _ arguments: [[UInt8]]) -> [[[UInt8]]] {
        CommandArguments.with(arguments) { spans in
            (0..<plan.partCount).map { part in
                var bytes: [UInt8] = []
                plan.appendRequest(part: part, from: spans, into: &bytes)
                guard case .array(let elements?) = decode(bytes) else { return [] }
                return elements.map(\.fixtureBytes)
            }
        }
    }
}

extension ReplyMergeRule: CustomTestStringConvertible {
    public var testDescription: String { "\(self)" }
}

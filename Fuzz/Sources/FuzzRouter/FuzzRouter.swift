import Cluster
import Glibc
import RESP
import FuzzSupport

/// Router.route (cluster mode's one routing decision) on arbitrary argument lists, against the
/// COMMAND table of a real redis-server 7.0.15 (`Tests/ClusterTests/Fixtures/command-7.0.resp`),
/// and against the same table cut to what Redis 6 sends (no key specs, subcommands or tips), so
/// the legacy first/last/step path is fuzzed too.
///
/// Input: the arguments separated by `\n` (an empty input is a request without arguments). The
/// arguments are spans of libFuzzer's own copy of the input, which is exactly as long as the
/// input, so AddressSanitizer reports any read past the last argument.
///
/// Beyond "no crash" and "no read out of range", it checks:
/// - `route` is deterministic, and a `.slot` is below 16384;
/// - for a command the table knows, every key index `visitKeys` gives is an argument index (with
///   and without `not_key` specs); a `.slot` route of a keyed command is the slot of each of its
///   keys, `.crossSlot` and `.split` mean two keys in different slots (`.split` only for a
///   command ``MultiKeyCommand`` splits), `.allMasters` no key and the command's own merge rule;
/// - `keyIndices` lists what `visitKeys` visits;
/// - the key search of one more entry of the table (picked from the input's hash), applied to
///   arguments that are not its own, still never visits an index outside them;
/// - `unsupportedMessage` is one line, starting as Redis's errors do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouter(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var arguments = CommandArguments()
    arguments.reset(base: input)
    if size > 0 {
        var start = 0
        for index in 0...size where index == size || input[index] == UInt8(ascii: "\n") {
            arguments.append(offset: start, length: index - start)
            start = index + 1
        }
    }
    for (router, entries) in routers { check(router, entries, arguments, hash: fnv1a(input)) }
    return 0
}

func check(_ router: Router, _ entries: [CommandInfo], _ arguments: CommandArguments, hash: UInt64) {
    let count = arguments.count
    let route = router.route(arguments)
    require(route == router.route(arguments), "route is not deterministic")
    let what = "\(describe(arguments)) → \(route)"
    if case .slot(let slot) = route { require(Int(slot) < HashSlot.count, "\(what): slot past 16383") }
    if route == .unsupported {
        let message = Router.unsupportedMessage(for: arguments)
        require(message.hasPrefix("ERR ferry: '") && !message.utf8.contains(13) && !message.utf8.contains(10),
                "\(what): unsupported message \(message)")
    }
    let info = router.table.command(for: arguments)
    if let info {
        var slots = Set<UInt16>()
        let search = visit(info, arguments, includingNotKeys: true, what) { slots.insert(HashSlot.of(arguments[$0])) }
        _ = visit(info, arguments, includingNotKeys: false, what) { _ in }
        if search == .complete && info.accepts(argumentCount: count) && !arguments.matches(0, "cluster") {
            switch route {
            case .slot(let slot):
                require(slots == [slot], "\(what): keys in slots \(slots.sorted())")
            case .crossSlot:
                require(slots.count > 1, "\(what): keys in slots \(slots.sorted())")
            case .split(let command):
                require(slots.count > 1 && MultiKeyCommand(info) == command, "\(what): split, keys in slots \(slots.sorted())")
            case .allMasters(let rule):
                require(slots.isEmpty && info.mergeRule == rule, "\(what): to every master, keys in slots \(slots.sorted())")
            case .anyMaster:
                require(slots.isEmpty, "\(what): keys in slots \(slots.sorted())")
            default:
                break
            }
        }
    }
    // Another entry's key search on these arguments: absurd for Redis, but it must stay in bounds.
    let other = entries[Int(hash % UInt64(entries.count))]
    _ = visit(other, arguments, includingNotKeys: hash & (1 << 40) != 0, "\(other.name) on \(describe(arguments))") { _ in }
}

/// `visitKeys`, checking every index it visits and that `keyIndices` lists the same ones.
func visit(_ info: CommandInfo, _ arguments: CommandArguments, includingNotKeys: Bool, _ what: @autoclosure () -> String,
           _ body: (Int) -> Void) -> KeySearch {
    var visited: [Int] = []
    let search = info.visitKeys(in: arguments, includingNotKeys: includingNotKeys) { index in
        require(index >= 0 && index < arguments.count, "\(what()): key index \(index) of \(arguments.count) arguments")
        visited.append(index)
        body(index)
    }
    var listed: [Int] = []
    require(info.keyIndices(in: arguments, includingNotKeys: includingNotKeys, into: &listed) == search && listed == visited,
            "\(what()): keyIndices \(listed) != visitKeys \(visited)")
    return search
}

func describe(_ arguments: CommandArguments) -> String {
    (0..<min(arguments.count, 8)).map { index in
        "\"" + arguments[index].prefix(24).map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined() + "\""
    }.joined(separator: " ") + (arguments.count > 8 ? " …(\(arguments.count))" : "")
}

// MARK: - The fixture

/// The fixture, read once: `Fuzz/Sources/FuzzRouter/` is three levels below the repository.
let commandReply: RESPValue = {
    let file = #filePath
    var root = Substring(file)
    for _ in 0..<4 { root = root[..<(root.lastIndex(of: "/") ?? root.startIndex)] }
    let path = String(root) + "/Tests/ClusterTests/Fixtures/command-7.0.resp"
    guard let handle = fopen(path, "rb") else { fatalError("cannot open \(path)") }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&chunk, 1, chunk.count, handle)
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    // `COMMAND` nests nine levels deep.
    let reader = RESPReader(maxBulkLength: 1 << 20, maxElements: 1 << 16, maxDepth: 16)
    guard let (value, consumed) = try? reader.parse(bytes), consumed == bytes.count else {
        fatalError("\(path) is not one RESP value")
    }
    return value
}()

/// The Redis 7 table and the Redis 6 cut, each with its routers and every entry (subcommands too).
let routers: [(Router, [CommandInfo])] = {
    guard case .array(let entries?) = commandReply else { fatalError("COMMAND fixture is not an array") }
    let redis6: RESPValue = .array(entries.map { entry in
        guard case .array(let fields?) = entry else { return entry }
        return .array(Array(fields.prefix(7)))
    })
    return [commandReply, redis6].map { reply in
        let table = try! CommandTable(reply: reply)
        return (Router(table: table), table.commands.flatMap { [$0] + $0.subcommands })
    }
}()

import RESP

/// What ``LocalCommands/answer(_:state:context:into:)`` did with a command.
public enum LocalOutcome: Sendable, Equatable {
    /// The reply is in the output; the connection goes on.
    case replied
    /// `QUIT`: send the reply, then close the connection.
    case replyThenClose
    /// Not one of the commands answered here; the output is untouched.
    case notLocal
}

/// What local replies need from outside the client's own state.
public struct LocalContext: Sendable {
    /// The backends' `redis_version` (e.g. `7.0.15`), for `HELLO`'s `version`.
    public var serverVersion: [UInt8]
    /// Checks `AUTH` and `HELLO … AUTH`, and decides the user after `RESET`.
    public var authenticator: ClientAuthenticator
    /// The client's address as Redis prints it (`127.0.0.1:51234`, `[::1]:51234`), for `CLIENT INFO`.
    public var clientAddress: [UInt8]
    /// The address the client connected to, same format, for `CLIENT INFO`'s `laddr`.
    public var localAddress: [UInt8]
    /// The client socket's descriptor, for `CLIENT INFO`'s `fd`.
    public var descriptor: Int32
    /// Seconds since the client connected, for `CLIENT INFO`'s `age` (the caller owns the clock).
    public var ageSeconds: Int64
    /// Seconds since the client's previous command, for `CLIENT INFO`'s `idle`.
    public var idleSeconds: Int64

    /// The `CLIENT INFO` fields default to "unknown" values; a session fills in its own.
    public init(
        serverVersion: [UInt8], authenticator: ClientAuthenticator, clientAddress: [UInt8] = [],
        localAddress: [UInt8] = [], descriptor: Int32 = -1, ageSeconds: Int64 = 0, idleSeconds: Int64 = 0
    ) {
        self.serverVersion = serverVersion
        self.authenticator = authenticator
        self.clientAddress = clientAddress
        self.localAddress = localAddress
        self.descriptor = descriptor
        self.ageSeconds = ageSeconds
        self.idleSeconds = idleSeconds
    }
}

/// The commands Ferry answers itself in cluster mode, one client connection at a time, because
/// they concern the connection rather than the data: `PING`, `ECHO`, `QUIT`, `RESET`, `AUTH`,
/// `HELLO`, `SELECT`, `CLIENT SETNAME|GETNAME|ID|INFO|SETINFO` and `CLUSTER KEYSLOT`.
///
/// Replies are byte for byte those of a cluster-enabled Redis 7.0 (Redis 7.2 for `CLIENT SETINFO`
/// and the `lib-*` fields of `CLIENT INFO`), errors and their order included: an arity error or an
/// unknown subcommand comes before `NOAUTH`, as Redis checks them when it looks the command up.
public enum LocalCommands {
    /// Answers `arguments` for the client in `state`, appending the reply (in the client's
    /// protocol) to `output`. `PING`, the common case, does not allocate beyond `output`'s growth.
    public static func answer(
        _ arguments: CommandArguments, state: inout ClientState, context: LocalContext, into output: inout [UInt8]
    ) -> LocalOutcome {
        guard arguments.count > 0 else { return .notLocal }
        let count = arguments.count
        if arguments.matches(0, "ping") {
            guard authorized(state, &output) else { return .replied }
            switch count {
            case 1: Wire.raw("+PONG\r\n", &output)
            case 2: Wire.bulk(arguments[1], &output)
            default: arity("ping", &output)
            }
        } else if arguments.matches(0, "echo") {
            guard count == 2 else { return arity("echo", &output) }
            guard authorized(state, &output) else { return .replied }
            Wire.bulk(arguments[1], &output)
        } else if arguments.matches(0, "quit") {
            // Redis 7.0 answers QUIT before even looking it up: any arguments, no authentication.
            Wire.raw("+OK\r\n", &output)
            return .replyThenClose
        } else if arguments.matches(0, "reset") {
            guard count == 1 else { return arity("reset", &output) }
            state.reset(authenticator: context.authenticator)
            Wire.raw("+RESET\r\n", &output)
        } else if arguments.matches(0, "auth") {
            auth(arguments, &state, context, &output)
        } else if arguments.matches(0, "hello") {
            hello(arguments, &state, context, &output)
        } else if arguments.matches(0, "select") {
            guard count == 2 else { return arity("select", &output) }
            guard authorized(state, &output) else { return .replied }
            select(arguments[1], &output)
        } else if arguments.matches(0, "client") {
            return client(arguments, &state, context, &output)
        } else if arguments.matches(0, "cluster"), count >= 2, arguments.matches(1, "keyslot") {
            guard count == 3 else { return arity("cluster|keyslot", &output) }
            guard authorized(state, &output) else { return .replied }
            Wire.integer(Int64(HashSlot.of(arguments[2])), &output)
        } else {
            return .notLocal
        }
        return .replied
    }

    // MARK: - Commands

    /// `AUTH [user] password`; one argument means the `default` user.
    private static func auth(
        _ arguments: CommandArguments, _ state: inout ClientState, _ context: LocalContext, _ output: inout [UInt8]
    ) {
        guard arguments.count >= 2 else {
            arity("auth", &output)
            return
        }
        guard arguments.count <= 3 else { return Wire.raw("-ERR syntax error\r\n", &output) }
        let user: [UInt8]?
        if arguments.count == 2 {
            guard context.authenticator.isRequired else {
                return Wire.raw(
                    "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
                    &output)
            }
            user = ClientAuthenticator.defaultUserName.withUnsafeBytes {
                context.authenticator.authenticate(user: $0, password: arguments[1])
            }
        } else {
            user = context.authenticator.authenticate(user: arguments[1], password: arguments[2])
        }
        guard let user else { return wrongPassword(&output) }
        state.user = user
        Wire.raw("+OK\r\n", &output)
    }

    /// `HELLO [protover [AUTH user pass] [SETNAME name]]`, as Redis 7.0 runs it: options take
    /// effect one by one as they are read, so a later bad option leaves earlier ones applied.
    private static func hello(
        _ arguments: CommandArguments, _ state: inout ClientState, _ context: LocalContext, _ output: inout [UInt8]
    ) {
        var version = 0
        if arguments.count >= 2 {
            guard let requested = RedisDecimal.parse(arguments[1]) else {
                return Wire.raw("-ERR Protocol version is not an integer or out of range\r\n", &output)
            }
            guard requested == 2 || requested == 3 else {
                return Wire.raw("-NOPROTO unsupported protocol version\r\n", &output)
            }
            version = Int(requested)
        }
        var index = 2
        while index < arguments.count {
            let more = arguments.count - 1 - index
            // Redis compares options with strcasecmp: a NUL byte ends the option.
            if matchesCString(arguments[index], "auth"), more >= 2 {
                let password = arguments[index + 2]
                guard let user = context.authenticator.authenticate(user: arguments[index + 1], password: password) else {
                    return wrongPassword(&output)
                }
                state.user = user
                index += 3
            } else if matchesCString(arguments[index], "setname"), more >= 1 {
                guard setName(arguments[index + 1], &state) else { return invalidName(&output) }
                index += 2
            } else {
                Wire.raw("-ERR Syntax error in HELLO option '", &output)
                Wire.formatted(arguments[index], limit: .max, &output)
                return Wire.raw("'\r\n", &output)
            }
        }
        guard state.isAuthenticated else {
            return Wire.raw(
                "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
                &output)
        }
        if version != 0 { state.protocolVersion = version }
        Wire.header(state.isRESP3 ? UInt8(ascii: "%") : UInt8(ascii: "*"), state.isRESP3 ? 7 : 14, &output)
        Wire.raw("$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n", &output)
        context.serverVersion.withUnsafeBytes { Wire.bulk($0, &output) }
        Wire.raw("$5\r\nproto\r\n", &output)
        Wire.integer(Int64(state.protocolVersion), &output)
        Wire.raw("$2\r\nid\r\n", &output)
        Wire.integer(Int64(truncatingIfNeeded: state.id), &output)
        Wire.raw("$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n", &output)
    }

    /// `SELECT index`: only database 0 exists in a cluster.
    private static func select(_ argument: UnsafeRawBufferPointer, _ output: inout [UInt8]) {
        guard let index = RedisDecimal.parse(argument) else {
            return Wire.raw("-ERR value is not an integer or out of range\r\n", &output)
        }
        guard Int64(Int32.min)...Int64(Int32.max) ~= index else {
            return Wire.raw("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", &output)
        }
        guard index == 0 else { return Wire.raw("-ERR SELECT is not allowed in cluster mode\r\n", &output) }
        Wire.raw("+OK\r\n", &output)
    }

    /// The `CLIENT` subcommands about the connection itself; the other known ones are not local.
    private static func client(
        _ arguments: CommandArguments, _ state: inout ClientState, _ context: LocalContext, _ output: inout [UInt8]
    ) -> LocalOutcome {
        let count = arguments.count
        guard count >= 2 else { return arity("client", &output) }
        if arguments.matches(1, "setname") {
            guard count == 3 else { return arity("client|setname", &output) }
            guard authorized(state, &output) else { return .replied }
            guard setName(arguments[2], &state) else {
                invalidName(&output)
                return .replied
            }
            Wire.raw("+OK\r\n", &output)
        } else if arguments.matches(1, "getname") {
            guard count == 2 else { return arity("client|getname", &output) }
            guard authorized(state, &output) else { return .replied }
            if let name = state.name {
                name.withUnsafeBytes { Wire.bulk($0, &output) }
            } else {
                Wire.null(state, &output)
            }
        } else if arguments.matches(1, "id") {
            guard count == 2 else { return arity("client|id", &output) }
            guard authorized(state, &output) else { return .replied }
            Wire.integer(Int64(truncatingIfNeeded: state.id), &output)
        } else if arguments.matches(1, "info") {
            guard count == 2 else { return arity("client|info", &output) }
            guard authorized(state, &output) else { return .replied }
            var line: [UInt8] = []
            state.appendInfoLine(to: &line, context: context)
            // Redis sends it as a verbatim string: a bulk string in RESP2, `=…txt:` in RESP3.
            if state.isRESP3 {
                Wire.header(UInt8(ascii: "="), line.count + 4, &output)
                Wire.raw("txt:", &output)
                output.append(contentsOf: line)
                Wire.raw("\r\n", &output)
            } else {
                line.withUnsafeBytes { Wire.bulk($0, &output) }
            }
        } else if arguments.matches(1, "setinfo") {
            guard count == 4 else { return arity("client|setinfo", &output) }
            guard authorized(state, &output) else { return .replied }
            setInfo(arguments[2], arguments[3], &state, &output)
        } else if otherClientSubcommands.contains(where: { arguments.matches(1, $0) }) {
            return .notLocal
        } else {
            Wire.raw("-ERR unknown subcommand '", &output)
            Wire.formatted(arguments[1], limit: 128, &output)
            Wire.raw("'. Try CLIENT HELP.\r\n", &output)
        }
        return .replied
    }

    /// The `CLIENT` subcommands Redis 7.2 knows and Ferry does not answer here.
    private static let otherClientSubcommands: [StaticString] = [
        "caching", "getredir", "help", "kill", "list", "no-evict", "no-touch", "pause", "reply", "tracking",
        "trackinginfo", "unblock", "unpause",
    ]

    /// `CLIENT SETINFO LIB-NAME|LIB-VER value` (Redis 7.2); an empty value unsets the attribute.
    private static func setInfo(
        _ attribute: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ state: inout ClientState,
        _ output: inout [UInt8]
    ) {
        let isName = matchesCString(attribute, "lib-name")
        guard isName || matchesCString(attribute, "lib-ver") else {
            Wire.raw("-ERR Unrecognized option '", &output)
            Wire.formatted(attribute, limit: .max, &output)
            return Wire.raw("'\r\n", &output)
        }
        guard isPrintable(value) else {
            Wire.raw("-ERR ", &output)
            Wire.formatted(attribute, limit: .max, &output)
            return Wire.raw(" cannot contain spaces, newlines or special characters.\r\n", &output)
        }
        let stored = value.isEmpty ? nil : Array(value)
        if isName { state.libraryName = stored } else { state.libraryVersion = stored }
        Wire.raw("+OK\r\n", &output)
    }

    // MARK: - Helpers

    /// Sets (or, when empty, unsets) the client name; false when the name has a byte outside `!`…`~`.
    private static func setName(_ name: UnsafeRawBufferPointer, _ state: inout ClientState) -> Bool {
        guard isPrintable(name) else { return false }
        state.name = name.isEmpty ? nil : Array(name)
        return true
    }

    /// Redis's rule for names shown in `CLIENT LIST`: every byte in `!`…`~`, so fields split on spaces.
    private static func isPrintable(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { (UInt8(ascii: "!")...UInt8(ascii: "~")).contains($0) }
    }

    /// `strcasecmp` against a lower-case keyword: the argument ends at its first NUL byte.
    private static func matchesCString(_ argument: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        let length = argument.firstIndex(of: 0) ?? argument.count
        guard length == lowercase.utf8CodeUnitCount else { return false }
        return (0..<length).allSatisfy { ASCII.lowercased(argument[$0]) == lowercase.utf8Start[$0] }
    }

    /// NOAUTH unless the client is authenticated; checked after arity, as Redis does.
    @inline(__always)
    private static func authorized(_ state: ClientState, _ output: inout [UInt8]) -> Bool {
        if state.isAuthenticated { return true }
        output.append(contentsOf: ClientAuthenticator.noAuthReply)
        return false
    }

    /// `ERR wrong number of arguments for '<name>' command`, with Redis's full (`a|b`) name.
    @discardableResult
    private static func arity(_ name: StaticString, _ output: inout [UInt8]) -> LocalOutcome {
        Wire.raw("-ERR wrong number of arguments for '", &output)
        Wire.raw(name, &output)
        Wire.raw("' command\r\n", &output)
        return .replied
    }

    private static func wrongPassword(_ output: inout [UInt8]) {
        Wire.raw("-WRONGPASS invalid username-password pair or user is disabled.\r\n", &output)
    }

    private static func invalidName(_ output: inout [UInt8]) {
        Wire.raw("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", &output)
    }
}

/// The few RESP encodings local replies use, appended to a reply buffer.
private enum Wire {
    @inline(__always) static func raw(_ text: StaticString, _ output: inout [UInt8]) {
        output.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `<type><count>\r\n`: an aggregate header or a blob length.
    static func header(_ type: UInt8, _ count: Int, _ output: inout [UInt8]) {
        output.append(type)
        RedisDecimal.append(Int64(count), to: &output)
        raw("\r\n", &output)
    }

    static func bulk(_ bytes: UnsafeRawBufferPointer, _ output: inout [UInt8]) {
        header(UInt8(ascii: "$"), bytes.count, &output)
        output.append(contentsOf: bytes)
        raw("\r\n", &output)
    }

    static func integer(_ value: Int64, _ output: inout [UInt8]) {
        output.append(UInt8(ascii: ":"))
        RedisDecimal.append(value, to: &output)
        raw("\r\n", &output)
    }

    /// A null bulk string: `$-1` in RESP2, `_` in RESP3.
    static func null(_ state: ClientState, _ output: inout [UInt8]) {
        raw(state.isRESP3 ? "_\r\n" : "$-1\r\n", &output)
    }

    /// An argument inside an error message as Redis's `%s` (or `%.128s`) prints it: up to the
    /// first NUL byte, at most `limit` bytes, CR and LF turned into spaces so the line stays one line.
    static func formatted(_ bytes: UnsafeRawBufferPointer, limit: Int, _ output: inout [UInt8]) {
        for byte in bytes.prefix(limit) {
            if byte == 0 { break }
            output.append(byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") ? UInt8(ascii: " ") : byte)
        }
    }
}

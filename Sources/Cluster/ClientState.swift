import RESP

/// What one client connection has told Ferry about itself, kept per client because in cluster mode
/// the backend connections are shared: `HELLO`, `AUTH`, `CLIENT SETNAME` and friends cannot be
/// forwarded, so ``LocalCommands`` answers them from this value.
///
/// A small value owned by the client's session; nothing here is shared between connections.
public struct ClientState: Sendable, Equatable {
    /// Ferry's own id for the connection (`CLIENT ID`, `HELLO`'s `id`), assigned by the caller.
    public var id: UInt64
    /// RESP version of the replies: 2, or 3 after `HELLO 3`.
    public var protocolVersion: Int
    /// The user the client is authenticated as; `nil` until it authenticates. A connection starts
    /// as ``ClientAuthenticator/initialUser`` (`default` when no users are configured).
    public var user: [UInt8]?
    /// `CLIENT SETNAME` / `HELLO … SETNAME`; `nil` when unnamed (an empty name unsets it).
    public var name: [UInt8]?
    /// `CLIENT SETINFO LIB-NAME`; kept across `RESET`, as Redis does.
    public var libraryName: [UInt8]?
    /// `CLIENT SETINFO LIB-VER`; kept across `RESET`, as Redis does.
    public var libraryVersion: [UInt8]?

    /// A new connection: RESP2, unnamed, authenticated as `user` (or not at all when `nil`).
    public init(id: UInt64, user: [UInt8]?) {
        self.id = id
        self.protocolVersion = 2
        self.user = user
    }

    /// A new connection as `authenticator` starts it.
    public init(id: UInt64, authenticator: ClientAuthenticator) {
        self.init(id: id, user: authenticator.initialUser)
    }

    /// True once the client may run commands other than `AUTH`, `HELLO`, `QUIT` and `RESET`.
    @inline(__always) public var isAuthenticated: Bool { user != nil }

    /// True when replies use RESP3 types (`_` for null, `%` maps, `=` verbatim strings).
    @inline(__always) public var isRESP3: Bool { protocolVersion == 3 }

    /// `RESET`: back to a new connection's state. RESP2, no name, and the default user, which
    /// de-authenticates the client whenever authentication is configured. Redis keeps the library
    /// name and version: they still describe the client behind the connection.
    public mutating func reset(authenticator: ClientAuthenticator) {
        protocolVersion = 2
        name = nil
        user = authenticator.initialUser
    }

    /// The `CLIENT INFO` line, fields in Redis 7.2's order (Redis 7.0's line plus `lib-name` and
    /// `lib-ver`), ending in `\n`. Ferry has no database, subscriptions or per-client buffers of
    /// the kind Redis reports, so those fields hold the values of an idle client that never used them.
    public func appendInfoLine(to output: inout [UInt8], context: LocalContext) {
        func field(_ key: StaticString, _ value: [UInt8]?) {
            output.append(contentsOf: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            if let value { output.append(contentsOf: value) }
        }
        func number(_ key: StaticString, _ value: Int64) {
            field(key, nil)
            RedisDecimal.append(value, to: &output)
        }
        number("id=", Int64(truncatingIfNeeded: id))
        field(" addr=", context.clientAddress)
        field(" laddr=", context.localAddress)
        number(" fd=", Int64(context.descriptor))
        field(" name=", name)
        number(" age=", context.ageSeconds)
        number(" idle=", context.idleSeconds)
        field(" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0", nil)
        field(" rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info", nil)
        field(" user=", user ?? ClientAuthenticator.defaultUserName)
        field(" redir=-1 resp=", nil)
        RedisDecimal.append(Int64(protocolVersion), to: &output)
        field(" lib-name=", libraryName)
        field(" lib-ver=", libraryVersion)
        output.append(UInt8(ascii: "\n"))
    }
}

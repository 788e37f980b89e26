import RESP

/// Client authentication in cluster mode: the users of `proxy.auth`, checked by `AUTH` and
/// `HELLO … AUTH` the way Redis checks its ACL users.
///
/// Ferry, not the backends, authenticates clients, since backend connections are shared. The
/// configured users map onto Redis ACL users as follows, so every reply matches Redis's:
/// - no users: Redis's default `user default on nopass`. Every client starts authenticated as
///   `default`; `AUTH <password>` answers Redis's "called without any password configured" error;
///   `AUTH default <anything>` succeeds and any other user name is refused.
/// - users: each one `on` with its password. A user named `default` is what `AUTH <password>` and
///   `requirepass` check; without one, the default user is `off` and clients start unauthenticated.
public struct ClientAuthenticator: Sendable, Equatable {
    /// One `proxy.auth` entry; the password as read from its `password_file`.
    public struct User: Sendable, Equatable {
        /// Compared byte for byte: Redis user names are case-sensitive.
        public var name: [UInt8]
        /// Any bytes, compared byte for byte; empty is a valid password.
        public var password: [UInt8]

        /// A user as configured.
        public init(name: [UInt8], password: [UInt8]) {
            self.name = name
            self.password = password
        }
    }

    /// The configured users, in configuration order; a repeated name keeps only its first entry
    /// (Redis refuses an ACL file that repeats a user: configuration validation should too).
    public let users: [User]

    /// Redis's name for the user of `AUTH <password>` and of a client that never authenticated.
    public static let defaultUserName: [UInt8] = Array("default".utf8)

    /// The `proxy.auth` users; none (the default) means every client is authenticated.
    public init(users: [User] = []) {
        var unique: [User] = []
        for user in users where !unique.contains(where: { $0.name == user.name }) {
            unique.append(user)
        }
        self.users = unique
    }

    /// True when clients must authenticate before running commands.
    @inline(__always) public var isRequired: Bool { !users.isEmpty }

    /// The user a new connection, and one after `RESET`, is authenticated as: `default` when no
    /// users are configured, `nil` (not authenticated) otherwise.
    public var initialUser: [UInt8]? { isRequired ? nil : Self.defaultUserName }

    /// Checks `AUTH user password`: the configured user's name (to store in ``ClientState/user``)
    /// when both match, `nil` otherwise, including for an unknown user.
    ///
    /// The time taken depends only on the lengths of the configured users and of the arguments,
    /// never on where a name or password first differs: every user's name and password are
    /// compared in full, and nothing exits early.
    public func authenticate(user: UnsafeRawBufferPointer, password: UnsafeRawBufferPointer) -> [UInt8]? {
        guard isRequired else {
            // `default` has `nopass`: any password is accepted for it, and there is no other user.
            return Self.equal(user, Self.defaultUserName) ? Self.defaultUserName : nil
        }
        var match = -1
        for (index, candidate) in users.enumerated() {
            let nameMatches = Self.equal(user, candidate.name)
            let passwordMatches = Self.equal(password, candidate.password)
            // Branch-free on the secret: keep the first match without a data-dependent exit.
            let hit = nameMatches && passwordMatches && match < 0
            match = hit ? index : match
        }
        return match >= 0 ? users[match].name : nil
    }

    /// The same with byte arrays (configuration checks and tests).
    public func authenticate(user: [UInt8], password: [UInt8]) -> [UInt8]? {
        user.withUnsafeBytes { user in password.withUnsafeBytes { authenticate(user: user, password: $0) } }
    }

    /// True for the commands Redis runs before authentication (its `no_auth` flag): `AUTH`,
    /// `HELLO`, `QUIT` and `RESET`. `PING` is not one of them.
    public static func allowsUnauthenticated(_ arguments: CommandArguments) -> Bool {
        guard arguments.count > 0 else { return false }
        return arguments.matches(0, "auth") || arguments.matches(0, "hello") || arguments.matches(0, "quit")
            || arguments.matches(0, "reset")
    }

    /// True when `arguments` must be refused with ``noAuthReply`` for a client in `state`.
    ///
    /// Redis checks the command name and arity first: an unknown command or a wrong argument count
    /// gets its own error even before authentication. ``LocalCommands`` follows that order for its
    /// commands; a caller forwarding other commands should check arity (the command table) first.
    @inline(__always)
    public static func rejects(_ arguments: CommandArguments, state: ClientState) -> Bool {
        !state.isAuthenticated && !allowsUnauthenticated(arguments)
    }

    /// Redis's reply to a command sent before authentication (the same in RESP2 and RESP3).
    public static let noAuthReply: [UInt8] = Array("-NOAUTH Authentication required.\r\n".utf8)

    /// Constant-time equality: every byte of `expected` is looked at whatever `given` holds.
    /// A length difference is not hidden (the configured lengths are not secret enough to pad).
    static func equal(_ given: UnsafeRawBufferPointer, _ expected: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: given.count ^ expected.count)
        difference |= given.count == expected.count ? 0 : 1
        expected.withUnsafeBufferPointer { expected in
            for index in 0..<expected.count {
                // Past the end of a shorter `given`, compare with its own bytes (or zero).
                let byte = given.isEmpty ? 0 : given[index % given.count]
                difference |= byte ^ expected[index]
            }
        }
        return difference == 0
    }
}

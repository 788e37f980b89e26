import Yams

/// `proxy:` — the mode, the client-facing listener, the relay's limits and, in cluster mode, the
/// users clients authenticate as.
extension ConfigDecoder {
    static let proxyKeys = ["mode", "listen", "threads", "maxconn", "timeouts", "shutdown_grace", "auth"]
    static let timeoutKeys = ["connect", "client_idle", "server_idle", "client_fin"]

    /// What a key that needs cluster mode is told in tcp mode.
    static let clusterModeOnly = "only used with proxy.mode: cluster"

    /// Reads `proxy:` and returns the mode the rest of the file is checked against: the one
    /// written, or the default; `nil` when it could not be read, so the rules that depend on it
    /// are skipped rather than reported on a guess.
    func decodeProxy(_ value: ConfigValue, into proxy: inout ProxyConfig) -> ProxyMode? {
        guard let fields = mapping(value, keys: Self.proxyKeys) else { return nil }
        var mode: ProxyMode? = proxy.mode
        if let field = fields["mode"] {
            mode = choice(field, ProxyMode.self)
            if let mode { proxy.mode = mode }
        }
        if let listen = fields["listen"],
           let endpoints = endpoints(listen, allowSingle: true, whenEmpty: "must list at least one address") {
            proxy.listen = endpoints
        }
        if let threads = fields["threads"],
           // Bounded so a typo cannot start a million threads; 0 is resolved to the CPU count at start.
           let number = integer(threads, 0...1024, "must be an integer from 0 to 1024 (0 = one per CPU)") {
            proxy.threads = number
        }
        if let maxconn = fields["maxconn"], let number = integer(maxconn, 1...1_000_000) {
            proxy.maxconn = number
        }
        if let timeouts = fields["timeouts"], let entries = mapping(timeouts, keys: Self.timeoutKeys) {
            // 0 means "no timeout" for each of them, stored as nil.
            if let entry = entries["connect"], let duration = duration(entry) {
                proxy.timeouts.connect = duration == .zero ? nil : duration
            }
            if let entry = entries["client_idle"], let duration = duration(entry) {
                proxy.timeouts.clientIdle = duration == .zero ? nil : duration
            }
            if let entry = entries["server_idle"], let duration = duration(entry) {
                proxy.timeouts.serverIdle = duration == .zero ? nil : duration
            }
            if let entry = entries["client_fin"], let duration = duration(entry) {
                proxy.timeouts.clientFin = duration == .zero ? nil : duration
            }
        }
        if let grace = fields["shutdown_grace"], let duration = duration(grace) {
            proxy.shutdownGrace = duration
        }
        // A null `auth:` is "not set", in either mode.
        if let auth = fields["auth"], !auth.node.isNull {
            if mode == .tcp {
                // The password files are not read: nothing would use them.
                report(auth.key, at: auth.keyMark, Self.clusterModeOnly + " (in tcp mode the servers do their own AUTH)")
            } else if let users = users(auth) {
                proxy.auth = users
            }
        }
        return mode
    }

    /// `proxy.auth`: a list of users, or one user's mapping, each read like `stats.auth` but with an
    /// optional username (none is Redis's `default` user), and no user twice.
    private func users(_ value: ConfigValue) -> [Credentials]? {
        let items: [ConfigValue]
        if case .mapping = value.node {
            items = [value]
        } else {
            guard let list = list(value) else { return nil }
            items = list
        }
        var users: [Credentials] = []
        var firstUse: [String: (key: String, named: Bool)] = [:]  // user → where it was first given
        var allValid = true
        for item in items {
            if item.node.isNull {
                // A bare `-` is an entry without its password, not "no authentication".
                report(item.path("password_file"), at: item.ownerMark, "required", missing: true)
                allValid = false
                continue
            }
            let user = credentials(item, usernameRequired: false) { field, username in
                let name = username ?? "default"
                guard let first = firstUse[name] else {
                    firstUse[name] = (field?.key ?? item.key, field != nil)
                    return true
                }
                // Redis refuses an ACL file that repeats a user, and an unnamed entry is `default`.
                let implicit = field == nil || !first.named ? " (an entry without a username is for the default user)" : ""
                report(field?.key ?? item.key, at: field?.mark ?? item.ownerMark, "duplicate of \(first.key)\(implicit)")
                return false
            }
            if let user {
                users.append(user)
            } else {
                allValid = false
            }
        }
        return allValid ? users : nil
    }
}

import Yams

/// Builds a ``FerryConfig`` from a composed YAML tree, applying every rule of the file format.
///
/// It does not stop at the first problem: it records each one with its position and carries on
/// with the default, so that ``firstProblem`` is the first *in document order* even when a rule
/// that spans two keys (`health.timeout` ≤ `health.interval`) is only checked after both were read.
/// Not thread-safe; one decoder reads one document.
///
/// One file per section that has grown rules of its own, like HAProxy's `cfgparse-*.c`:
/// `ConfigDecoder+Proxy.swift` (`proxy:`) and `ConfigDecoder+Cluster.swift` (`cluster:`); the value
/// readers they share are in the Values part below.
final class ConfigDecoder {
    private let path: String
    private var problems: [(line: Int, column: Int, order: Int, error: ConfigError)] = []

    /// `path` appears in messages and anchors relative `password_file` paths.
    init(path: String) {
        self.path = path
    }

    /// The first problem in document order; problems without a position (a missing section) last.
    var firstProblem: ConfigError? { allProblems.first }

    /// Every problem found, in document order.
    var allProblems: [ConfigError] {
        problems.sorted { ($0.line, $0.column, $0.order) < ($1.line, $1.column, $1.order) }.map(\.error)
    }

    // MARK: - Sections

    static let sectionKeys = ["proxy", "cluster", "backends", "health", "stats", "vrrp", "log"]
    static let backendKeys = ["select", "servers", "on_down", "retries", "auth"]
    static let healthKeys = ["interval", "timeout", "rise", "fall", "auth"]
    static let statsKeys = ["listen", "path", "refresh", "auth"]
    static let credentialKeys = ["username", "password_file"]
    static let vrrpKeys = [
        "name", "interface", "vrid", "version", "priority", "advert_interval", "preempt", "preempt_delay",
        "virtual_ips", "unicast_peers", "track_backends_weight", "garp", "notify",
    ]
    static let garpKeys = ["count", "repeat_after", "refresh"]
    static let logKeys = ["level", "format"]

    private static let serversRequired = "required, at least one server"

    /// Reads the whole document; `root` is `nil` for an empty file (or one with only comments).
    func decode(_ root: Node?) -> FerryConfig {
        var config = FerryConfig()
        config.path = path
        let document = ConfigValue(node: root ?? Node(""), key: "", keyMark: nil)
        guard let sections = mapping(
            document,
            keys: Self.sectionKeys,
            notAMapping: "the file must be a mapping with the sections proxy, cluster, backends, health, stats, vrrp and log"
        ) else { return config }

        // The mode `cluster:` is checked against; `nil` when it could not be read.
        var mode: ProxyMode? = config.proxy.mode
        if let proxy = sections["proxy"] { mode = decodeProxy(proxy, into: &config.proxy) }
        if let cluster = sections["cluster"] { decodeCluster(cluster, mode: mode, into: &config.cluster) }
        if let backends = sections["backends"] {
            decodeBackends(backends, mode: mode, into: &config.backends)
        } else {
            // Nowhere to point: the section is not there at all.
            report("backends.servers", at: nil, Self.serversRequired)
        }
        if let health = sections["health"] { decodeHealth(health, into: &config.health) }
        if let stats = sections["stats"] { decodeStats(stats, into: &config.stats) }
        if let vrrp = sections["vrrp"] { config.vrrp = decodeVRRP(vrrp) }
        if let log = sections["log"] { decodeLog(log, into: &config.log) }
        return config
    }

    private func decodeBackends(_ value: ConfigValue, mode: ProxyMode?, into backends: inout BackendsConfig) {
        guard let fields = mapping(value, keys: Self.backendKeys) else { return }
        if let select = fields["select"], let selection = choice(select, BackendSelection.self) {
            backends.select = selection
        }
        if let servers = fields["servers"] {
            if let endpoints = endpoints(servers, allowSingle: false, whenEmpty: Self.serversRequired) {
                backends.servers = endpoints
            }
        } else {
            report(value.path("servers"), at: value.ownerMark, Self.serversRequired, missing: true)
        }
        if let onDown = fields["on_down"], let action = choice(onDown, OnDownAction.self) {
            backends.onDown = action
        }
        if let retries = fields["retries"], let number = integer(retries, 0...10) {
            backends.retries = number
        }
        // A null `auth:` is "not set", in either mode.
        if let auth = fields["auth"], !auth.node.isNull {
            if mode == .tcp {
                report(auth.key, at: auth.keyMark, Self.clusterModeOnly + " (in tcp mode each client authenticates itself)")
            } else {
                backends.auth = credentials(auth, usernameRequired: false)
            }
        }
    }

    private func decodeHealth(_ value: ConfigValue, into health: inout HealthConfig) {
        guard let fields = mapping(value, keys: Self.healthKeys) else { return }
        var intervalIsValid = true
        if let interval = fields["interval"] {
            intervalIsValid = false
            if let duration = duration(interval) {
                // Faster than this is a busy loop against Redis, not a health check.
                if duration < .milliseconds(10) {
                    report(interval, "must be at least 10ms")
                } else {
                    health.interval = duration
                    intervalIsValid = true
                }
            }
        }
        if let timeout = fields["timeout"], let duration = duration(timeout) {
            if duration == .zero {
                report(timeout, "must be greater than 0")
            } else if intervalIsValid && duration > health.interval {
                // A check still running when the next is due would overlap it.
                report(timeout, "must not be longer than health.interval (\(DurationSyntax.format(health.interval)))")
            } else {
                health.timeout = duration
            }
        }
        if let rise = fields["rise"], let number = integer(rise, 1...Int.max) { health.rise = number }
        if let fall = fields["fall"], let number = integer(fall, 1...Int.max) { health.fall = number }
        if let auth = fields["auth"] { health.auth = credentials(auth, usernameRequired: false) }
    }

    private func decodeStats(_ value: ConfigValue, into stats: inout StatsConfig) {
        guard let fields = mapping(value, keys: Self.statsKeys) else { return }
        if let listen = fields["listen"], let endpoint = endpoint(listen) { stats.listen = endpoint }
        if let path = fields["path"], let text = string(path) {
            if !text.hasPrefix("/") {
                report(path, "must start with /")
            } else if text.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }) {
                report(path, "must be a plain URL path, without spaces, ? or #")
            } else {
                stats.path = text
            }
        }
        if let refresh = fields["refresh"], let duration = duration(refresh) {
            // The page reloads itself this often; sub-second refreshes only load the server.
            if duration != .zero && duration < .seconds(1) {
                report(refresh, "must be 0 (no automatic refresh) or at least 1s")
            } else {
                stats.refresh = duration
            }
        }
        if let auth = fields["auth"] { stats.auth = credentials(auth, usernameRequired: true) }
    }

    private func decodeVRRP(_ value: ConfigValue) -> [VRRPInstanceConfig] {
        guard let items = list(value) else { return [] }
        var instances: [VRRPInstanceConfig] = []
        var nameOwners: [String: String] = [:]  // name → key of its first use
        var vridOwners: [String: String] = [:]  // "interface vrid" → key of its first use
        for item in items {
            guard let fields = mapping(item, keys: Self.vrrpKeys) else { continue }
            func required(_ key: String) -> ConfigValue? {
                if let field = fields[key] { return field }
                report(item.path(key), at: item.ownerMark, "required", missing: true)
                return nil
            }

            var name: String?
            if let field = required("name"), let text = nonEmptyString(field) {
                if let first = nameOwners[text] {
                    report(field, "duplicate of \(first)")
                } else {
                    nameOwners[text] = field.key
                    name = text
                }
            }
            var interface: String?
            if let field = required("interface"), let text = nonEmptyString(field) {
                if Self.isInterfaceName(text) {
                    interface = text
                } else {
                    report(field, "must be a network interface name (at most 15 characters, without /, : or spaces)")
                }
            }
            var vrid: Int?
            if let field = required("vrid"), let number = integer(field, 1...255) {
                // Two routers with one VRID on one link would fight over the same virtual MAC.
                if let interface {
                    let slot = "\(interface) \(number)"
                    if let first = vridOwners[slot] {
                        report(field, "duplicate of \(first) (same interface \(interface))")
                    } else {
                        vridOwners[slot] = field.key
                    }
                }
                vrid = number
            }

            var instance = VRRPInstanceConfig(name: name ?? "", interface: interface ?? "", vrid: vrid ?? 1)
            var versionIsValid = true
            if let field = fields["version"] {
                if let text = field.node.plainText, text == "2" || text == "3" {
                    instance.version = Int(text)!
                } else {
                    report(field, "must be 2 or 3")
                    versionIsValid = false
                }
            }
            if let field = fields["priority"], let number = integer(field, 1...255) { instance.priority = number }
            if let field = fields["advert_interval"], let duration = duration(field), versionIsValid {
                if let problem = Self.advertIntervalProblem(duration, version: instance.version) {
                    report(field, problem)
                } else {
                    instance.advertInterval = duration
                }
            }
            if let field = fields["preempt"], let flag = bool(field) { instance.preempt = flag }
            if let field = fields["preempt_delay"], let duration = duration(field) {
                if duration > .seconds(1000) {
                    report(field, "must be from 0s to 1000s")
                } else {
                    instance.preemptDelay = duration
                }
            }
            if let field = required("virtual_ips"), let addresses = virtualIPs(field) {
                instance.virtualIPs = addresses
            }
            if let field = fields["unicast_peers"], let peers = ipv4List(field) { instance.unicastPeers = peers }
            if let field = fields["track_backends_weight"], let number = integer(field, -254...254) {
                instance.trackBackendsWeight = number
            }
            if let field = fields["garp"], let entries = mapping(field, keys: Self.garpKeys) {
                if let entry = entries["count"], let number = integer(entry, 0...100) { instance.garp.count = number }
                if let entry = entries["repeat_after"], let duration = duration(entry) {
                    instance.garp.repeatAfter = duration == .zero ? nil : duration
                }
                if let entry = entries["refresh"], let duration = duration(entry) {
                    instance.garp.refresh = duration == .zero ? nil : duration
                }
            }
            if let field = fields["notify"], let text = nonEmptyString(field) { instance.notify = text }

            if name != nil, interface != nil, vrid != nil { instances.append(instance) }
        }
        return instances
    }

    /// The advertisement interval each protocol version can carry: v3 counts centiseconds in
    /// 12 bits (RFC 9568 §5.2.7), v2 whole seconds in 8 bits (RFC 3768 §5.3.7).
    static func advertIntervalProblem(_ interval: Duration, version: Int) -> String? {
        if version == 2 {
            guard interval.components.attoseconds == 0, interval >= .seconds(1), interval <= .seconds(255) else {
                return "must be whole seconds from 1s to 255s (VRRPv2)"
            }
        } else {
            let tenMilliseconds: Int64 = 10_000_000_000_000_000  // in attoseconds
            guard interval.components.attoseconds % tenMilliseconds == 0,
                  interval >= .milliseconds(10), interval <= .milliseconds(40_950)
            else {
                return "must be from 10ms to 40.95s in steps of 10ms (VRRPv3 counts centiseconds)"
            }
        }
        return nil
    }

    /// Linux's rules for a device name (`dev_valid_name`): 1…15 bytes, not `.`/`..`, no `/`, `:`
    /// or white space.
    static func isInterfaceName(_ name: String) -> Bool {
        guard (1...15).contains(name.utf8.count), name != ".", name != ".." else { return false }
        return !name.contains { $0 == "/" || $0 == ":" || $0.isWhitespace }
    }

    private func decodeLog(_ value: ConfigValue, into log: inout LogConfig) {
        guard let fields = mapping(value, keys: Self.logKeys) else { return }
        if let level = fields["level"], let choice = choice(level, LogConfig.Level.self) { log.level = choice }
        if let format = fields["format"], let choice = choice(format, LogConfig.Format.self) { log.format = choice }
    }

    // MARK: - Values
    // Internal rather than private: the sections in ConfigDecoder+*.swift read their values here.

    /// Records a problem with `value`.
    func report(_ value: ConfigValue, _ message: String) {
        report(value.key, at: value.mark, message)
    }

    /// Records a problem at `mark`; `nil` sorts after everything that has a position.
    /// A `missing` key is reported on the line that opens its mapping, but after any other problem
    /// on that line: `auth: {password: x}` is better explained by "unknown key password" than by
    /// "password_file: required".
    func report(_ key: String, at mark: Mark?, _ message: String, missing: Bool = false) {
        let error = ConfigError(path: path, line: mark?.line, key: key, message: message)
        let column = missing ? .max : mark?.column ?? .max
        problems.append((mark?.line ?? .max, column, problems.count, error))
    }

    /// The known keys of a mapping. Reports unknown, repeated and non-name keys (and skips them);
    /// a null value (`section:` with nothing under it) is an empty mapping.
    func mapping(_ value: ConfigValue, keys allowed: [String], notAMapping: String = "must be a mapping")
        -> [String: ConfigValue]?
    {
        if value.node.isNull { return [:] }
        guard case .mapping(let mapping) = value.node else {
            report(value, notAMapping)
            return nil
        }
        var fields: [String: ConfigValue] = [:]
        var firstLines: [String: Int] = [:]
        for (keyNode, child) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(value.key, at: keyNode.mark, "keys must be names, not lists or mappings")
                continue
            }
            let name = scalar.string
            let field = ConfigValue(node: child, key: value.path(name), keyMark: keyNode.mark)
            if let firstLine = firstLines[name] {
                report(field.key, at: keyNode.mark, "duplicate key (first on line \(firstLine))")
                continue
            }
            firstLines[name] = keyNode.mark?.line ?? 0
            guard allowed.contains(name) else {
                report(field.key, at: keyNode.mark, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            fields[name] = field
        }
        return fields
    }

    /// The items of a list, each keyed `key[i]`; null is the empty list.
    func list(_ value: ConfigValue) -> [ConfigValue]? {
        if value.node.isNull { return [] }
        guard case .sequence(let sequence) = value.node else {
            report(value, "must be a list")
            return nil
        }
        return sequence.enumerated().map { index, item in
            ConfigValue(node: item, key: "\(value.key)[\(index)]", keyMark: item.mark)
        }
    }

    /// A plain decimal integer within `range`; the message says the range, so it also serves for
    /// values that are not integers at all.
    func integer(_ value: ConfigValue, _ range: ClosedRange<Int>, _ message: String? = nil) -> Int? {
        if let text = value.node.plainText, let number = Int(text), range.contains(number) {
            return number
        }
        report(value, message ?? Self.integerExpectation(range))
        return nil
    }

    static func integerExpectation(_ range: ClosedRange<Int>) -> String {
        range.upperBound == .max
            ? "must be an integer ≥ \(range.lowerBound)"
            : "must be an integer from \(range.lowerBound) to \(range.upperBound)"
    }

    /// `true` or `false`, unquoted. YAML 1.1's `yes`/`on` are refused: they surprise people.
    func bool(_ value: ConfigValue) -> Bool? {
        switch value.node.plainText {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            report(value, "must be true or false")
            return nil
        }
    }

    /// Any scalar that is not null, quoted or not.
    func string(_ value: ConfigValue) -> String? {
        if let text = value.node.text { return text }
        report(value, "must be a string")
        return nil
    }

    func nonEmptyString(_ value: ConfigValue) -> String? {
        guard let text = string(value) else { return nil }
        if text.isEmpty {
            report(value, "must not be empty")
            return nil
        }
        return text
    }

    func duration(_ value: ConfigValue) -> Duration? {
        if let text = value.node.text, let duration = DurationSyntax.parse(text) { return duration }
        report(value, DurationSyntax.expectation)
        return nil
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ value: ConfigValue, _: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        if let text = value.node.text, let choice = Choice(rawValue: text) { return choice }
        report(value, "must be one of: \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        return nil
    }

    func endpoint(_ value: ConfigValue) -> Endpoint? {
        guard let text = value.node.text else {
            report(value, AddressSyntax.endpointExpectation)
            return nil
        }
        do {
            return try AddressSyntax.endpoint(text)
        } catch {
            report(value, error.message)
            return nil
        }
    }

    /// A list of distinct endpoints, at least one; `allowSingle` also takes one bare string.
    func endpoints(_ value: ConfigValue, allowSingle: Bool, whenEmpty: String) -> [Endpoint]? {
        if allowSingle, value.node.text != nil {
            return endpoint(value).map { [$0] }
        }
        guard let items = list(value) else { return nil }
        guard !items.isEmpty else {
            report(value, whenEmpty)
            return nil
        }
        var endpoints: [Endpoint] = []
        var firstIndex: [Endpoint: Int] = [:]
        var allValid = true
        for (index, item) in items.enumerated() {
            guard let endpoint = endpoint(item) else {
                allValid = false
                continue
            }
            if let first = firstIndex[endpoint] {
                report(item, "duplicate of \(value.key)[\(first)]")
                allValid = false
                continue
            }
            firstIndex[endpoint] = index
            endpoints.append(endpoint)
        }
        return allValid ? endpoints : nil
    }

    /// `virtual_ips`: at least one `a.b.c.d/len`, kept as written, no address twice.
    func virtualIPs(_ value: ConfigValue) -> [String]? {
        guard let items = list(value) else { return nil }
        guard !items.isEmpty else {
            report(value, "required, at least one address")
            return nil
        }
        guard items.count <= 255 else {  // the advertisement's address count is one byte
            report(value, "must list at most 255 addresses")
            return nil
        }
        var addresses: [String] = []
        var firstIndex: [Substring: Int] = [:]
        var allValid = true
        for (index, item) in items.enumerated() {
            guard let text = item.node.text, let prefix = AddressSyntax.ipv4Prefix(text) else {
                report(item, "must be an IPv4 address with a prefix length, such as 10.0.0.123/24")
                allValid = false
                continue
            }
            if let first = firstIndex[prefix.address] {
                report(item, "duplicate of \(value.key)[\(first)]")
                allValid = false
                continue
            }
            firstIndex[prefix.address] = index
            addresses.append(text)
        }
        return allValid ? addresses : nil
    }

    /// `unicast_peers`: distinct IPv4 addresses; empty means multicast.
    func ipv4List(_ value: ConfigValue) -> [String]? {
        guard let items = list(value) else { return nil }
        var addresses: [String] = []
        var firstIndex: [String: Int] = [:]
        var allValid = true
        for (index, item) in items.enumerated() {
            guard let text = item.node.text, AddressSyntax.isIPv4(text) else {
                report(item, "must be an IPv4 address such as 10.0.0.2")
                allValid = false
                continue
            }
            if let first = firstIndex[text] {
                report(item, "duplicate of \(value.key)[\(first)]")
                allValid = false
                continue
            }
            firstIndex[text] = index
            addresses.append(text)
        }
        return allValid ? addresses : nil
    }

    /// `auth:` — reads the password file now, so a missing secret fails `check-config` rather than
    /// the first health check at 3 a.m. A null `auth:` means no authentication.
    ///
    /// `acceptUsername` sees the username as soon as it is read (its field, or `nil` when none is
    /// written), so a list of users can refuse a repeated one whatever becomes of the password: it
    /// reports its own problem and returns false to refuse the credentials.
    func credentials(
        _ value: ConfigValue, usernameRequired: Bool,
        acceptUsername: (_ field: ConfigValue?, _ username: String?) -> Bool = { _, _ in true }
    ) -> Credentials? {
        if value.node.isNull { return nil }
        guard let fields = mapping(value, keys: Self.credentialKeys) else { return nil }
        var username: String?
        var usernameIsAccepted = true
        if let field = fields["username"] {
            username = nonEmptyString(field)
            if let username { usernameIsAccepted = acceptUsername(field, username) }
        } else if usernameRequired {
            report(value.path("username"), at: value.ownerMark, "required", missing: true)
        } else {
            usernameIsAccepted = acceptUsername(nil, nil)
        }
        guard let field = fields["password_file"] else {
            report(value.path("password_file"), at: value.ownerMark, "required", missing: true)
            return nil
        }
        guard let file = nonEmptyString(field) else { return nil }
        let resolved = ConfigLoader.resolve(file, relativeTo: path)
        switch ConfigLoader.readSecretFile(resolved, limit: 64 * 1024) {
        case .failure(let error):
            report(field, "\(error)")
            return nil
        case .success(let bytes):
            guard var password = String(validating: bytes, as: UTF8.self) else {
                report(field, "\(resolved) is not UTF-8 text")
                return nil
            }
            // Editors add a final newline; it is never part of the password.
            while let last = password.unicodeScalars.last, last == "\n" || last == "\r" {
                password.unicodeScalars.removeLast()
            }
            guard !password.isEmpty else {
                report(field, "\(resolved) is empty")
                return nil
            }
            if usernameRequired && username == nil { return nil }
            if !usernameIsAccepted { return nil }
            return Credentials(username: username, passwordFile: resolved, password: password)
        }
    }
}

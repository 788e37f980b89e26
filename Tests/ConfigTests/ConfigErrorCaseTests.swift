import Testing

@testable import Config

/// One invalid configuration and the exact problem it must produce.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    var yaml: String
    var key: String
    var line: Int?
    /// A part of the message; most cases give all of it.
    var message: String
    /// Most snippets are about one section, so a valid `backends:` is added after them (after, so the
    /// snippet's line numbers stay as written).
    var addBackends = true

    init(_ yaml: String, _ key: String, _ line: Int?, _ message: String, addBackends: Bool = true) {
        self.yaml = yaml
        self.key = key
        self.line = line
        self.message = message
        self.addBackends = addBackends
    }

    var document: String {
        addBackends ? yaml + "\nbackends: {servers: [\"127.0.0.1:7001\"]}\n" : yaml
    }

    var testDescription: String { "\(key)@\(line.map(String.init) ?? "-"): \(message)" }
}

/// A valid VRRP instance whose line 6 onwards is `extra` (indented as a field of the instance).
private func vrrp(_ extra: String...) -> String {
    """
    vrrp:
      - name: redis-vip
        interface: eth1
        vrid: 51
        virtual_ips: ["10.0.0.123/24"]

    """ + extra.map { "    \($0)\n" }.joined()
}

struct ConfigErrorCaseTests {
    static let structure: [ErrorCase] = [
        ErrorCase("", "backends.servers", nil, "required, at least one server", addBackends: false),
        ErrorCase("# nothing but a comment\n", "backends.servers", nil, "required, at least one server", addBackends: false),
        ErrorCase("~\n", "backends.servers", nil, "required, at least one server", addBackends: false),
        ErrorCase("log: {level: info}\n", "backends.servers", nil, "required, at least one server", addBackends: false),
        ErrorCase("log:\n  level: info\nbackends:\n  select: master\n", "backends.servers", 3,
                  "required, at least one server", addBackends: false),
        ErrorCase("backends:\n  servers: []\n", "backends.servers", 2, "required, at least one server", addBackends: false),
        ErrorCase("backends:\n  servers:\n  retries: 1\n", "backends.servers", 2, "required, at least one server",
                  addBackends: false),
        ErrorCase("backends:\n", "backends.servers", 1, "required, at least one server", addBackends: false),
        ErrorCase("- proxy\n- backends\n", "", 1, "the file must be a mapping with the sections", addBackends: false),
        ErrorCase("just a string\n", "", 1, "the file must be a mapping", addBackends: false),
        ErrorCase("[]\n", "", 1, "the file must be a mapping with the sections proxy, cluster, backends, health, stats, vrrp and log",
                  addBackends: false),
        ErrorCase("proxy: {mode: cluster}\ncluster: {}\ncluster: {}\n", "cluster", 3, "duplicate key (first on line 2)"),
        ErrorCase("log: {}\nbogus: 1\n", "bogus", 2,
                  "unknown key (expected one of: proxy, cluster, backends, health, stats, vrrp, log)"),
        ErrorCase("proxy:\n  threads: 1\n  lisen: [\"0.0.0.0:7010\"]\n", "proxy.lisen", 3,
                  "unknown key (expected one of: mode, listen, threads, maxconn, timeouts, shutdown_grace, auth)"),
        ErrorCase("health:\n  rise: 1\nhealth:\n  fall: 1\n", "health", 3, "duplicate key (first on line 1)"),
        ErrorCase("health:\n  rise: 2\n  fall: 3\n  rise: 4\n", "health.rise", 4, "duplicate key (first on line 2)"),
        ErrorCase("health: {rise: 1, fall: 2, rise: 3}\n", "health.rise", 1, "duplicate key (first on line 1)"),
        ErrorCase("health:\n  \"rise\": 2\n  rise: 3\n", "health.rise", 3, "duplicate key (first on line 2)"),
        ErrorCase("log:\n  level: info\n  level: debug\n  level: error\n", "log.level", 3, "duplicate key (first on line 2)"),
        ErrorCase("log:\n  level: info\n  format: text\n  format: json\n  level: debug\n", "log.format", 4,
                  "duplicate key (first on line 3)"),
        ErrorCase("vrrp:\n  - name: a\n    name: b\n    interface: eth1\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].name", 3, "duplicate key (first on line 2)"),
        // An earlier problem still comes first when a repeated key follows it.
        ErrorCase("health:\n  rise: 0\nlog:\n  format: text\n  format: json\n", "health.rise", 2, "must be an integer ≥ 1"),
        // A key Yams cannot be helped with (already tagged): its own report, without the path.
        ErrorCase("health:\n  !!str rise: 1\n  rise: 2\n", "rise", 2, "duplicate key"),
        ErrorCase("proxy: 5\n", "proxy", 1, "must be a mapping"),
        ErrorCase("health: [1, 2]\n", "health", 1, "must be a mapping"),
        ErrorCase("health:\n  - rise: 1\n", "health", 2, "must be a mapping"),
        ErrorCase("proxy:\n  [a, b]: 1\n", "proxy", 2, "keys must be names, not lists or mappings"),
        ErrorCase("log: {}\nvrrp: {name: x}\n", "vrrp", 2, "must be a list"),
        ErrorCase("backends:\n  servers: 127.0.0.1:7001\n", "backends.servers", 2, "must be a list", addBackends: false),
        // Errors come in document order, not in the order the rules are checked.
        ErrorCase("health:\n  timeout: 2s\n  rise: 0\n", "health.timeout", 2, "must not be longer than health.interval (1s)"),
        ErrorCase("log: {level: loud}\nbackends: {servers: [\"x:1\"]}\n", "log.level", 1, "must be one of", addBackends: false),
        ErrorCase("backends: {servers: [\"x:1\"]}\nlog: {level: loud}\n", "backends.servers[0]", 1, "host names", addBackends: false),
    ]

    static let proxy: [ErrorCase] = [
        ErrorCase("proxy:\n  listen: []\n", "proxy.listen", 2, "must list at least one address"),
        ErrorCase("proxy:\n  listen:\n", "proxy.listen", 2, "must list at least one address"),
        ErrorCase("proxy:\n  listen: localhost:7010\n", "proxy.listen", 2, "must be IP:port (host names are not resolved)"),
        ErrorCase("proxy:\n  listen: \"0.0.0.0:0\"\n", "proxy.listen", 2, "port must be a number from 1 to 65535"),
        ErrorCase("proxy:\n  listen:\n    - 0.0.0.0:7010\n    - 0.0.0.0:7010\n", "proxy.listen[1]", 4,
                  "duplicate of proxy.listen[0]"),
        ErrorCase("proxy:\n  listen: {address: 0.0.0.0}\n", "proxy.listen", 2, "must be a list"),
        ErrorCase("proxy:\n  threads: -1\n", "proxy.threads", 2, "must be an integer from 0 to 1024 (0 = one per CPU)"),
        ErrorCase("proxy:\n  threads: 1025\n", "proxy.threads", 2, "must be an integer from 0 to 1024"),
        ErrorCase("proxy:\n  threads: two\n", "proxy.threads", 2, "must be an integer from 0 to 1024"),
        ErrorCase("proxy:\n  maxconn: 0\n", "proxy.maxconn", 2, "must be an integer from 1 to 1000000"),
        ErrorCase("proxy:\n  maxconn: 1000001\n", "proxy.maxconn", 2, "must be an integer from 1 to 1000000"),
        ErrorCase("proxy:\n  maxconn: \"100\"\n", "proxy.maxconn", 2, "must be an integer from 1 to 1000000"),
        ErrorCase("proxy:\n  maxconn: 1e3\n", "proxy.maxconn", 2, "must be an integer from 1 to 1000000"),
        ErrorCase("proxy:\n  maxconn: 99999999999999999999999\n", "proxy.maxconn", 2, "must be an integer from 1 to 1000000"),
        ErrorCase("proxy:\n  timeouts:\n    connect: -1s\n", "proxy.timeouts.connect", 3,
                  "must be a duration such as 500ms, 2s or 1m"),
        ErrorCase("proxy:\n  timeouts: {client_idle: 1.5}\n", "proxy.timeouts.client_idle", 2, "must be a duration"),
        ErrorCase("proxy:\n  timeouts:\n    server_idle: soon\n", "proxy.timeouts.server_idle", 3, "must be a duration"),
        ErrorCase("proxy:\n  timeouts:\n    client_fin:\n", "proxy.timeouts.client_fin", 3, "must be a duration"),
        ErrorCase("proxy:\n  timeouts:\n    connect: 1s\n    idle: 2s\n", "proxy.timeouts.idle", 4,
                  "unknown key (expected one of: connect, client_idle, server_idle, client_fin)"),
        ErrorCase("proxy:\n  timeouts: 5s\n", "proxy.timeouts", 2, "must be a mapping"),
        ErrorCase("proxy:\n  shutdown_grace: [1s]\n", "proxy.shutdown_grace", 2, "must be a duration"),
        ErrorCase("proxy:\n  shutdown_grace:\n", "proxy.shutdown_grace", 2, "must be a duration"),
        ErrorCase("proxy:\n  timeouts:\n    connect: [1s]\n", "proxy.timeouts.connect", 3, "must be a duration"),
        ErrorCase("proxy:\n  timeouts:\n    client_idle: {a: 1}\n", "proxy.timeouts.client_idle", 3, "must be a duration"),
        ErrorCase("proxy:\n  timeouts:\n    server_idle: -5s\n", "proxy.timeouts.server_idle", 3, "must be a duration"),
        ErrorCase("proxy:\n  timeouts:\n    client_fin: 5 minutes\n", "proxy.timeouts.client_fin", 3, "must be a duration"),
        ErrorCase("proxy:\n  timeouts: [1s]\n", "proxy.timeouts", 2, "must be a mapping"),
        ErrorCase("proxy:\n  listen: [7010]\n", "proxy.listen[0]", 2, "must be IP:port"),
        ErrorCase("proxy:\n  listen:\n    - [\"0.0.0.0:7010\"]\n", "proxy.listen[0]", 3, "must be IP:port"),
        ErrorCase("proxy:\n  threads: [1]\n", "proxy.threads", 2, "must be an integer from 0 to 1024"),
        ErrorCase("proxy:\n  threads:\n", "proxy.threads", 2, "must be an integer from 0 to 1024"),
        ErrorCase("proxy:\n  maxconn: -1\n", "proxy.maxconn", 2, "must be an integer from 1 to 1000000"),
        ErrorCase("proxy:\n  maxconn: true\n", "proxy.maxconn", 2, "must be an integer from 1 to 1000000"),
        ErrorCase("proxy: [listen]\n", "proxy", 1, "must be a mapping"),
        ErrorCase("proxy:\n  shutdown_grace: forever\n", "proxy.shutdown_grace", 2, "must be a duration"),
        ErrorCase("proxy:\n  mode: redis\n", "proxy.mode", 2, "must be one of: tcp, cluster"),
        ErrorCase("proxy:\n  mode: CLUSTER\n", "proxy.mode", 2, "must be one of: tcp, cluster"),
        ErrorCase("proxy:\n  mode: [cluster]\n", "proxy.mode", 2, "must be one of: tcp, cluster"),
        ErrorCase("proxy:\n  mode:\n", "proxy.mode", 2, "must be one of: tcp, cluster"),
        ErrorCase("proxy:\n  mode: cluster\n  mode: tcp\n", "proxy.mode", 3, "duplicate key (first on line 2)"),
    ]

    /// `proxy.auth` cases that need no password file (PasswordFileTests has the others).
    static let proxyAuth: [ErrorCase] = [
        // tcp mode, by default or written, anywhere in the section: at the auth key, before its entries.
        ErrorCase("proxy:\n  auth:\n    - username: alice\n      password_file: /nonexistent/alice.secret\n", "proxy.auth", 2,
                  "only used with proxy.mode: cluster (in tcp mode the servers do their own AUTH)"),
        ErrorCase("proxy:\n  auth: {password_file: /dev/null}\n  mode: tcp\n", "proxy.auth", 2,
                  "only used with proxy.mode: cluster (in tcp mode the servers do their own AUTH)"),
        ErrorCase("proxy:\n  mode: tcp\n  auth: []\n", "proxy.auth", 3, "only used with proxy.mode: cluster"),
        ErrorCase("proxy:\n  auth: alice\n", "proxy.auth", 2, "only used with proxy.mode: cluster"),
        // Cluster mode: each entry read like stats.auth, the username optional.
        ErrorCase("proxy:\n  mode: cluster\n  auth: alice\n", "proxy.auth", 3, "must be a list"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - alice\n", "proxy.auth[0]", 4, "must be a mapping"),
        ErrorCase("proxy:\n  mode: cluster\n  auth: [[alice]]\n", "proxy.auth[0]", 3, "must be a mapping"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    -\n", "proxy.auth[0].password_file", 4, "required"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - username: alice\n", "proxy.auth[0].password_file", 4, "required"),
        ErrorCase("proxy:\n  mode: cluster\n  auth: {username: alice}\n", "proxy.auth.password_file", 3, "required"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - {username: \"\", password_file: /dev/null}\n", "proxy.auth[0].username", 4,
                  "must not be empty"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - {username: [a], password_file: /dev/null}\n", "proxy.auth[0].username", 4,
                  "must be a string"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - {password_file: /dev/null}\n", "proxy.auth[0].password_file", 4,
                  "/dev/null is a character device, not a regular file"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - password_file: /nonexistent/a.secret\n", "proxy.auth[0].password_file", 4,
                  "cannot read /nonexistent/a.secret: No such file or directory"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - {username: alice, password_file: \"\"}\n", "proxy.auth[0].password_file", 4,
                  "must not be empty"),
        ErrorCase("proxy:\n  mode: cluster\n  auth:\n    - {username: alice, password: x}\n", "proxy.auth[0].password", 4,
                  "unknown key (expected one of: username, password_file)"),
        // The mode is read first, wherever it is written.
        ErrorCase("proxy:\n  auth: {password_file: /dev/null}\n  mode: cluster\n", "proxy.auth.password_file", 2,
                  "/dev/null is a character device, not a regular file"),
    ]

    static let cluster: [ErrorCase] = [
        ErrorCase("cluster:\n  refresh: 2s\n", "cluster", 1, "only used with proxy.mode: cluster"),
        ErrorCase("cluster: {}\n", "cluster", 1, "only used with proxy.mode: cluster"),
        ErrorCase("proxy:\n  mode: tcp\ncluster:\n  refresh: 2s\n", "cluster", 3, "only used with proxy.mode: cluster"),
        // The rule is about the section, so its own problems are not looked for.
        ErrorCase("cluster:\n  refresh: 0\nproxy: {mode: tcp}\n", "cluster", 1, "only used with proxy.mode: cluster"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh: 0\n", "cluster.refresh", 3, "must be greater than 0 and at most 1h"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh: 0s\n", "cluster.refresh", 3, "must be greater than 0 and at most 1h"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh: 3601s\n", "cluster.refresh", 3, "must be greater than 0 and at most 1h"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh: 1d\n", "cluster.refresh", 3, "must be greater than 0 and at most 1h"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh: soon\n", "cluster.refresh", 3, "must be a duration such as 500ms, 2s or 1m"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh: -1s\n", "cluster.refresh", 3, "must be a duration"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh: [1s]\n", "cluster.refresh", 3, "must be a duration"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  refresh:\n", "cluster.refresh", 3, "must be a duration"),
        ErrorCase("cluster:\n  refresh: 1s\n  refresh: 2s\nproxy: {mode: cluster}\n", "cluster.refresh", 3,
                  "duplicate key (first on line 2)"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  hold_for: 1s\n", "cluster.hold_for", 3,
                  "unknown key (expected one of: refresh, connections_per_server, hold)"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  hold: 61s\n", "cluster.hold", 3, "must be at most 1m (0 = answer CLUSTERDOWN at once)"),
        ErrorCase("proxy: {mode: cluster}\ncluster:\n  hold: later\n", "cluster.hold", 3, "must be a duration such as 500ms, 2s or 1m"),
        ErrorCase("proxy: {mode: cluster}\ncluster: 5\n", "cluster", 2, "must be a mapping"),
        ErrorCase("proxy: {mode: cluster}\ncluster: [refresh]\n", "cluster", 2, "must be a mapping"),
    ]

    static let backends: [ErrorCase] = [
        ErrorCase("backends:\n  select: primary\n  servers: [\"127.0.0.1:7001\"]\n", "backends.select", 2,
                  "must be one of: master, replica, any", addBackends: false),
        ErrorCase(
            "backends:\n  servers:\n    - 127.0.0.1:7001\n    - 127.0.0.1:7002\n    - 127.0.0.1:7003\n    - 127.0.0.1:7001\n",
            "backends.servers[3]", 6, "duplicate of backends.servers[0]", addBackends: false
        ),
        ErrorCase("backends:\n  servers: [\"[::1]:7001\", \"[0:0::1]:7001\"]\n", "backends.servers[1]", 2,
                  "duplicate of backends.servers[0]", addBackends: false),
        ErrorCase("backends:\n  servers:\n    - 127.0.0.1:7001\n    - redis-2:7002\n", "backends.servers[1]", 4,
                  "must be IP:port (host names are not resolved)", addBackends: false),
        ErrorCase("backends:\n  servers:\n    - 7001\n", "backends.servers[0]", 3, "must be IP:port", addBackends: false),
        ErrorCase("backends:\n  servers:\n    - {host: 127.0.0.1, port: 7001}\n", "backends.servers[0]", 3,
                  "must be IP:port, such as 127.0.0.1:7001 or [::1]:7001", addBackends: false),
        ErrorCase("backends:\n  servers:\n    - 127.0.0.256:7001\n", "backends.servers[0]", 3,
                  "127.0.0.256 is not a valid IPv4 address", addBackends: false),
        ErrorCase("backends:\n  servers:\n    - ::1:7001\n", "backends.servers[0]", 3,
                  "IPv6 addresses must be written in brackets", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  on_down: close\n", "backends.on_down", 3,
                  "must be one of: shutdown-sessions, keep", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  retries: 11\n", "backends.retries", 3,
                  "must be an integer from 0 to 10", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  retries: -1\n", "backends.retries", 3,
                  "must be an integer from 0 to 10", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  retries: three\n", "backends.retries", 3,
                  "must be an integer from 0 to 10", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  retries: \"1\"\n", "backends.retries", 3,
                  "must be an integer from 0 to 10", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  select: [master]\n", "backends.select", 3,
                  "must be one of: master, replica, any", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  select:\n", "backends.select", 3,
                  "must be one of: master, replica, any", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  on_down: {keep: true}\n", "backends.on_down", 3,
                  "must be one of: shutdown-sessions, keep", addBackends: false),
        ErrorCase("backends:\n  servers: {a: 127.0.0.1:7001}\n", "backends.servers", 2, "must be a list", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:0\"]\n", "backends.servers[0]", 2, "port must be a number from 1 to 65535",
                  addBackends: false),
        ErrorCase("backends: [\"127.0.0.1:7001\"]\n", "backends", 1, "must be a mapping", addBackends: false),
        ErrorCase("backends:\n  servers: [\"127.0.0.1:7001\"]\n  weights: [1]\n", "backends.weights", 3,
                  "unknown key (expected one of: select, servers, on_down, retries, auth)", addBackends: false),
    ]

    static let health: [ErrorCase] = [
        ErrorCase("health:\n  interval: 5ms\n", "health.interval", 2, "must be at least 10ms"),
        ErrorCase("health:\n  interval: 0\n", "health.interval", 2, "must be at least 10ms"),
        ErrorCase("health:\n  interval: 1 s\n", "health.interval", 2, "must be a duration such as 500ms, 2s or 1m"),
        ErrorCase("health:\n  timeout: 0\n", "health.timeout", 2, "must be greater than 0"),
        ErrorCase("health:\n  timeout: 2s\n", "health.timeout", 2, "must not be longer than health.interval (1s)"),
        ErrorCase("health:\n  timeout: 2s\n  interval: 1500ms\n", "health.timeout", 2,
                  "must not be longer than health.interval (1500ms)"),
        ErrorCase("health:\n  rise: 0\n", "health.rise", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  rise: 1.5\n", "health.rise", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  rise: \"2\"\n", "health.rise", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  rise:\n", "health.rise", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  fall: 0\n", "health.fall", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  fall: {a: 1}\n", "health.fall", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  auth:\n    username: ferry\n", "health.auth.password_file", 2, "required"),
        ErrorCase("health:\n  auth: {password: secret}\n", "health.auth.password", 2,
                  "unknown key (expected one of: username, password_file)"),
        ErrorCase("health:\n  auth:\n    username: \"\"\n    password_file: /dev/null\n", "health.auth.username", 3,
                  "must not be empty"),
        ErrorCase("health:\n  auth:\n    password_file: [a]\n", "health.auth.password_file", 3, "must be a string"),
        ErrorCase("health:\n  auth: 5\n", "health.auth", 2, "must be a mapping"),
        ErrorCase("health:\n  auth:\n    password_file: /dev/null\n", "health.auth.password_file", 3,
                  "/dev/null is a character device, not a regular file"),
        ErrorCase("health:\n  auth:\n    password_file: /\n", "health.auth.password_file", 3, "/ is a directory, not a regular file"),
        ErrorCase("health:\n  auth:\n    password_file: \"\"\n", "health.auth.password_file", 3, "must not be empty"),
        ErrorCase("health:\n  auth:\n    password_file:\n", "health.auth.password_file", 3, "must be a string"),
        ErrorCase("health:\n  auth:\n    password_file: /nonexistent/check.secret\n", "health.auth.password_file", 3,
                  "cannot read /nonexistent/check.secret: No such file or directory"),
        ErrorCase("health:\n  auth:\n    username: [a]\n    password_file: /dev/null\n", "health.auth.username", 3, "must be a string"),
        ErrorCase("health:\n  auth: [a]\n", "health.auth", 2, "must be a mapping"),
        ErrorCase("health:\n  timeout: fast\n", "health.timeout", 2, "must be a duration"),
        ErrorCase("health:\n  timeout: [1s]\n", "health.timeout", 2, "must be a duration"),
        ErrorCase("health:\n  interval:\n", "health.interval", 2, "must be a duration"),
        ErrorCase("health:\n  fall: -1\n", "health.fall", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  fall: \"3\"\n", "health.fall", 2, "must be an integer ≥ 1"),
        ErrorCase("health:\n  rise: 99999999999999999999\n", "health.rise", 2, "must be an integer ≥ 1"),
        ErrorCase("health: true\n", "health", 1, "must be a mapping"),
    ]

    static let stats: [ErrorCase] = [
        ErrorCase("stats:\n  listen: [\"0.0.0.0:7020\"]\n", "stats.listen", 2, "must be IP:port"),
        ErrorCase("stats:\n  listen: \"0.0.0.0\"\n", "stats.listen", 2, "must be IP:port, such as 127.0.0.1:7001 or [::1]:7001 (the port is missing)"),
        ErrorCase("stats:\n  listen: \"[::1]\"\n", "stats.listen", 2, "(the port is missing)"),
        ErrorCase("stats:\n  listen: \"[::1]:70000\"\n", "stats.listen", 2, "port must be a number from 1 to 65535"),
        ErrorCase("stats:\n  listen: \"[::g]:7020\"\n", "stats.listen", 2, "::g is not a valid IPv6 address"),
        ErrorCase("stats:\n  listen: \"stats.local:7020\"\n", "stats.listen", 2, "host names are not resolved"),
        ErrorCase("stats:\n  path: stats\n", "stats.path", 2, "must start with /"),
        ErrorCase("stats:\n  path: \"/a b\"\n", "stats.path", 2, "must be a plain URL path"),
        ErrorCase("stats:\n  path: /stats?x=1\n", "stats.path", 2, "must be a plain URL path"),
        ErrorCase("stats:\n  path: [a]\n", "stats.path", 2, "must be a string"),
        ErrorCase("stats:\n  path:\n", "stats.path", 2, "must be a string"),
        ErrorCase("stats:\n  refresh: 500ms\n", "stats.refresh", 2, "must be 0 (no automatic refresh) or at least 1s"),
        ErrorCase("stats:\n  refresh: often\n", "stats.refresh", 2, "must be a duration"),
        ErrorCase("stats:\n  auth:\n    password_file: /dev/null\n", "stats.auth.username", 2, "required"),
        ErrorCase("stats:\n  auth: {username: admin}\n", "stats.auth.password_file", 2, "required"),
        ErrorCase("stats:\n  auth: {username: admin, password_file: \"\"}\n", "stats.auth.password_file", 2, "must not be empty"),
        ErrorCase("stats:\n  auth: {username: admin, password_file: /dev/null}\n", "stats.auth.password_file", 2,
                  "/dev/null is a character device, not a regular file"),
        ErrorCase("stats:\n  auth: {username: admin, password_file: /tmp}\n", "stats.auth.password_file", 2,
                  "/tmp is a directory, not a regular file"),
        ErrorCase("stats:\n  auth: {username: admin, password_file: [a]}\n", "stats.auth.password_file", 2, "must be a string"),
        ErrorCase("stats:\n  auth: {username: \"\", password_file: /dev/null}\n", "stats.auth.username", 2, "must not be empty"),
        ErrorCase("stats:\n  auth: {username: {a: 1}, password_file: /dev/null}\n", "stats.auth.username", 2, "must be a string"),
        ErrorCase("stats:\n  auth: {username: admin, password: x}\n", "stats.auth.password", 2,
                  "unknown key (expected one of: username, password_file)"),
        ErrorCase("stats:\n  auth: admin\n", "stats.auth", 2, "must be a mapping"),
        ErrorCase("stats:\n  listen:\n", "stats.listen", 2, "must be IP:port"),
        ErrorCase("stats:\n  listen: 7020\n", "stats.listen", 2, "must be IP:port"),
        ErrorCase("stats:\n  refresh: -1s\n", "stats.refresh", 2, "must be a duration"),
        ErrorCase("stats:\n  refresh: [5s]\n", "stats.refresh", 2, "must be a duration"),
        ErrorCase("stats:\n  path: \"/stats#top\"\n", "stats.path", 2, "must be a plain URL path"),
        ErrorCase("stats: [listen]\n", "stats", 1, "must be a mapping"),
        ErrorCase("stats:\n  port: 7020\n", "stats.port", 2, "unknown key (expected one of: listen, path, refresh, auth)"),
    ]

    static let vrrpCases: [ErrorCase] = [
        ErrorCase("vrrp:\n  - interface: eth1\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].name", 2, "required"),
        ErrorCase("vrrp:\n  - name: a\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].interface", 2, "required"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].vrid", 2, "required"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n", "vrrp[0].virtual_ips", 2, "required"),
        ErrorCase("vrrp:\n  - redis-vip\n", "vrrp[0]", 2, "must be a mapping"),
        // A missing key is reported on the line of its mapping, after other problems on that line.
        ErrorCase("vrrp:\n  - {name: a, vrid: 300}\n", "vrrp[0].vrid", 2, "must be an integer from 1 to 255"),
        ErrorCase("vrrp:\n  - name: a\n    vrid: 300\n", "vrrp[0].interface", 2, "required"),
        ErrorCase("vrrp:\n  -\n", "vrrp[0].name", 2, "required"),
        ErrorCase(vrrp() + "  - name: redis-vip\n    interface: eth2\n    vrid: 52\n    virtual_ips: [\"10.0.1.1/24\"]\n",
                  "vrrp[1].name", 6, "duplicate of vrrp[0].name"),
        ErrorCase(vrrp() + "  - name: other\n    interface: eth1\n    vrid: 51\n    virtual_ips: [\"10.0.1.1/24\"]\n",
                  "vrrp[1].vrid", 8, "duplicate of vrrp[0].vrid (same interface eth1)"),
        ErrorCase(vrrp("prio: 100"), "vrrp[0].prio", 6, "unknown key (expected one of: name, interface, vrid, version,"),
        ErrorCase("vrrp:\n  - name: \"\"\n", "vrrp[0].name", 2, "must not be empty"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth/1\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].interface", 3, "must be a network interface name"),
        ErrorCase("vrrp:\n  - name: a\n    interface: abcdefghijklmnop\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].interface", 3,
                  "must be a network interface name (at most 15 characters, without /, : or spaces)"),
        ErrorCase("vrrp:\n  - name: a\n    interface: \"eth 1\"\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].interface", 3, "must be a network interface name"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 0\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].vrid", 4, "must be an integer from 1 to 255"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 256\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].vrid", 4, "must be an integer from 1 to 255"),
        ErrorCase(vrrp("version: 4"), "vrrp[0].version", 6, "must be 2 or 3"),
        ErrorCase(vrrp("version: \"3\""), "vrrp[0].version", 6, "must be 2 or 3"),
        ErrorCase(vrrp("priority: 0"), "vrrp[0].priority", 6, "must be an integer from 1 to 255"),
        ErrorCase(vrrp("priority: 256"), "vrrp[0].priority", 6, "must be an integer from 1 to 255"),
        ErrorCase(vrrp("advert_interval: 5ms"), "vrrp[0].advert_interval", 6,
                  "must be from 10ms to 40.95s in steps of 10ms (VRRPv3 counts centiseconds)"),
        ErrorCase(vrrp("advert_interval: 15ms"), "vrrp[0].advert_interval", 6, "in steps of 10ms"),
        ErrorCase(vrrp("advert_interval: 40960ms"), "vrrp[0].advert_interval", 6, "must be from 10ms to 40.95s"),
        ErrorCase(vrrp("advert_interval: 0"), "vrrp[0].advert_interval", 6, "must be from 10ms to 40.95s"),
        ErrorCase(vrrp("advert_interval: never"), "vrrp[0].advert_interval", 6, "must be a duration"),
        ErrorCase(vrrp("version: 2", "advert_interval: 1500ms"), "vrrp[0].advert_interval", 7,
                  "must be whole seconds from 1s to 255s (VRRPv2)"),
        ErrorCase(vrrp("advert_interval: 100ms", "version: 2"), "vrrp[0].advert_interval", 6,
                  "must be whole seconds from 1s to 255s (VRRPv2)"),
        ErrorCase(vrrp("version: 2", "advert_interval: 256s"), "vrrp[0].advert_interval", 7, "(VRRPv2)"),
        ErrorCase(vrrp("version: 2", "advert_interval: 0s"), "vrrp[0].advert_interval", 7, "(VRRPv2)"),
        ErrorCase(vrrp("preempt: yes"), "vrrp[0].preempt", 6, "must be true or false"),
        ErrorCase(vrrp("preempt: \"true\""), "vrrp[0].preempt", 6, "must be true or false"),
        ErrorCase(vrrp("preempt_delay: 1001s"), "vrrp[0].preempt_delay", 6, "must be from 0s to 1000s"),
        ErrorCase(vrrp("preempt_delay: -1s"), "vrrp[0].preempt_delay", 6, "must be a duration"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: []\n", "vrrp[0].virtual_ips", 5,
                  "required, at least one address"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: 10.0.0.1/24\n", "vrrp[0].virtual_ips", 5,
                  "must be a list"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips:\n      - 10.0.0.1\n",
                  "vrrp[0].virtual_ips[0]", 6, "must be an IPv4 address with a prefix length, such as 10.0.0.123/24"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/33\"]\n",
                  "vrrp[0].virtual_ips[0]", 5, "with a prefix length"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/0\"]\n",
                  "vrrp[0].virtual_ips[0]", 5, "with a prefix length"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: [\"300.0.0.1/24\"]\n",
                  "vrrp[0].virtual_ips[0]", 5, "with a prefix length"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: [\"fd00::1/64\"]\n",
                  "vrrp[0].virtual_ips[0]", 5, "must be an IPv4 address"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips:\n      - 10.0.0.1/24\n      - 10.0.0.1/32\n",
                  "vrrp[0].virtual_ips[1]", 7, "duplicate of vrrp[0].virtual_ips[0]"),
        ErrorCase(vrrp("unicast_peers: [\"10.0.0.2/24\"]"), "vrrp[0].unicast_peers[0]", 6, "must be an IPv4 address such as 10.0.0.2"),
        ErrorCase(vrrp("unicast_peers: [\"::1\"]"), "vrrp[0].unicast_peers[0]", 6, "must be an IPv4 address"),
        ErrorCase(vrrp("unicast_peers:", "  - 10.0.0.2", "  - 10.0.0.2"), "vrrp[0].unicast_peers[1]", 8,
                  "duplicate of vrrp[0].unicast_peers[0]"),
        ErrorCase(vrrp("unicast_peers: 10.0.0.2"), "vrrp[0].unicast_peers", 6, "must be a list"),
        ErrorCase(vrrp("track_backends_weight: 255"), "vrrp[0].track_backends_weight", 6, "must be an integer from -254 to 254"),
        ErrorCase(vrrp("track_backends_weight: -255"), "vrrp[0].track_backends_weight", 6, "must be an integer from -254 to 254"),
        ErrorCase(vrrp("garp: 5"), "vrrp[0].garp", 6, "must be a mapping"),
        ErrorCase(vrrp("garp:", "  count: 101"), "vrrp[0].garp.count", 7, "must be an integer from 0 to 100"),
        ErrorCase(vrrp("garp: {repeat_after: later}"), "vrrp[0].garp.repeat_after", 6, "must be a duration"),
        ErrorCase(vrrp("garp: {refresh: -5s}"), "vrrp[0].garp.refresh", 6, "must be a duration"),
        ErrorCase(vrrp("garp:", "  delay: 1s"), "vrrp[0].garp.delay", 7, "unknown key (expected one of: count, repeat_after, refresh)"),
        ErrorCase(vrrp("notify: \"\""), "vrrp[0].notify", 6, "must not be empty"),
        ErrorCase(vrrp("notify: [a]"), "vrrp[0].notify", 6, "must be a string"),
        ErrorCase("vrrp:\n  - name: [a]\n    interface: eth1\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].name", 2,
                  "must be a string"),
        ErrorCase("vrrp:\n  - name: a\n    interface: {eth: 1}\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n",
                  "vrrp[0].interface", 3, "must be a string"),
        ErrorCase("vrrp:\n  - name: a\n    interface: \"\"\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].interface", 3,
                  "must not be empty"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: \"51\"\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].vrid", 4,
                  "must be an integer from 1 to 255"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: fifty\n    virtual_ips: [\"10.0.0.1/24\"]\n", "vrrp[0].vrid", 4,
                  "must be an integer from 1 to 255"),
        ErrorCase(vrrp("version: [3]"), "vrrp[0].version", 6, "must be 2 or 3"),
        ErrorCase(vrrp("priority: high"), "vrrp[0].priority", 6, "must be an integer from 1 to 255"),
        ErrorCase(vrrp("priority: -1"), "vrrp[0].priority", 6, "must be an integer from 1 to 255"),
        ErrorCase(vrrp("advert_interval: [1s]"), "vrrp[0].advert_interval", 6, "must be a duration"),
        ErrorCase(vrrp("preempt: 1"), "vrrp[0].preempt", 6, "must be true or false"),
        ErrorCase(vrrp("preempt:"), "vrrp[0].preempt", 6, "must be true or false"),
        ErrorCase(vrrp("preempt_delay: [1s]"), "vrrp[0].preempt_delay", 6, "must be a duration"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: [[\"10.0.0.1/24\"]]\n",
                  "vrrp[0].virtual_ips[0]", 5, "must be an IPv4 address with a prefix length"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips:\n", "vrrp[0].virtual_ips", 5,
                  "required, at least one address"),
        ErrorCase(vrrp("unicast_peers: [[10.0.0.2]]"), "vrrp[0].unicast_peers[0]", 6, "must be an IPv4 address"),
        ErrorCase(vrrp("unicast_peers: [\"peer.local\"]"), "vrrp[0].unicast_peers[0]", 6, "must be an IPv4 address"),
        ErrorCase(vrrp("track_backends_weight: heavy"), "vrrp[0].track_backends_weight", 6, "must be an integer from -254 to 254"),
        ErrorCase(vrrp("track_backends_weight: -6.5"), "vrrp[0].track_backends_weight", 6, "must be an integer from -254 to 254"),
        ErrorCase(vrrp("garp: [5]"), "vrrp[0].garp", 6, "must be a mapping"),
        ErrorCase(vrrp("garp: {count: -1}"), "vrrp[0].garp.count", 6, "must be an integer from 0 to 100"),
        ErrorCase(vrrp("garp: {count: many}"), "vrrp[0].garp.count", 6, "must be an integer from 0 to 100"),
        ErrorCase(vrrp("garp: {repeat_after: [5s]}"), "vrrp[0].garp.repeat_after", 6, "must be a duration"),
        ErrorCase(vrrp("garp: {refresh: often}"), "vrrp[0].garp.refresh", 6, "must be a duration"),
        ErrorCase(vrrp("notify:"), "vrrp[0].notify", 6, "must be a string"),
        ErrorCase("vrrp:\n  - name: a\n    interface: eth1\n    vrid: 1\n    virtual_ips: [\"10.0.0.1/24\"]\n    [x]: 1\n", "vrrp[0]", 6,
                  "keys must be names, not lists or mappings"),
        ErrorCase("vrrp: 5\n", "vrrp", 1, "must be a list"),
    ]

    static let log: [ErrorCase] = [
        ErrorCase("log:\n  level: verbose\n", "log.level", 2,
                  "must be one of: trace, debug, info, notice, warning, error, critical"),
        ErrorCase("log:\n  format: xml\n", "log.format", 2, "must be one of: text, json"),
        ErrorCase("log:\n  level: info\n  colour: true\n", "log.colour", 3, "unknown key (expected one of: level, format)"),
        ErrorCase("log: text\n", "log", 1, "must be a mapping"),
        ErrorCase("log:\n  level: [info]\n", "log.level", 2, "must be one of: trace, debug"),
        ErrorCase("log:\n  level: INFO\n", "log.level", 2, "must be one of: trace, debug"),
        ErrorCase("log:\n  level:\n", "log.level", 2, "must be one of: trace, debug"),
        ErrorCase("log:\n  format: {json: true}\n", "log.format", 2, "must be one of: text, json"),
        ErrorCase("log:\n  format: JSON\n", "log.format", 2, "must be one of: text, json"),
        ErrorCase("log:\n  [level]: info\n", "log", 2, "keys must be names, not lists or mappings"),
    ]

    @Test(arguments: structure + proxy + proxyAuth + cluster + backends + health + stats + vrrpCases + log)
    func invalidConfigurationIsReportedAtItsKeyAndLine(_ errorCase: ErrorCase) throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: errorCase.document, path: "test.yaml")
        }
        #expect(error.key == errorCase.key)
        #expect(error.line == errorCase.line)
        #expect(error.message.contains(errorCase.message), "message: \(error.message)")
        #expect(error.path == "test.yaml")
    }

    /// The messages the task spells out, compared whole.
    @Test(arguments: [
        ("health:\n  rise: 0\n", "test.yaml:2: health.rise: must be an integer ≥ 1"),
        ("", "test.yaml: backends.servers: required, at least one server"),
        ("backends:\n  servers:\n    - 127.0.0.1:7001\n    - 127.0.0.1:7002\n    - 127.0.0.1:7003\n    - 127.0.0.1:7001\n",
         "test.yaml:6: backends.servers[3]: duplicate of backends.servers[0]"),
        ("backends:\n  servers: [\"localhost:7001\"]\n",
         "test.yaml:2: backends.servers[0]: must be IP:port (host names are not resolved)"),
        ("proxy:\n  timeouts: {connect: -1s}\nbackends: {servers: [\"127.0.0.1:7001\"]}\n",
         "test.yaml:2: proxy.timeouts.connect: must be a duration such as 500ms, 2s or 1m"),
        ("health:\n  timeout: 100ms\n  rise: 2\n  rize: 3\nbackends: {servers: [\"127.0.0.1:7001\"]}\n",
         "test.yaml:4: health.rize: unknown key (expected one of: interval, timeout, rise, fall, auth)"),
        ("backends: {servers: [\"127.0.0.1:7001\"]}\ncluster:\n  refresh: 5s\n",
         "test.yaml:2: cluster: only used with proxy.mode: cluster"),
        ("proxy:\n  listen: 0.0.0.0:6379\n  auth:\n    - {username: alice, password_file: alice.secret}\nbackends: {servers: [\"127.0.0.1:7001\"]}\n",
         "test.yaml:3: proxy.auth: only used with proxy.mode: cluster (in tcp mode the servers do their own AUTH)"),
        ("proxy: {mode: cluster}\ncluster: {refresh: 2h}\nbackends: {servers: [\"127.0.0.1:7001\"]}\n",
         "test.yaml:2: cluster.refresh: must be greater than 0 and at most 1h"),
        ("proxy: {mode: cluster}\ncluster:\n  connections_per_server: 0\nbackends: {servers: [\"127.0.0.1:7001\"]}\n",
         "test.yaml:3: cluster.connections_per_server: must be an integer from 1 to 64"),
        ("proxy: {mode: tls}\nbackends: {servers: [\"127.0.0.1:7001\"]}\n", "test.yaml:1: proxy.mode: must be one of: tcp, cluster"),
        ("backends:\n  servers: [\"127.0.0.1:7001\"]\n  auth: {username: ferry, password_file: /nonexistent}\n",
         "test.yaml:3: backends.auth: only used with proxy.mode: cluster (in tcp mode each client authenticates itself)"),
        ("proxy: {mode: cluster}\nbackends:\n  servers: [\"127.0.0.1:7001\"]\n  auth: {username: ferry}\n",
         "test.yaml:4: backends.auth.password_file: required"),
    ])
    func wholeMessages(yaml: String, expected: String) throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, path: "test.yaml") }
        #expect(error.description == expected)
    }

    @Test func everyProblemIsCollectedInDocumentOrder() throws {
        let yaml = """
            health:
              timeout: 2s
              rise: 0
            log:
              level: loud
            proxy:
              maxconn: 0
              maxconn: 1
            """
        let decoder = ConfigDecoder(path: "test.yaml")
        _ = decoder.decode(try ConfigLoader.compose(yaml, path: "test.yaml"))
        #expect(decoder.allProblems.map { "\($0.line ?? 0) \($0.key)" } == [
            "2 health.timeout", "3 health.rise", "5 log.level", "7 proxy.maxconn", "8 proxy.maxconn", "0 backends.servers",
        ])
    }

    /// A `proxy.mode` that cannot be read is reported once: what depends on it is read as if it
    /// were allowed, not refused on a guess.
    @Test func anUnreadableModeSkipsTheRulesThatDependOnIt() throws {
        let yaml = """
            proxy:
              mode: clustr
              auth: [{password_file: /dev/null}]
            cluster:
              refresh: 0
            backends: {servers: ["127.0.0.1:7001"]}
            """
        let decoder = ConfigDecoder(path: "test.yaml")
        _ = decoder.decode(try ConfigLoader.compose(yaml, path: "test.yaml"))
        #expect(decoder.allProblems.map { "\($0.line ?? 0) \($0.key): \($0.message)" } == [
            "2 proxy.mode: must be one of: tcp, cluster",
            "3 proxy.auth[0].password_file: /dev/null is a character device, not a regular file",
            "5 cluster.refresh: must be greater than 0 and at most 1h",
        ])

        // `proxy:` that is not a mapping: no mode either.
        let notAMapping = ConfigDecoder(path: "test.yaml")
        _ = notAMapping.decode(try ConfigLoader.compose("proxy: cluster\ncluster: {refresh: 1s}\nbackends: {servers: [\"127.0.0.1:7001\"]}\n",
                                                        path: "test.yaml"))
        #expect(notAMapping.allProblems.map(\.key) == ["proxy"])
    }
}

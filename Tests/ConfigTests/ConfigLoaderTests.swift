import Foundation
import Testing
import Yams

@testable import Config

/// The repository's `conf/` directory, found from this file so tests run from any directory.
let confDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // ConfigTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // repository
    .appendingPathComponent("conf")

private let oneServer = "backends:\n  servers: [\"127.0.0.1:7001\"]\n"

struct ConfigLoaderTests {
    @Test func defaultsAreTheDocumentedOnes() {
        let config = FerryConfig()
        #expect(config.proxy.mode == .tcp)
        #expect(config.proxy.listen == [Endpoint(host: "0.0.0.0", port: 7010, family: .ipv4)])
        #expect(config.proxy.threads == 0)
        #expect(config.proxy.maxconn == 10_000)
        #expect(config.proxy.timeouts.connect == .seconds(2))
        #expect(config.proxy.timeouts.clientIdle == nil)
        #expect(config.proxy.timeouts.serverIdle == nil)
        #expect(config.proxy.timeouts.clientFin == .seconds(5))
        #expect(config.proxy.shutdownGrace == .seconds(10))
        #expect(config.proxy.auth.isEmpty)
        #expect(config.cluster.refresh == .seconds(1))
        #expect(config.cluster.hold == .seconds(2))
        #expect(config.backends.select == .master)
        #expect(config.backends.servers.isEmpty)
        #expect(config.backends.onDown == .shutdownSessions)
        #expect(config.backends.retries == 3)
        #expect(config.health.interval == .seconds(1))
        #expect(config.health.timeout == .milliseconds(500))
        #expect(config.health.rise == 2)
        #expect(config.health.fall == 3)
        #expect(config.health.auth == nil)
        #expect(config.stats.listen == Endpoint(host: "0.0.0.0", port: 7020, family: .ipv4))
        #expect(config.stats.path == "/stats")
        #expect(config.stats.refresh == .seconds(5))
        #expect(config.stats.auth == nil)
        #expect(config.vrrp.isEmpty)
        #expect(config.log.level == .info)
        #expect(config.log.format == .text)
    }

    @Test func aMinimalFileGetsEveryDefault() throws {
        let config = try ConfigLoader.parse(yaml: oneServer, path: "min.yaml")
        var expected = FerryConfig()
        expected.backends.servers = [Endpoint(host: "127.0.0.1", port: 7001, family: .ipv4)]
        expected.path = "min.yaml"
        #expect(config == expected)
    }

    /// `section:` with everything under it commented out means "defaults", not an error.
    @Test func emptySectionsMeanDefaults() throws {
        let yaml = "proxy:\ncluster:\nhealth:\nstats:\nvrrp:\nlog:\n" + oneServer
        let config = try ConfigLoader.parse(yaml: yaml, path: "x.yaml")
        var expected = FerryConfig()
        expected.backends.servers = [Endpoint(host: "127.0.0.1", port: 7001, family: .ipv4)]
        expected.path = "x.yaml"
        #expect(config == expected)
    }

    @Test func everyKeyIsRead() throws {
        let yaml = """
            proxy:
              mode: cluster
              listen: ["127.0.0.1:6379", "[::1]:6379"]
              threads: 4
              maxconn: 500
              timeouts: { connect: 1500ms, client_idle: 0, server_idle: 1m, client_fin: 0 }
              shutdown_grace: 0
            cluster:
              refresh: 250ms
            backends:
              select: any
              servers:
                - 10.0.0.1:7001
                - "[fd00::0:1]:7002"
              on_down: keep
              retries: 0
            health:
              interval: 250
              timeout: 100ms
              rise: 1
              fall: 5
            stats:
              listen: "[::]:8080"
              path: /admin/stats
              refresh: 0
            vrrp:
              - name: redis-vip
                interface: eth1
                vrid: 51
                version: 2
                priority: 255
                advert_interval: 3s
                preempt: false
                preempt_delay: 1.5s
                virtual_ips: ["10.0.0.123/24", "10.0.0.124/32"]
                unicast_peers: ["10.0.0.2", "10.0.0.3"]
                track_backends_weight: -60
                garp: { count: 0, repeat_after: 0, refresh: 1m }
                notify: /usr/local/bin/notify
              - name: second
                interface: eth1
                vrid: 52
                virtual_ips: ["10.0.1.1/24"]
              - name: third
                interface: eth2
                vrid: 51
                advert_interval: 40.95s
                virtual_ips: ["10.0.2.1/24"]
            log: { level: debug, format: json }
            """
        // `auth:` needs files; PasswordFileTests covers it.
        let config = try ConfigLoader.parse(yaml: yaml, path: "full.yaml")

        #expect(config.path == "full.yaml")
        #expect(config.proxy.mode == .cluster)
        #expect(config.proxy.listen == [
            Endpoint(host: "127.0.0.1", port: 6379, family: .ipv4), Endpoint(host: "::1", port: 6379, family: .ipv6),
        ])
        #expect(config.proxy.threads == 4)
        #expect(config.proxy.maxconn == 500)
        #expect(config.proxy.timeouts.connect == .milliseconds(1500))
        #expect(config.proxy.timeouts.clientIdle == nil)
        #expect(config.proxy.timeouts.serverIdle == .seconds(60))
        #expect(config.proxy.timeouts.clientFin == nil)
        #expect(config.proxy.shutdownGrace == .zero)
        #expect(config.proxy.auth.isEmpty)
        #expect(config.cluster.refresh == .milliseconds(250))

        #expect(config.backends.select == .any)
        #expect(config.backends.servers == [
            Endpoint(host: "10.0.0.1", port: 7001, family: .ipv4), Endpoint(host: "fd00::1", port: 7002, family: .ipv6),
        ])
        #expect(config.backends.servers.map(\.description) == ["10.0.0.1:7001", "[fd00::1]:7002"])
        #expect(config.backends.onDown == .keep)
        #expect(config.backends.retries == 0)

        #expect(config.health.interval == .milliseconds(250))
        #expect(config.health.timeout == .milliseconds(100))
        #expect(config.health.rise == 1)
        #expect(config.health.fall == 5)
        #expect(config.health.auth == nil)

        #expect(config.stats.listen == Endpoint(host: "::", port: 8080, family: .ipv6))
        #expect(config.stats.path == "/admin/stats")
        #expect(config.stats.refresh == .zero)

        #expect(config.vrrp.count == 3)
        var first = VRRPInstanceConfig(name: "redis-vip", interface: "eth1", vrid: 51)
        first.version = 2
        first.priority = 255
        first.advertInterval = .seconds(3)
        first.preempt = false
        first.preemptDelay = .milliseconds(1500)
        first.virtualIPs = ["10.0.0.123/24", "10.0.0.124/32"]
        first.unicastPeers = ["10.0.0.2", "10.0.0.3"]
        first.trackBackendsWeight = -60
        first.garp.count = 0
        first.garp.repeatAfter = nil
        first.garp.refresh = .seconds(60)
        first.notify = "/usr/local/bin/notify"
        #expect(config.vrrp.first == first)

        var second = VRRPInstanceConfig(name: "second", interface: "eth1", vrid: 52)
        second.virtualIPs = ["10.0.1.1/24"]
        #expect(config.vrrp.dropFirst().first == second)  // every default of an instance
        #expect(second.version == 3 && second.priority == 100 && second.advertInterval == .seconds(1))
        #expect(second.preempt && second.preemptDelay == .zero && second.unicastPeers.isEmpty)
        #expect(second.garp == GARPConfig() && second.garp.count == 5 && second.garp.repeatAfter == .seconds(5))
        #expect(second.trackBackendsWeight == 0 && second.notify == nil)

        #expect(config.vrrp.last?.vrid == 51)  // same VRID, other interface: allowed
        #expect(config.vrrp.last?.advertInterval == .milliseconds(40_950))

        #expect(config.log.level == .debug)
        #expect(config.log.format == .json)
    }

    @Test func listenTakesASingleString() throws {
        let config = try ConfigLoader.parse(yaml: "proxy: {listen: \"[::]:7010\"}\n" + oneServer, path: "x.yaml")
        #expect(config.proxy.listen == [Endpoint(host: "::", port: 7010, family: .ipv6)])
    }

    @Test(arguments: ProxyMode.allCases)
    func everyProxyMode(_ mode: ProxyMode) throws {
        let config = try ConfigLoader.parse(yaml: "proxy: {mode: \(mode.rawValue)}\n" + oneServer, path: "x.yaml")
        #expect(config.proxy.mode == mode)
        #expect(config.cluster == ClusterConfig())
    }

    @Test(arguments: [
        ("1us", Duration.microseconds(1)), ("100ms", .milliseconds(100)), ("1", .milliseconds(1)), ("30s", .seconds(30)),
        ("60m", .seconds(3600)), ("1h", .seconds(3600)), ("3600s", .seconds(3600)),
    ])
    func clusterRefreshFromJustAbove0To1h(text: String, refresh: Duration) throws {
        let yaml = "proxy: {mode: cluster}\ncluster: {refresh: \(text)}\n" + oneServer
        #expect(try ConfigLoader.parse(yaml: yaml, path: "x.yaml").cluster.refresh == refresh)
    }

    @Test(arguments: [("0", Duration.zero), ("0s", .zero), ("250ms", .milliseconds(250)), ("10s", .seconds(10)), ("1m", .seconds(60))])
    func clusterHoldFrom0To1m(text: String, hold: Duration) throws {
        let yaml = "proxy: {mode: cluster}\ncluster: {hold: \(text)}\n" + oneServer
        #expect(try ConfigLoader.parse(yaml: yaml, path: "x.yaml").cluster.hold == hold)
    }

    /// In cluster mode the section and `proxy.auth` may be left out or empty: the defaults, no users.
    @Test(arguments: ["proxy: {mode: cluster}\n", "proxy: {mode: cluster, auth: []}\ncluster: {}\n",
                      "proxy:\n  mode: cluster\n  auth:\ncluster:\n", "proxy: {auth: ~}\n"])
    func clusterModeWithoutUsersOrSettings(yaml: String) throws {
        let config = try ConfigLoader.parse(yaml: yaml + oneServer, path: "x.yaml")
        #expect(config.proxy.auth.isEmpty)
        #expect(config.cluster == ClusterConfig())
    }

    @Test(arguments: LogConfig.Level.allCases)
    func everyLogLevel(_ level: LogConfig.Level) throws {
        let config = try ConfigLoader.parse(yaml: "log: {level: \(level.rawValue)}\n" + oneServer, path: "x.yaml")
        #expect(config.log.level == level)
    }

    @Test(arguments: ["true", "True", "TRUE", "false", "False", "FALSE"])
    func booleanSpellings(_ text: String) throws {
        let yaml = "vrrp: [{name: a, interface: eth0, vrid: 1, virtual_ips: [\"10.0.0.1/8\"], preempt: \(text)}]\n" + oneServer
        let config = try ConfigLoader.parse(yaml: yaml, path: "x.yaml")
        #expect(config.vrrp.first?.preempt == (text.lowercased() == "true"))
    }

    // MARK: - The example files

    @Test func theDemoConfigLoads() throws {
        let path = confDirectory.appendingPathComponent("ferry.yaml").path
        let config = try ConfigLoader.load(path: path)
        #expect(config.path == path)
        #expect(config.proxy.listen == [Endpoint(host: "0.0.0.0", port: 7010, family: .ipv4)])
        #expect(config.backends.servers.map(\.description) == (7001...7006).map { "127.0.0.1:\($0)" })
        #expect(config.stats.listen == Endpoint(host: "0.0.0.0", port: 7020, family: .ipv4))
        #expect(config.vrrp.isEmpty)
        #expect(config.health.auth == nil && config.stats.auth == nil)
    }

    /// The demo's commented-out VRRP block must itself be valid once uncommented.
    @Test func theDemoConfigsCommentedVRRPBlockIsValid() throws {
        let text = try String(contentsOf: confDirectory.appendingPathComponent("ferry.yaml"), encoding: .utf8)
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("# vrrp:") || line.hasPrefix("#   ") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        let config = try ConfigLoader.parse(yaml: uncommented, path: "ferry.yaml")
        #expect(config.vrrp.count == 1)
        #expect(config.vrrp.first?.virtualIPs == ["10.0.0.123/24"])
        #expect(config.vrrp.first?.trackBackendsWeight == -60)
    }

    @Test func theBrokenExampleFailsOnLine7() throws {
        let text = try String(contentsOf: confDirectory.appendingPathComponent("bad.yaml"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[6].trimmingCharacters(in: .whitespaces).hasPrefix("rise: 0"))
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: text, path: "conf/bad.yaml") }
        #expect(error.description == "conf/bad.yaml:7: health.rise: must be an integer ≥ 1")
        #expect(error == ConfigError(path: "conf/bad.yaml", line: 7, key: "health.rise", message: "must be an integer ≥ 1"))
    }

    // MARK: - Files and text

    @Test func aMissingFileHasNoLine() throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/ferry.yaml") }
        #expect(error == ConfigError(path: "/nonexistent/ferry.yaml", line: nil, key: "",
                                     message: "cannot read the file: No such file or directory"))
        #expect(error.description == "/nonexistent/ferry.yaml: cannot read the file: No such file or directory")
    }

    @Test func aDirectoryIsNotAFile() throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: "/") }
        #expect(error.message == "cannot read the file: Is a directory")
    }

    @Test func binaryFilesAreRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/binary.yaml"
            try Data([0x66, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: path) }
            #expect(error == ConfigError(path: path, line: nil, key: "", message: "the file is not UTF-8 text"))
        }
    }

    @Test func windowsLineEndingsAndAByteOrderMarkKeepLineNumbers() throws {
        let yaml = "\u{FEFF}backends:\r\n  servers: [\"127.0.0.1:7001\"]\r\nhealth:\r\n  rise: 1\r\n  rise: 0\r\n"
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, path: "x.yaml") }
        #expect(error.line == 5)
        #expect(error.key == "health.rise")
        #expect(error.message == "duplicate key (first on line 4)")

        let fine = "\u{FEFF}log: {format: json}\r\n" + oneServer
        #expect(try ConfigLoader.parse(yaml: fine, path: "x.yaml").log.format == .json)
    }

    @Test func aReusedValueThroughAnAnchorIsAccepted() throws {
        let yaml = "backends:\n  servers: &s [\"127.0.0.1:7001\"]\nproxy:\n  listen: *s\n"
        let config = try ConfigLoader.parse(yaml: yaml, path: "x.yaml")
        #expect(config.proxy.listen == config.backends.servers)
    }

    // MARK: - YAML syntax

    struct SyntaxCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var line: Int
        var message: String
        var testDescription: String { message }
    }

    @Test(arguments: [
        SyntaxCase(yaml: "proxy:\n  listen: [\"0.0.0.0:7010\"\nhealth: {}\n", line: 3, message: "invalid YAML: did not find expected ',' or ']'"),
        SyntaxCase(yaml: "health:\n  rise: 1\n fall: 2\n", line: 3, message: "invalid YAML: did not find expected key"),
        SyntaxCase(yaml: "health:\n\trise: 1\n", line: 2, message: "invalid YAML: found character that cannot start any token"),
        SyntaxCase(yaml: "---\nlog: {}\n---\nlog: {}\n", line: 3, message: "invalid YAML: only one document is allowed, a second one starts here"),
        SyntaxCase(yaml: "health:\n  rise: *nowhere\n", line: 2, message: "invalid YAML: found undefined alias"),
        SyntaxCase(yaml: "stats:\n  path: \"/stats\n", line: 3, message: "invalid YAML: found unexpected end of stream"),
        SyntaxCase(yaml: "log: {}\nstats: a\u{1}b\n", line: 2, message: "invalid YAML: control characters are not allowed"),
    ])
    func syntaxErrorsHaveALine(_ syntax: SyntaxCase) throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: syntax.yaml, path: "x.yaml") }
        #expect(error.key == "")
        #expect(error.line == syntax.line, "\(error)")
        #expect(error.message.hasPrefix(syntax.message), "\(error)")
        #expect(error.description.hasPrefix("x.yaml:\(syntax.line): invalid YAML: "))
    }

    // MARK: - The duplicate-key workaround

    @Test func aTagIsInsertedAtTheMarkedColumn() {
        let text = "a: 1\r\nb: {c: 1, c: 2}\n"
        #expect(ConfigLoader.insertTag("!t ", in: text, line: 2, column: 5) == "a: 1\r\nb: {!t c: 1, c: 2}\n")
        #expect(ConfigLoader.insertTag("!t ", in: "x: 1\n\"y\": 2\n", line: 2, column: 1) == "x: 1\n!t \"y\": 2\n")
        // Not the start of an untagged node, or not in the text: leave it to Yams' own report.
        #expect(ConfigLoader.insertTag("!t ", in: "!!str a: 1\n", line: 1, column: 1) == nil)
        #expect(ConfigLoader.insertTag("!t ", in: "*a : 1\n", line: 1, column: 1) == nil)
        #expect(ConfigLoader.insertTag("!t ", in: "a: 1\n", line: 3, column: 1) == nil)
        #expect(ConfigLoader.insertTag("!t ", in: "a: 1\nb: 2\n", line: 1, column: 9) == nil)
    }

    @Test func configErrorDescriptions() {
        #expect(ConfigError(path: "a.yaml", line: 3, key: "k.x", message: "m").description == "a.yaml:3: k.x: m")
        #expect(ConfigError(path: "a.yaml", line: nil, key: "k.x", message: "m").description == "a.yaml: k.x: m")
        #expect(ConfigError(path: "a.yaml", line: 2, key: "", message: "m").description == "a.yaml:2: m")
        #expect(ConfigError(path: "a.yaml", line: nil, key: "", message: "m").description == "a.yaml: m")
    }
}

/// Runs `body` with a fresh directory that is removed afterwards, whatever happens.
func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("ferry-config-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try body(directory)
}

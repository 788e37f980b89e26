/// The whole of Ferry's configuration, as read from YAML and validated.
///
/// Every value here has already been checked by ``ConfigLoader``; code that receives a
/// `FerryConfig` never has to validate again.
///
/// The file's sections are `proxy:`, `cluster:`, `backends:`, `health:`, `stats:`, `vrrp:` and
/// `log:`; only `backends:` is required.
public struct FerryConfig: Sendable, Equatable {
    public var proxy = ProxyConfig()
    /// `cluster:`, read only when ``ProxyConfig/mode`` is ``ProxyMode/cluster`` (the defaults otherwise).
    public var cluster = ClusterConfig()
    public var backends = BackendsConfig()
    public var health = HealthConfig()
    public var stats = StatsConfig()
    public var vrrp: [VRRPInstanceConfig] = []
    public var log = LogConfig()
    /// The file this configuration was read from, when it came from a file.
    public var path: String?

    public init() {}
}

/// An IPv4 or IPv6 address with a port, written `1.2.3.4:7010` or `[::1]:7010`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }
    public var host: String
    public var port: UInt16
    public var family: Family

    public init(host: String, port: UInt16, family: Family) {
        self.host = host
        self.port = port
        self.family = family
    }

    public var description: String { family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// `proxy.mode:` — what the proxy does with a client's connection.
public enum ProxyMode: String, Sendable, Equatable, CaseIterable {
    /// A byte relay: each client connection goes to one server chosen by `backends:`, and the
    /// servers do their own `AUTH`.
    case tcp
    /// A slot-aware Redis Cluster proxy: commands are routed by hash slot through the slot map
    /// read from the cluster (see ``ClusterConfig``), and Ferry authenticates clients itself
    /// (``ProxyConfig/auth``).
    case cluster
}

/// `proxy:` — the client-facing listener and the relay.
public struct ProxyConfig: Sendable, Equatable {
    /// `tcp` (the default) or `cluster`; `proxy.auth` and the `cluster:` section need `cluster`.
    public var mode: ProxyMode = .tcp
    public var listen: [Endpoint] = [Endpoint(host: "0.0.0.0", port: 7010, family: .ipv4)]
    /// Data-plane threads; 0 in the file means one per CPU and is resolved at start.
    public var threads: Int = 0
    /// Concurrent client connections across all threads.
    public var maxconn: Int = 10_000
    public var timeouts = Timeouts()
    /// How long SIGTERM/SIGINT lets established sessions finish before closing them.
    public var shutdownGrace: Duration = .seconds(10)
    /// `proxy.auth:` — cluster mode only: the users clients authenticate as (`AUTH`, `HELLO … AUTH`),
    /// in file order, no username twice. A `nil` username is Redis's `default` user. Empty (the
    /// default) means no authentication: every client is the `default` user.
    public var auth: [Credentials] = []
    public init() {}
}

/// `cluster:` — Redis Cluster mode. Only allowed with `proxy.mode: cluster`; a `cluster:` with
/// nothing under it counts as absent.
public struct ClusterConfig: Sendable, Equatable {
    /// How often the slot map is read again from the cluster: more than 0, at most 1h.
    public var refresh: Duration = .seconds(1)
    /// Pipelined connections each data-plane thread keeps to each master (1…64); a client's
    /// commands always take the same one, so they run in the order it sent them.
    public var connectionsPerServer: Int = 1
    /// How long a command for a slot without a live master (down, failing over, or answering
    /// CLUSTERDOWN/TRYAGAIN/LOADING) waits for one before it is answered CLUSTERDOWN; 0 = at once.
    public var hold: Duration = .seconds(2)
    public init() {}
}

/// `proxy.timeouts:` — `nil` means no timeout (written `0` in the file).
public struct Timeouts: Sendable, Equatable {
    /// One connect attempt to a backend.
    public var connect: Duration? = .seconds(2)
    /// No byte from or to the client for this long closes the session.
    public var clientIdle: Duration? = nil
    /// No byte from or to the server for this long closes the session.
    public var serverIdle: Duration? = nil
    /// Once one direction has been closed (FIN), inactivity this long closes the session.
    public var clientFin: Duration? = .seconds(5)
    public init() {}
}

/// Which health-check role makes a server routable.
public enum BackendSelection: String, Sendable, Equatable, CaseIterable {
    case master, replica, any
}

/// What happens to established sessions of a server that stops being routable.
public enum OnDownAction: String, Sendable, Equatable, CaseIterable {
    case shutdownSessions = "shutdown-sessions"
    case keep
}

/// `backends:` — the Redis servers and how they are chosen.
public struct BackendsConfig: Sendable, Equatable {
    public var select: BackendSelection = .master
    public var servers: [Endpoint] = []
    public var onDown: OnDownAction = .shutdownSessions
    /// Connect attempts after the first failed one, each to the next routable server.
    public var retries: Int = 3
    /// cluster mode: the ACL user (and password file) Ferry's own connections to the servers
    /// authenticate as, its shared links and its topology queries; `nil` = none.
    public var auth: Credentials? = nil
    public init() {}
}

/// Credentials for `AUTH`: the password is read from `passwordFile` at load time.
public struct Credentials: Sendable, Equatable {
    /// `nil` when the file gives none: Redis's `default` user (`AUTH <password>`).
    public var username: String?
    public var passwordFile: String
    public var password: String
    public init(username: String?, passwordFile: String, password: String) {
        self.username = username
        self.passwordFile = passwordFile
        self.password = password
    }
}

/// `health:` — the Redis health check (connect, optional AUTH, PING, ROLE).
public struct HealthConfig: Sendable, Equatable {
    public var interval: Duration = .seconds(1)
    public var timeout: Duration = .milliseconds(500)
    public var rise: Int = 2
    public var fall: Int = 3
    public var auth: Credentials? = nil
    public init() {}
}

/// `stats:` — the embedded HTTP stats server.
public struct StatsConfig: Sendable, Equatable {
    public var listen: Endpoint = Endpoint(host: "0.0.0.0", port: 7020, family: .ipv4)
    public var path: String = "/stats"
    public var refresh: Duration = .seconds(5)
    public var auth: Credentials? = nil
    public init() {}
}

/// `garp:` — gratuitous ARP on becoming master.
public struct GARPConfig: Sendable, Equatable {
    public var count: Int = 5
    public var repeatAfter: Duration? = .seconds(5)
    public var refresh: Duration? = nil
    public init() {}
}

/// One entry of `vrrp:` — a virtual router this instance takes part in.
public struct VRRPInstanceConfig: Sendable, Equatable {
    public var name: String
    public var interface: String
    public var vrid: Int
    public var version: Int = 3
    public var priority: Int = 100
    public var advertInterval: Duration = .seconds(1)
    public var preempt: Bool = true
    public var preemptDelay: Duration = .zero
    /// Addresses with prefix length, `10.0.0.123/24`.
    public var virtualIPs: [String] = []
    public var unicastPeers: [String] = []
    public var trackBackendsWeight: Int = 0
    public var garp = GARPConfig()
    public var notify: String? = nil

    public init(name: String, interface: String, vrid: Int) {
        self.name = name
        self.interface = interface
        self.vrid = vrid
    }
}

/// `log:`
public struct LogConfig: Sendable, Equatable {
    public enum Level: String, Sendable, Equatable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }
    public enum Format: String, Sendable, Equatable, CaseIterable { case text, json }
    public var level: Level = .info
    public var format: Format = .text
    public init() {}
}

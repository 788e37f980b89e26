import Config
import FuzzSupport

/// ConfigLoader.parse(yaml:path:) on arbitrary text (invalid UTF-8 is replaced, as the loader
/// refuses it before parsing anyway).
///
/// Beyond "no crash", it checks:
/// - every error names the file; its line is within the text (or absent only for the problems that
///   have no position: a missing `backends` section, a YAML error without a mark); its key is empty
///   only for problems that belong to no key (YAML syntax, the document not being a mapping);
///   its one-line form is `FILE:LINE: key: message`;
/// - parsing is deterministic, a byte-order mark changes nothing, and neither do CRLF line ends;
/// - an accepted configuration satisfies the rules the loader promises its users.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = parse(text)
    require(parse(text) == result, "not deterministic")
    switch result {
    case .failure(let error): check(error, in: text)
    case .success(let config): check(config)
    }
    if text.unicodeScalars.first != "\u{FEFF}" {
        require(parse("\u{FEFF}" + text) == result, "a byte-order mark changed \(result) into \(parse("\u{FEFF}" + text))")
    }
    if !text.unicodeScalars.contains("\r") {
        let crlf = String(String.UnicodeScalarView(text.unicodeScalars.flatMap { $0 == "\n" ? ["\r", "\n"] : [$0] }))
        require(same(parse(crlf), result), "CRLF line ends changed \(result) into \(parse(crlf))")
    }
    return 0
}

let path = "fuzz.yaml"

func parse(_ text: String) -> Result<FerryConfig, ConfigError> {
    Result { () throws(ConfigError) in try ConfigLoader.parse(yaml: text, path: path) }
}

/// Equal, except that a YAML syntax message may quote the line break it tripped over.
func same(_ a: Result<FerryConfig, ConfigError>, _ b: Result<FerryConfig, ConfigError>) -> Bool {
    switch (a, b) {
    case (.failure(let x), .failure(let y)) where x.message.hasPrefix("invalid YAML") && y.message.hasPrefix("invalid YAML"):
        return x.line == y.line && x.key == y.key
    default:
        return a == b
    }
}

/// Lines as libyaml counts them: CR, LF, CRLF, NEL, LS and PS each end one.
func lineCount(_ text: String) -> Int {
    var lines = 1
    var previous: Unicode.Scalar?
    for scalar in text.unicodeScalars {
        if ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar), !(scalar == "\n" && previous == "\r") {
            lines += 1
        }
        previous = scalar
    }
    return lines
}

func check(_ error: ConfigError, in text: String) {
    let syntax = error.message.hasPrefix("invalid YAML")
    require(error.path == path, "path \(error.path)")
    require(!error.message.isEmpty, "empty message for \(error.key)")
    if let line = error.line {
        require(line >= 1 && line <= lineCount(text), "line \(line) of \(lineCount(text)): \(error)")
    } else {
        require(syntax || (error.key == "backends.servers" && error.message.hasPrefix("required")), "no line: \(error)")
    }
    if error.key.isEmpty {
        let keyless = syntax || error.message.hasPrefix("the file must be a mapping") || error.message.hasPrefix("keys must be names")
        // A top-level key written as `""` has the empty path too.
        let emptyName = error.message.hasPrefix("unknown key") || error.message.hasPrefix("duplicate key")
        require(keyless || emptyName, "no key: \(error)")
    }
    let place = error.line.map { "\(path):\($0): " } ?? "\(path): "
    require(error.description.hasPrefix(place + (error.key.isEmpty ? "" : error.key + ": ")), "description \(error.description)")
}

func check(_ config: FerryConfig) {
    require(config.path == path, "config path")
    require(!config.backends.servers.isEmpty, "no servers")
    require(Set(config.backends.servers).count == config.backends.servers.count, "repeated server")
    require(!config.proxy.listen.isEmpty, "no listen address")
    require((0...1024).contains(config.proxy.threads) && config.proxy.maxconn >= 1, "threads/maxconn")
    require((0...10).contains(config.backends.retries), "retries")
    let health = config.health
    require(health.interval >= .milliseconds(10) && health.timeout > .zero && health.timeout <= health.interval, "health timing")
    require(health.rise >= 1 && health.fall >= 1, "rise/fall")
    require(health.auth.map { !$0.password.isEmpty } ?? true, "empty health password")
    require(config.stats.path.hasPrefix("/"), "stats path")
    require(config.stats.refresh == .zero || config.stats.refresh >= .seconds(1), "stats refresh")
    require(config.stats.auth.map { $0.username != nil && !$0.password.isEmpty } ?? true, "stats auth")
    require(Set(config.vrrp.map(\.name)).count == config.vrrp.count, "repeated VRRP name")
    for instance in config.vrrp {
        require(!instance.name.isEmpty && (1...15).contains(instance.interface.utf8.count), "VRRP name/interface")
        require((1...255).contains(instance.vrid) && (1...255).contains(instance.priority), "VRRP vrid/priority")
        require([2, 3].contains(instance.version), "VRRP version")
        require((1...255).contains(instance.virtualIPs.count), "VRRP virtual_ips")
        require((-254...254).contains(instance.trackBackendsWeight), "VRRP weight")
        let interval = instance.advertInterval
        if instance.version == 2 {
            require(interval >= .seconds(1) && interval <= .seconds(255), "v2 interval \(interval)")
        } else {
            require(interval >= .milliseconds(10) && interval <= .milliseconds(40_950), "v3 interval \(interval)")
        }
    }
    let slots = config.vrrp.map { "\($0.interface) \($0.vrid)" }
    require(Set(slots).count == slots.count, "two instances with one VRID on one interface")
}

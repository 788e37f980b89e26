/// A problem in a configuration file, with the place it was found.
///
/// Printed by `ferry check-config` as `FILE:LINE: key.path: message`, so editors and CI logs can
/// jump to the line. When there is no position (an unreadable file, a missing section) the line is
/// left out: `FILE: key.path: message`. Problems that belong to no key (YAML syntax, I/O) leave the
/// key empty and it is left out too.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The configuration file, as it was given to the loader.
    public var path: String
    /// 1-based line of the offending key or value; `nil` when there is no position.
    public var line: Int?
    /// Dotted key path such as `health.rise`, `backends.servers[2]` or `vrrp[0].vrid`; empty when the
    /// problem is not about one key (YAML syntax, unreadable file).
    public var key: String
    /// What is wrong, phrased to follow the key: `must be an integer ≥ 1`.
    public var message: String

    /// A problem in `path` at `line` (or nowhere in particular, with `nil`), about `key`.
    public init(path: String, line: Int?, key: String, message: String) {
        self.path = path
        self.line = line
        self.key = key
        self.message = message
    }

    /// `conf/bad.yaml:7: health.rise: must be an integer ≥ 1`
    public var description: String {
        var text = path
        if let line { text += ":\(line)" }
        text += ": "
        if !key.isEmpty { text += "\(key): " }
        return text + message
    }
}

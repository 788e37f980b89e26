import HTTPTypes

/// What the request's form says before any route or credential is looked at: a target that is
/// not a plain path (dot segments, encoded separators or NUL, empty segments, too long) or a
/// `Host` that names no host. The parser has already refused what is not HTTP at all; these
/// requests are valid HTTP that no page of ours can mean, the marks of a scanner or a broken client.
/// Pure: no I/O, tested without sockets.
enum StatsRequestCheck {
    /// Why a request is refused, and how it is answered and counted.
    struct Rejection: Equatable, Sendable {
        var status: HTTPResponse.Status
        var counter: StatsCounterStore.Counter
        /// For the log line: fixed wording, never the request's own bytes.
        var reason: String
    }

    /// Longer targets (path and query) are refused with 414: the server's own links are well under 200 bytes.
    static let maxTargetLength = 4096

    static let host = HTTPField.Name("Host")!

    /// `target` is the request's path and query as received (`/stats;csv?x=1`); `authority` the first
    /// `Host`; `headers` the other fields (a second `Host` stays among them).
    static func rejection(target: String, authority: String?, headers: HTTPFields) -> Rejection? {
        if let problem = hostProblem(authority: authority, headers: headers) {
            return Rejection(status: .badRequest, counter: .malformed, reason: problem)
        }
        if target.utf8.count > maxTargetLength {
            return Rejection(status: .uriTooLong, counter: .rejectedPaths,
                             reason: "request target longer than \(maxTargetLength) bytes")
        }
        if let problem = pathProblem(target.prefix { $0 != "?" }) {
            return Rejection(status: .badRequest, counter: .rejectedPaths, reason: problem)
        }
        return nil
    }

    /// RFC 9112 §3.2: more than one `Host`, or one that is not `host[:port]`, is a 400. A missing one
    /// is let through: HTTP/1.0 has none, and neither do some load balancers' health checks.
    static func hostProblem(authority: String?, headers: HTTPFields) -> String? {
        guard headers[values: host].isEmpty else { return "more than one Host header" }
        guard let authority, !authority.isEmpty else { return nil }
        var name = Substring(authority), port: Substring?
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return "Host is not host[:port]" }
            let literal = name[name.index(after: name.startIndex)..<close]
            // IPv6 (and RFC 6874 zone identifiers, `[fe80::1%25eth0]`).
            guard !literal.isEmpty, literal.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic
                                                                                      || $0.properties.numericType != nil
                                                                                      || ":.%-_~".unicodeScalars.contains($0)) })
            else { return "Host is not host[:port]" }
            let rest = name[name.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return "Host is not host[:port]" }
                port = rest.dropFirst()
            }
            name = ""
        } else if let colon = name.lastIndex(of: ":") {
            port = name[name.index(after: colon)...]
            name = name[..<colon]
        }
        guard name.unicodeScalars.allSatisfy(isRegNameCharacter) else { return "Host is not host[:port]" }
        if let port {
            guard port.count <= 5, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else { return "Host has a bad port" }
        }
        return nil
    }

    /// RFC 3986 reg-name: unreserved, sub-delims and `%` (escapes).
    private static func isRegNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                           || "-._~!$&'()*+,;=%".unicodeScalars.contains(scalar))
    }

    /// Not a route and not worth a 404: what only path traversal or request smuggling would send.
    static func pathProblem(_ path: Substring) -> String? {
        guard path.hasPrefix("/") else { return "request target is not a path" }
        if path.contains("//") { return "empty path segment" }
        if path.contains("\\") { return "backslash in path" }
        // `;` separates HAProxy-style options (`/stats;csv`): a dot segment there is one too.
        let segments = path.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == ";" }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "dot segment in path" }
        var bytes = path.utf8[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else { continue }
            let hex = bytes.prefix(2)
            guard hex.count == 2, hex.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                  let value = UInt8(String(decoding: hex, as: UTF8.self), radix: 16) else {
                return "broken percent-encoding in path"
            }
            bytes = bytes.dropFirst(2)
            switch value {
            case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: ";"):
                return "encoded separator or dot in path"
            case UInt8(ascii: "%"):
                return "double percent-encoding in path"
            case 0..<0x20, 0x7f:
                return "encoded control character in path"
            default:
                continue
            }
        }
        return nil
    }
}

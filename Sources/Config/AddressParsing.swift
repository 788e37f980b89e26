#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an address did not parse; the text completes "key: …".
struct AddressSyntaxError: Error, Equatable {
    var message: String
}

/// The address syntaxes of the configuration file: endpoints (`IPv4:port`, `[IPv6]:port`), bare
/// IPv4 addresses, and IPv4 addresses with a prefix length.
///
/// Host names are refused on purpose: resolving them at start-up would make the proxy's behaviour
/// depend on DNS at the worst moment (a failover), and HAProxy users have been bitten by that.
enum AddressSyntax {
    static let endpointExpectation = "must be IP:port, such as 127.0.0.1:7001 or [::1]:7001"

    /// Parses `1.2.3.4:7010` or `[::1]:7010`. IPv6 hosts are stored in their canonical text form
    /// (so `[0::1]` and `[::1]` are recognised as the same server), IPv4 hosts as written.
    static func endpoint(_ text: String) throws(AddressSyntaxError) -> Endpoint {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw AddressSyntaxError(message: endpointExpectation) }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard !rest.isEmpty else { throw AddressSyntaxError(message: "\(endpointExpectation) (the port is missing)") }
            guard rest.hasPrefix(":") else { throw AddressSyntaxError(message: endpointExpectation) }
            guard let canonical = ipv6(host) else {
                if host.contains("%") {
                    throw AddressSyntaxError(message: "\(host) is not a valid IPv6 address (zone indexes such as %eth0 are not supported)")
                }
                throw AddressSyntaxError(message: "\(host) is not a valid IPv6 address")
            }
            let port = try port(rest.dropFirst())
            return Endpoint(host: canonical, port: port, family: .ipv6)
        }

        guard let colon = text.lastIndex(of: ":") else {
            throw AddressSyntaxError(message: "\(endpointExpectation) (the port is missing)")
        }
        let host = text[..<colon]
        if host.contains(":") {
            throw AddressSyntaxError(message: "IPv6 addresses must be written in brackets, such as [::1]:7001")
        }
        guard !host.isEmpty else { throw AddressSyntaxError(message: endpointExpectation) }
        guard host.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }) else {
            throw AddressSyntaxError(message: "must be IP:port (host names are not resolved)")
        }
        guard isIPv4(host) else { throw AddressSyntaxError(message: "\(host) is not a valid IPv4 address") }
        let port = try port(text[text.index(after: colon)...])
        return Endpoint(host: String(host), port: port, family: .ipv4)
    }

    /// Four decimal octets 0…255. Leading zeros are refused because some tools read `010` as octal.
    static func isIPv4<S: StringProtocol>(_ text: S) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        return octets.allSatisfy { octet in
            guard (1...3).contains(octet.utf8.count),
                  octet.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  octet == "0" || !octet.hasPrefix("0"),
                  let value = Int(octet), value <= 255
            else { return false }
            return true
        }
    }

    /// The canonical text of an IPv6 address (`inet_pton` then `inet_ntop`), or `nil` if invalid.
    static func ipv6(_ text: String) -> String? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `a.b.c.d/len` with len 1…32; returns the address part and the length.
    static func ipv4Prefix(_ text: String) -> (address: Substring, length: Int)? {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let address = text[..<slash]
        let lengthText = text[text.index(after: slash)...]
        guard isIPv4(address),
              (1...2).contains(lengthText.utf8.count),
              lengthText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              !lengthText.hasPrefix("0"),
              let length = Int(lengthText), (1...32).contains(length)
        else { return nil }
        return (address, length)
    }

    /// A decimal port 1…65535.
    private static func port(_ text: Substring) throws(AddressSyntaxError) -> UInt16 {
        guard !text.isEmpty else { throw AddressSyntaxError(message: "\(endpointExpectation) (the port is missing)") }
        guard text.utf8.count <= 5,
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(text), (1...65535).contains(value)
        else { throw AddressSyntaxError(message: "port must be a number from 1 to 65535") }
        return UInt16(value)
    }
}

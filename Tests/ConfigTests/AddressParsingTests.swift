import Testing

@testable import Config

struct AddressParsingTests {
    @Test(arguments: [
        ("127.0.0.1:7001", Endpoint(host: "127.0.0.1", port: 7001, family: .ipv4)),
        ("0.0.0.0:1", Endpoint(host: "0.0.0.0", port: 1, family: .ipv4)),
        ("255.255.255.255:65535", Endpoint(host: "255.255.255.255", port: 65535, family: .ipv4)),
        ("[::1]:7001", Endpoint(host: "::1", port: 7001, family: .ipv6)),
        ("[::]:7010", Endpoint(host: "::", port: 7010, family: .ipv6)),
        ("[0:0:0:0:0:0:0:1]:80", Endpoint(host: "::1", port: 80, family: .ipv6)),  // canonical form
        ("[FD00::AB]:80", Endpoint(host: "fd00::ab", port: 80, family: .ipv6)),
        ("[::ffff:10.0.0.1]:80", Endpoint(host: "::ffff:10.0.0.1", port: 80, family: .ipv6)),
        ("10.0.0.1:08", Endpoint(host: "10.0.0.1", port: 8, family: .ipv4)),
    ])
    func validEndpoints(text: String, expected: Endpoint) throws {
        #expect(try AddressSyntax.endpoint(text) == expected)
    }

    @Test(arguments: [
        ("localhost:7001", "must be IP:port (host names are not resolved)"),
        ("redis-1.example:7001", "must be IP:port (host names are not resolved)"),
        ("1.2.3.4a:7001", "must be IP:port (host names are not resolved)"),
        ("127.0.0.1", "must be IP:port, such as 127.0.0.1:7001 or [::1]:7001 (the port is missing)"),
        ("127.0.0.1:", "(the port is missing)"),
        (":7001", "must be IP:port, such as 127.0.0.1:7001 or [::1]:7001"),
        ("", "(the port is missing)"),
        ("127.0.0.1:0", "port must be a number from 1 to 65535"),
        ("127.0.0.1:65536", "port must be a number from 1 to 65535"),
        ("127.0.0.1:100000", "port must be a number from 1 to 65535"),
        ("127.0.0.1:-1", "port must be a number from 1 to 65535"),
        ("127.0.0.1:+80", "port must be a number from 1 to 65535"),
        ("127.0.0.1:http", "port must be a number from 1 to 65535"),
        ("127.0.0.1:80 ", "port must be a number from 1 to 65535"),
        ("256.0.0.1:80", "256.0.0.1 is not a valid IPv4 address"),
        ("1.2.3:80", "1.2.3 is not a valid IPv4 address"),
        ("1.2.3.4.5:80", "1.2.3.4.5 is not a valid IPv4 address"),
        ("1..3.4:80", "1..3.4 is not a valid IPv4 address"),
        ("01.2.3.4:80", "01.2.3.4 is not a valid IPv4 address"),
        ("::1:80", "IPv6 addresses must be written in brackets, such as [::1]:7001"),
        ("[::1]", "(the port is missing)"),
        ("[::1]:", "(the port is missing)"),
        ("[::1]80", "must be IP:port, such as 127.0.0.1:7001 or [::1]:7001"),
        ("[::1:80", "must be IP:port, such as 127.0.0.1:7001 or [::1]:7001"),
        ("[127.0.0.1]:80", "127.0.0.1 is not a valid IPv6 address"),
        ("[::g]:80", "::g is not a valid IPv6 address"),
        ("[fe80::1%eth0]:80", "fe80::1%eth0 is not a valid IPv6 address (zone indexes such as %eth0 are not supported)"),
        ("[]:80", " is not a valid IPv6 address"),
    ])
    func invalidEndpoints(text: String, message: String) {
        #expect(throws: AddressSyntaxError.self) { try AddressSyntax.endpoint(text) }
        do {
            _ = try AddressSyntax.endpoint(text)
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test(arguments: [
        ("0.0.0.0", true), ("10.0.0.1", true), ("255.255.255.255", true), ("192.168.100.200", true),
        ("256.1.1.1", false), ("1.2.3", false), ("1.2.3.4.", false), (".1.2.3", false), ("1.2.3.04", false),
        ("1.2.3.-4", false), ("1.2.3.4 ", false), ("a.b.c.d", false), ("", false), ("1.2.3.1000", false),
        ("::1", false), ("١.٢.٣.٤", false),  // Arabic-Indic digits are not ASCII digits
    ])
    func ipv4(text: String, valid: Bool) {
        #expect(AddressSyntax.isIPv4(text) == valid)
    }

    @Test(arguments: [
        ("10.0.0.123/24", true), ("10.0.0.1/32", true), ("10.0.0.1/1", true),
        ("10.0.0.1/0", false), ("10.0.0.1/33", false), ("10.0.0.1/024", false), ("10.0.0.1/", false),
        ("10.0.0.1", false), ("/24", false), ("10.0.0.1/24/1", false), ("10.0.0.1/2a", false), ("fd00::1/64", false),
    ])
    func ipv4Prefix(text: String, valid: Bool) {
        #expect((AddressSyntax.ipv4Prefix(text) != nil) == valid)
    }

    @Test func ipv6IsCanonicalised() {
        #expect(AddressSyntax.ipv6("2001:DB8:0:0:0:0:0:1") == "2001:db8::1")
        #expect(AddressSyntax.ipv6("2001:db8::1::2") == nil)
        #expect(AddressSyntax.ipv6("1.2.3.4") == nil)
    }

    @Test(arguments: [
        ("eth0", true), ("eth1.100", true), ("br-lan", true), ("abcdefghijklmno", true),
        ("abcdefghijklmnop", false), ("", false), (".", false), ("..", false), ("a/b", false), ("eth0:1", false),
        ("eth 0", false), ("eth\t0", false),
    ])
    func interfaceNames(name: String, valid: Bool) {
        #expect(ConfigDecoder.isInterfaceName(name) == valid)
    }
}

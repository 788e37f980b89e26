import Testing

@testable import VRRP

@Suite struct IPv4AddressTests {
    @Test(arguments: [
        ("0.0.0.0", UInt32(0)),
        ("10.0.0.123", 0x0A00_007B),
        ("224.0.0.18", 0xE000_0012),
        ("255.255.255.255", 0xFFFF_FFFF),
        ("192.168.1.1", 0xC0A8_0101),
    ])
    func parsesAndPrints(text: String, raw: UInt32) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.rawValue == raw)
        #expect(address.description == text)
        #expect(IPv4Address(bytes: address.bytes, at: 0) == address)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1..2.3", " 1.2.3.4", "1.2.3.4 ", "1234.1.1.1"])
    func refusesMalformedText(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: [
        ("10.0.0.1", "10.0.0.2"),
        ("9.255.255.255", "10.0.0.0"),
        ("10.0.0.255", "10.0.1.0"),
        ("127.255.255.255", "128.0.0.0"),  // the sign bit must not flip the order
    ])
    func ordersAsUnsignedNetworkOrderIntegers(lower: String, higher: String) throws {
        let a = try #require(IPv4Address(lower)), b = try #require(IPv4Address(higher))
        #expect(a < b)
        #expect(!(b < a))
    }

    @Test func multicastAndConstants() {
        #expect(IPv4Address.vrrpMulticast.description == "224.0.0.18")
        #expect(IPv4Address.vrrpMulticast.isMulticast)
        #expect(!IPv4Address(10, 0, 0, 1).isMulticast)
        #expect(IPv4Address(239, 255, 255, 255).isMulticast)
        #expect(!IPv4Address(240, 0, 0, 0).isMulticast)
    }

    @Test(arguments: [
        ("10.0.0.123/24", "10.0.0.123", 24),
        ("192.168.1.1/32", "192.168.1.1", 32),
        ("0.0.0.0/0", "0.0.0.0", 0),
    ])
    func parsesCIDR(text: String, address: String, length: Int) throws {
        let parsed = try #require(IPv4Address.parseCIDR(text))
        #expect(parsed.address.description == address)
        #expect(parsed.prefixLength == length)
    }

    @Test(arguments: ["10.0.0.1", "10.0.0.1/33", "10.0.0.1/", "10.0.0/24", "10.0.0.1/+4", "10.0.0.1/024"])
    func refusesMalformedCIDR(text: String) {
        #expect(IPv4Address.parseCIDR(text) == nil)
    }
}

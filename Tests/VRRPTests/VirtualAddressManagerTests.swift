import Glibc
import Testing
@testable import VRRP

/// VirtualAddressManager against the kernel's rtnetlink in a lab host, cross-checked with `ip`.
@Suite("VirtualAddressManager in a network lab", .enabled(if: NetworkLab.isAvailable, "needs root for network namespaces and rtnetlink changes"))
struct VirtualAddressManagerTests {
    @Test("add, list and remove a VIP; the kernel's EEXIST and EADDRNOTAVAIL come back typed")
    func addListRemove() throws {
        let lab = try NetworkLab(hosts: 1)
        defer { lab.teardown() }
        let host = lab.host(0)
        let manager = try lab.inside(host) { try VirtualAddressManager() }
        let vip = host.address & 0xFFFF_FF00 | 100

        try manager.add(vip, prefixLength: 24, to: host.interface)

        let listed = try manager.addresses(on: host.interface)
        #expect(listed.map(\.address) == [host.address, vip])
        let added = try #require(listed.last)
        #expect(added.prefixLength == 24)
        #expect(added.label == "eth0:ferry")
        #expect(added.isLabelledVirtualAddress)
        #expect(added.isSecondary, "same subnet as the host's address, so a secondary")
        #expect(added.interfaceIndex == (try manager.interfaceIndex(of: host.interface)))
        #expect(try lab.listedAddresses(on: host).contains("\(NetworkLab.format(vip))/24"))

        #expect(throws: VirtualAddressError.kernel(request: "add \(NetworkLab.format(vip))/24 on eth0", errno: EEXIST)) {
            try manager.add(vip, prefixLength: 24, to: host.interface)
        }

        try manager.remove(vip, prefixLength: 24, from: host.interface)
        #expect(try manager.addresses(on: host.interface).map(\.address) == [host.address])
        #expect(try !lab.listedAddresses(on: host).contains("\(NetworkLab.format(vip))/24"))

        let absent = #expect(throws: VirtualAddressError.self) { try manager.remove(vip, prefixLength: 24, from: host.interface) }
        #expect(absent?.errno == EADDRNOTAVAIL)
        #expect(absent?.description.contains("Cannot assign requested address") == true)
    }

    @Test("the primary address skips labelled VIPs and configured ones, even outside the subnet")
    func primaryAddress() throws {
        let lab = try NetworkLab(hosts: 1)
        defer { lab.teardown() }
        let host = lab.host(0)
        let manager = try lab.inside(host) { try VirtualAddressManager() }
        let outside: UInt32 = 0x0AC8_0001  // 10.200.0.1, a primary of its own subnet
        let unlabelled: UInt32 = 0x0AC9_0001  // 10.201.0.1, as keepalived or an operator adds it

        // Remove the host's address and put it back after a VIP, so the VIP is listed first.
        try lab.run(in: host, ["ip", "address", "flush", "dev", host.interface])
        try manager.add(outside, prefixLength: 32, to: host.interface)
        try manager.add(unlabelled, prefixLength: 32, to: host.interface, labelled: false)
        try lab.run(in: host, ["ip", "address", "add", "\(host.addressText)/24", "dev", host.interface])

        #expect(try manager.addresses(on: host.interface).map(\.address) == [outside, unlabelled, host.address])
        #expect(try manager.primaryAddress(of: host.interface, excluding: [unlabelled]) == host.address)
        #expect(try manager.primaryAddress(of: host.interface) == unlabelled)
        #expect(try manager.primaryAddress(of: "lo") == 0x7F00_0001)
    }

    @Test("a stale VIP left by a crash is removed whatever its prefix, once")
    func staleVIP() throws {
        let lab = try NetworkLab(hosts: 1)
        defer { lab.teardown() }
        let host = lab.host(0)
        let manager = try lab.inside(host) { try VirtualAddressManager() }
        let vip = host.address & 0xFFFF_FF00 | 200
        try lab.run(in: host, ["ip", "address", "add", "\(NetworkLab.format(vip))/32", "dev", host.interface])

        #expect(try manager.removeIfPresent(vip, from: host.interface))
        #expect(try !manager.removeIfPresent(vip, from: host.interface))
        #expect(try lab.listedAddresses(on: host) == ["\(host.addressText)/24"])
    }

    @Test("unknown interfaces are reported as such, for lookups and changes alike")
    func unknownInterface() throws {
        let lab = try NetworkLab(hosts: 1)
        defer { lab.teardown() }
        let manager = try lab.inside(lab.host(0)) { try VirtualAddressManager() }
        #expect(throws: VirtualAddressError.noSuchInterface("nosuch0")) { try manager.interfaceIndex(of: "nosuch0") }
        #expect(throws: VirtualAddressError.noSuchInterface("nosuch0")) {
            try manager.add(0x0A00_0001, prefixLength: 32, to: "nosuch0")
        }
        #expect(throws: VirtualAddressError.noSuchInterface("nosuch0")) { try manager.addresses(on: "nosuch0") }
    }

    @Test("the manager answers for its own namespace from any thread")
    func namespaceBound() throws {
        let lab = try NetworkLab(hosts: 2)
        defer { lab.teardown() }
        let a = lab.host(0), b = lab.host(1)
        let managerA = try lab.inside(a) { try VirtualAddressManager() }
        let managerB = try lab.inside(b) { try VirtualAddressManager() }
        // Called from the test's own thread (the machine's namespace): each sees only its host.
        #expect(try managerA.primaryAddress(of: "eth0") == a.address)
        #expect(try managerB.primaryAddress(of: "eth0") == b.address)
    }
}

/// The rtnetlink byte layout, without a kernel.
@Suite("RouteNetlinkMessage")
struct RouteNetlinkMessageTests {
    @Test("an add request is nlmsghdr + ifaddrmsg + IFA_LOCAL, IFA_ADDRESS and a padded IFA_LABEL")
    func addRequest() {
        let bytes = RouteNetlinkMessage.addressChange(type: 20, sequence: 7, interfaceIndex: 3, address: 0x0A7B_0064,
                                                      prefixLength: 24, label: "eth0:ferry")
        let label = Array("eth0:ferry".utf8) + [0, 0]  // 11 bytes with NUL, padded to 12
        let expected: [UInt8] =
            native(UInt32(16 + 8 + 8 + 8 + 16)) + native(UInt16(20)) + native(UInt16(0x1 | 0x4 | 0x400 | 0x200))
            + native(UInt32(7)) + native(UInt32(0))
            + [UInt8(AF_INET), 24, 0, 0] + native(UInt32(3))
            + native(UInt16(8)) + native(UInt16(2)) + [10, 123, 0, 100]
            + native(UInt16(8)) + native(UInt16(1)) + [10, 123, 0, 100]
            + native(UInt16(15)) + native(UInt16(3)) + label
        #expect(bytes == expected)
    }

    @Test("a delete without prefix carries only IFA_LOCAL and asks for no create/exclusive flags")
    func deleteRequest() {
        let bytes = RouteNetlinkMessage.addressChange(type: 21, sequence: 1, interfaceIndex: 2, address: 0x0A00_0001,
                                                      prefixLength: nil, label: nil)
        #expect(bytes.count == 16 + 8 + 8)
        #expect(bytes[6] == 0x05 && bytes[7] == 0)
        #expect(Array(bytes[24...]) == native(UInt16(8)) + native(UInt16(2)) + [10, 0, 0, 1])
    }

    @Test("replies: an error carries the negated errno, an ACK is error 0, addresses decode")
    func parseReplies() throws {
        let error = native(UInt32(36)) + native(UInt16(2)) + native(UInt16(0)) + native(UInt32(9)) + native(UInt32(0))
            + native(Int32(-EEXIST)) + [UInt8](repeating: 0, count: 16)
        let address = native(UInt32(16 + 8 + 8 + 12 + 8)) + native(UInt16(20)) + native(UInt16(2)) + native(UInt32(4))
            + native(UInt32(0)) + [UInt8(AF_INET), 24, 0x80, 0] + native(UInt32(5))
            + native(UInt16(8)) + native(UInt16(2)) + [192, 168, 1, 10]
            + native(UInt16(9)) + native(UInt16(3)) + Array("eth1\0".utf8) + [0, 0, 0]
            + native(UInt16(8)) + native(UInt16(8)) + native(UInt32(0x81))
        let done = native(UInt32(20)) + native(UInt16(3)) + native(UInt16(2)) + native(UInt32(4)) + native(UInt32(0)) + native(UInt32(0))
        let replies = try (error + address + done).withUnsafeBytes { try RouteNetlinkMessage.parse($0) }
        #expect(replies.map(\.sequence) == [9, 4, 4])
        #expect(replies[0].reply == .status(errno: EEXIST))
        #expect(replies[1].reply == .address(.init(address: 0xC0A8_010A, prefixLength: 24, interfaceIndex: 5, label: "eth1", flags: 0x81)))
        #expect(replies[2].reply == .done)
    }

    @Test("a truncated reply is rejected, not read past its end")
    func truncated() {
        let bytes = native(UInt32(64)) + native(UInt16(2)) + native(UInt16(0)) + native(UInt32(1)) + native(UInt32(0))
        #expect(throws: VirtualAddressError.self) { try bytes.withUnsafeBytes { try RouteNetlinkMessage.parse($0) } }
    }

    private func native<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
}

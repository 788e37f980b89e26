import Cluster
import Testing

/// Error texts as redis-server 7.0.15 wrote them on the test cluster (the `-` and CRLF removed), and
/// the forms `cluster.c` produces for IPv6 (`"-%s %d %s:%d"`: the address unbracketed).
@Suite struct RedirectTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var redirect: Redirect?
        var testDescription: String { text.isEmpty ? "(empty)" : text }

        init(_ text: String, _ redirect: Redirect?) {
            self.text = text
            self.redirect = redirect
        }
    }

    @Test(arguments: [
        // Captured: `GET foo` on 30001, slot 12182 being on 30003, per cluster-preferred-endpoint-type.
        Case("MOVED 12182 127.0.0.1:30003", .moved(slot: 12182, host: "127.0.0.1", port: 30003)),
        Case("MOVED 12182 :30003", .moved(slot: 12182, host: "", port: 30003)),  // unknown-endpoint
        Case("MOVED 12182 ?:30003", .moved(slot: 12182, host: "?", port: 30003)),  // hostname, none announced
        Case("MOVED 12182 node-3.ferry.test:30003", .moved(slot: 12182, host: "node-3.ferry.test", port: 30003)),
        Case("MOVED 6680 node-2.ferry.test:30002", .moved(slot: 6680, host: "node-2.ferry.test", port: 30002)),
        Case("MOVED 16058 127.0.0.1:30003", .moved(slot: 16058, host: "127.0.0.1", port: 30003)),
        // Captured: `GET foo` on 30003 while slot 12182 was MIGRATING to 30001.
        Case("ASK 12182 127.0.0.1:30001", .ask(slot: 12182, host: "127.0.0.1", port: 30001)),
        // Captured: `MGET {foo}a {foo}b` (one key present) during that migration, on either side.
        Case("TRYAGAIN Multiple keys request during rehashing of slot", .tryAgain),
        // Captured after `CLUSTER DELSLOTSRANGE 16000 16383` on 30003.
        Case("CLUSTERDOWN The cluster is down", .clusterDown),
        Case("CLUSTERDOWN Hash slot not served", .clusterDown),
        // `shared.loadingerr` in server.c.
        Case("LOADING Redis is loading the dataset in memory", .loading),
        // IPv6, as cluster.c formats it: split at the last colon.
        Case("MOVED 3999 ::1:7000", .moved(slot: 3999, host: "::1", port: 7000)),
        Case("ASK 0 2001:db8::10:6379", .ask(slot: 0, host: "2001:db8::10", port: 6379)),
        Case("MOVED 16383 fe80::1%eth0:65535", .moved(slot: 16383, host: "fe80::1%eth0", port: 65535)),
        Case("MOVED 3999 [::1]:7000", .moved(slot: 3999, host: "::1", port: 7000)),  // bracketed: also read
        // Bare codes and leading zeros.
        Case("TRYAGAIN", .tryAgain), Case("CLUSTERDOWN", .clusterDown), Case("LOADING", .loading),
        Case("MOVED 00042 h:1", .moved(slot: 42, host: "h", port: 1)),
    ])
    func redirects(testCase: Case) {
        let redirect = Redirect(error: Array(testCase.text.utf8))
        #expect(redirect == testCase.redirect)
        #expect(redirect?.isRedirection == (testCase.text.hasPrefix("MOVED") || testCase.text.hasPrefix("ASK")))
    }

    /// Other errors, and redirects that cannot be followed, are not redirects: they reach the client.
    @Test(arguments: [
        "", "ERR unknown command 'FOO', with args beginning with: ",
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "CROSSSLOT Keys in request don't hash to the same slot",
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        "NOAUTH Authentication required.",
        "READONLY You can't write against a read only replica.", "ASKING", "MOVEDX 1 h:1", "ASKX 1 h:1", "TRYAGAINX",
        "CLUSTERDOWNX", "LOADINGX", "Loading", "moved 1 h:1", "M", "A", "T", "C", "L", "MOVED", "MOVED ", "MOVED 1",
        "MOVED 1 ", "MOVED x h:1", "MOVED -1 h:1", "MOVED 16384 h:1", "MOVED 123456 h:1", "MOVED 1 h", "MOVED 1 h:",
        "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 h:1234567", "MOVED 1 h:12a", "MOVED 1 h:1 ", "MOVED 1 h:1 extra",
        "MOVED 1  h:1", "MOVED 1 h :1", "MOVED  1 h:1", "MOVED 1h:1", "ASK 16384 h:1", "ASK 1 :", "ASK 1 h:-1",
    ])
    func notRedirects(text: String) {
        #expect(Redirect(error: Array(text.utf8)) == nil)
    }

    /// The text is read in place: from a slice of a larger buffer, as the data plane hands it over.
    @Test func readsInPlace() {
        let buffer = Array("-MOVED 3999 127.0.0.1:6381\r\n-ERR x\r\n".utf8)
        buffer.withUnsafeBytes { bytes in
            #expect(
                Redirect(error: UnsafeRawBufferPointer(rebasing: bytes[1..<26]))
                    == .moved(slot: 3999, host: "127.0.0.1", port: 6381))
            #expect(
                Redirect(error: UnsafeRawBufferPointer(rebasing: bytes[1..<25]))
                    == .moved(slot: 3999, host: "127.0.0.1", port: 638))
            #expect(Redirect(error: UnsafeRawBufferPointer(rebasing: bytes[29..<34])) == nil)
            #expect(Redirect(error: UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
        }
    }

    /// Every slot and every port is read back.
    @Test func allSlotsAndPorts() {
        for slot in 0..<16384
        where Redirect(error: Array("ASK \(slot) 10.0.0.1:7000".utf8))
            != .ask(slot: UInt16(slot), host: "10.0.0.1", port: 7000)
        {
            Issue.record("slot \(slot)")
        }
        for port in 1...65535
        where Redirect(error: Array("MOVED 1 h:\(port)".utf8)) != .moved(slot: 1, host: "h", port: UInt16(port)) {
            Issue.record("port \(port)")
        }
    }
}

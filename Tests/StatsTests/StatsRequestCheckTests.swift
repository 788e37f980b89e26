import HTTPTypes
import Testing

@testable import Stats

/// The request's form, judged before routing: targets and `Host`.
@Suite struct StatsRequestCheckTests {
    @Test(arguments: [
        "/stats", "/stats;csv;norefresh", "/metrics", "/stats/", "/favicon.ico", "/st%61ts", "/stats?done=drain&server=1",
        "/stats?instance=redis%20vip", "/stats?x=../../etc/passwd", "/", "/lb;json",
    ])
    func plainTargetsPass(target: String) {
        #expect(StatsRequestCheck.rejection(target: target, authority: "127.0.0.1:7020", headers: [:]) == nil)
    }

    @Test(arguments: [
        ("/stats/../../etc/passwd", "dot segment in path"),
        ("/./stats", "dot segment in path"),
        ("/stats/..", "dot segment in path"),
        ("/stats;csv;../", "dot segment in path"),
        ("/stats;..", "dot segment in path"),
        ("/stats/%2e%2e/etc/passwd", "encoded separator or dot in path"),
        ("/%2E%2E%2Fetc", "encoded separator or dot in path"),
        ("/stats%2fadmin", "encoded separator or dot in path"),
        ("/stats%5cadmin", "encoded separator or dot in path"),
        ("/stats%3bcsv", "encoded separator or dot in path"),
        ("/stats/%252e%252e/", "double percent-encoding in path"),
        ("/stats%00", "encoded control character in path"),
        ("/stats%0d%0aSet-Cookie:x", "encoded control character in path"),
        ("/stats%zz", "broken percent-encoding in path"),
        ("/stats%2", "broken percent-encoding in path"),
        ("/stats%+1", "broken percent-encoding in path"),
        ("//stats", "empty path segment"),
        ("/stats//admin", "empty path segment"),
        ("/stats\\..\\win.ini", "backslash in path"),
        ("*", "request target is not a path"),
        ("127.0.0.1:7010", "request target is not a path"),
        ("", "request target is not a path"),
    ])
    func oddPathsAre400(target: String, reason: String) {
        let rejection = StatsRequestCheck.rejection(target: target, authority: nil, headers: [:])
        #expect(rejection == .init(status: .badRequest, counter: .rejectedPaths, reason: reason))
    }

    @Test(arguments: [StatsRequestCheck.maxTargetLength + 1, 100 * 1024])
    func longTargetsAre414(length: Int) {
        let target = "/stats?x=" + String(repeating: "y", count: length - 9)
        #expect(StatsRequestCheck.rejection(target: target, authority: nil, headers: [:])?.status == .uriTooLong)
        let fits = String(target.prefix(StatsRequestCheck.maxTargetLength))
        #expect(StatsRequestCheck.rejection(target: fits, authority: nil, headers: [:]) == nil)
    }

    @Test(arguments: [
        "127.0.0.1", "127.0.0.1:7020", "lb1", "lb1.example.com:7020", "[::1]", "[::1]:7020", "[fe80::1%25eth0]:7020",
        "host-with_odd~chars", "127.0.0.1:",
    ])
    func hostsPass(authority: String) {
        #expect(StatsRequestCheck.hostProblem(authority: authority, headers: [:]) == nil)
    }

    @Test(arguments: [
        ("<script>alert(1)</script>", "Host is not host[:port]"),
        ("127.0.0.1 evil", "Host is not host[:port]"),
        ("a/b", "Host is not host[:port]"),
        ("user@host", "Host is not host[:port]"),
        ("[::1", "Host is not host[:port]"),
        ("[]", "Host is not host[:port]"),
        ("[::1]x", "Host is not host[:port]"),
        ("h\u{e9}te", "Host is not host[:port]"),
        ("127.0.0.1:70x0", "Host has a bad port"),
        ("127.0.0.1:123456", "Host has a bad port"),
    ])
    func garbageHostsAre400(authority: String, reason: String) {
        #expect(StatsRequestCheck.hostProblem(authority: authority, headers: [:]) == reason)
        #expect(StatsRequestCheck.rejection(target: "/stats", authority: authority, headers: [:])?.counter == .malformed)
    }

    @Test func aSecondHostIs400() {
        var headers = HTTPFields()
        headers[StatsRequestCheck.host] = "evil.example"
        #expect(StatsRequestCheck.hostProblem(authority: "127.0.0.1", headers: headers) == "more than one Host header")
    }

    @Test func noHostPasses() {
        #expect(StatsRequestCheck.rejection(target: "/stats", authority: nil, headers: [:]) == nil)
    }
}

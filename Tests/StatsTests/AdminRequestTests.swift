import Testing

@testable import Proxy
@testable import Stats

/// The admin forms' fields.
@Suite struct AdminRequestTests {
    @Test(arguments: [
        ("action=drain&server=2&csrf=t", AdminRequest.setServer(.drain, server: 2)),
        ("action=ready&server=0", .setServer(.ready, server: 0)),
        ("server=11&action=maint", .setServer(.maint, server: 11)),
        ("action=vrrp-step-down&instance=redis-vip", .vrrpStepDown(instance: "redis-vip")),
        ("action=vrrp-restore&instance=a%20b%2Bc+d", .vrrpRestore(instance: "a b+c d")),
    ])
    func parses(body: String, request: AdminRequest) throws {
        #expect(try AdminRequest(fields: AdminRequest.formFields(body)) == request)
    }

    @Test(arguments: [
        ("", AdminRequest.Failure.missingField("action")),
        ("action=drain", .missingField("server")),
        ("action=drain&server=-1", .badServer("-1")),
        ("action=drain&server=x", .badServer("x")),
        ("action=DRAIN&server=1", .unknownAction("DRAIN")),
        ("action=shutdown", .unknownAction("shutdown")),
        ("action=vrrp-step-down", .missingField("instance")),
        ("action=vrrp-step-down&instance=", .missingField("instance")),
    ])
    func refuses(body: String, failure: AdminRequest.Failure) {
        #expect(throws: failure) { try AdminRequest(fields: AdminRequest.formFields(body)) }
    }

    @Test(arguments: [
        ("a=1&b=2", ["a": "1", "b": "2"]),
        ("a=1&a=2", ["a": "2"]),
        ("a", ["a": ""]),
        ("a=%41%62", ["a": "Ab"]),
        ("a=%4", ["a": "%4"]),
        ("a=%zz", ["a": "%zz"]),
        ("a=%+1", ["a": "% 1"]),
        ("a=%C3%A9", ["a": "é"]),
        ("&&a=b&&", ["a": "b"]),
        ("k%3D=v%26", ["k=": "v&"]),
    ])
    func formDecoding(body: String, fields: [String: String]) {
        #expect(AdminRequest.formFields(body) == fields)
    }
}

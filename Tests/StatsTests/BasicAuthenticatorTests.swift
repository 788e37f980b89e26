import Foundation
import Testing

@testable import Stats

/// `stats.auth`: Basic credentials, compared in constant time.
@Suite struct BasicAuthenticatorTests {
    static func header(_ credentials: String, scheme: String = "Basic") -> String {
        "\(scheme) " + Data(credentials.utf8).base64EncodedString()
    }

    static let named = BasicAuthenticator(username: "admin", password: "s3cret:with:colons")
    static let anyUser = BasicAuthenticator(username: nil, password: "pw")

    @Test(arguments: [
        (header("admin:s3cret:with:colons"), BasicAuthenticator.Outcome.authenticated(user: "admin")),
        (header("admin:s3cret:with:colons", scheme: "basic"), .authenticated(user: "admin")),
        (header("admin:s3cret:with:colons", scheme: "BASIC"), .authenticated(user: "admin")),
        (header("admin:s3cret:with:colon"), .rejected(.wrongCredentials)),
        (header("admin:s3cret:with:colonsX"), .rejected(.wrongCredentials)),
        (header("Admin:s3cret:with:colons"), .rejected(.wrongCredentials)),
        (header("admin"), .rejected(.noColon)),
        (header(":s3cret:with:colons"), .rejected(.wrongCredentials)),
        (header("\u{FFFD}:s3cret:with:colons"), .rejected(.wrongCredentials)),
        (header("admin:" + String(repeating: "x", count: 4096)), .rejected(.tooLong)),
        (header("admin:" + String(repeating: "x", count: 2048)), .rejected(.wrongCredentials)),
        (Data("admin:s3cret:with:colons".utf8).base64EncodedString(), .rejected(.notBasic)),
        ("Bearer abc", .rejected(.notBasic)),
        ("Basic !!!not-base64", .rejected(.notBase64)),
        ("Basic", .rejected(.notBasic)),
        ("", .rejected(.notBasic)),
    ])
    func namedUser(authorization: String, outcome: BasicAuthenticator.Outcome) {
        #expect(Self.named.check(authorization: authorization) == outcome)
    }

    @Test func missingHeaderIsNotAFailure() {
        #expect(Self.named.check(authorization: nil) == .missing)
    }

    @Test(arguments: ["", "anyone", "root"])
    func withoutAConfiguredUserAnyNameWithThePasswordPasses(user: String) {
        #expect(Self.anyUser.check(authorization: Self.header("\(user):pw")) == .authenticated(user: user))
        #expect(Self.anyUser.check(authorization: Self.header("\(user):wrong")) == .rejected(.wrongCredentials))
    }

    /// A long configured password still fits under the length limit.
    @Test func theLengthLimitMakesRoomForTheConfiguredCredentials() {
        let password = String(repeating: "p", count: 10_000)
        let long = BasicAuthenticator(username: "admin", password: password)
        #expect(long.check(authorization: Self.header("admin:\(password)")) == .authenticated(user: "admin"))
        #expect(long.check(authorization: Self.header("admin:\(password)" + String(repeating: "x", count: 20_000))) == .rejected(.tooLong))
    }

    @Test(arguments: [("abc", "abc", true), ("abc", "abd", false), ("abc", "ab", false), ("", "", true), ("", "x", false),
                      ("ab\u{0}", "ab", false)])
    func constantTimeEquality(a: String, b: String, equal: Bool) {
        #expect(ConstantTime.equals(a, b) == equal)
        #expect(ConstantTime.equals(b, a) == equal)
    }

    @Test func csrfTokensAreRandomAndCheckedExactly() {
        let token = CSRFToken.random()
        #expect(token.value.count == 64)
        #expect(token.value.allSatisfy { $0.isHexDigit })
        #expect(token != CSRFToken.random())
        #expect(token.matches(token.value))
        #expect(!token.matches(nil))
        #expect(!token.matches(""))
        #expect(!token.matches(String(token.value.dropLast())))
        #expect(!token.matches(token.value.uppercased()) || token.value == token.value.uppercased())
    }
}

import Config
import Foundation

/// HTTP Basic authentication (RFC 7617) against `stats.auth`. The password was read from its
/// file when the configuration was loaded; both the user name and the password are compared in
/// constant time, and both are always compared.
struct BasicAuthenticator: Sendable {
    /// `nil` in the configuration accepts any user name with the right password.
    let username: String?
    let password: String
    static let realm = "Ferry stats"
    /// The `WWW-Authenticate` value sent with 401.
    static let challenge = "Basic realm=\"\(realm)\", charset=\"UTF-8\""

    init(_ credentials: Credentials) {
        username = credentials.username
        password = credentials.password
    }

    init(username: String?, password: String) {
        self.username = username
        self.password = password
    }

    enum Outcome: Equatable {
        /// Right credentials; the user name given.
        case authenticated(user: String)
        /// No `Authorization` header (a browser's first request: not worth a warning).
        case missing
        /// A header that is not Basic, not base64, or wrong credentials.
        case rejected(Rejection)
    }

    /// Why credentials were refused, for the log line (never the credentials themselves).
    enum Rejection: String, Equatable, Sendable {
        case notBasic = "Authorization is not Basic <credentials>"
        case notBase64 = "Basic credentials are not base64"
        case noColon = "Basic credentials have no colon"
        case tooLong = "Basic credentials too long"
        case wrongCredentials = "wrong user name or password"
    }

    /// Longer credentials are refused before decoding: room for the configured ones (base64 is
    /// 4/3 of them) and any reasonable user name, not for a 64 KB blob.
    var maxCredentialsLength: Int { 4096 + 2 * (password.utf8.count + (username?.utf8.count ?? 0)) }

    func check(authorization: String?) -> Outcome {
        guard let authorization else { return .missing }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        // RFC 9110 §11.1: the scheme is case-insensitive.
        guard parts.count == 2, parts[0].lowercased() == "basic" else { return .rejected(.notBasic) }
        guard parts[1].utf8.count <= maxCredentialsLength else { return .rejected(.tooLong) }
        guard let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            return .rejected(.notBase64)
        }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return .rejected(.noColon) }
        let user = decoded[decoded.startIndex..<colon]
        let secret = decoded[decoded.index(after: colon)...]
        let userOK = username.map { ConstantTime.equals(user, Array($0.utf8)) } ?? true
        let passwordOK = ConstantTime.equals(secret, Array(password.utf8))
        // Both computed: no early exit on the user name.
        guard userOK && passwordOK else { return .rejected(.wrongCredentials) }
        return .authenticated(user: String(decoding: user, as: UTF8.self))
    }
}

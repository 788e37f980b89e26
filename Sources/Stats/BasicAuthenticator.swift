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
        case rejected
    }

    func check(authorization: String?) -> Outcome {
        guard let authorization else { return .missing }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return .rejected }
        let user = decoded[decoded.startIndex..<colon]
        let secret = decoded[decoded.index(after: colon)...]
        let userOK = username.map { ConstantTime.equals(user, Array($0.utf8)) } ?? true
        let passwordOK = ConstantTime.equals(secret, Array(password.utf8))
        guard userOK && passwordOK else { return .rejected }  // both computed: no early exit on the user name
        return .authenticated(user: String(decoding: user, as: UTF8.self))
    }
}

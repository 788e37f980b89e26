/// The per-process secret embedded in every admin form and required on every admin POST, so
/// another site cannot make an authenticated browser submit an action.
struct CSRFToken: Sendable, Equatable {
    let value: String

    /// 32 bytes from the system's CSPRNG (getrandom), as hex.
    static func random() -> CSRFToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return CSRFToken(value: bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined())
    }

    func matches(_ candidate: String?) -> Bool {
        guard let candidate else { return false }
        return ConstantTime.equals(candidate, value)
    }
}

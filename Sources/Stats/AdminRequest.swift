import Proxy

/// One admin action as posted by the page's forms (`application/x-www-form-urlencoded`):
/// `action` = `ready` | `drain` | `maint` with `server` = index, or `vrrp-step-down` |
/// `vrrp-restore` with `instance` = name; plus `csrf`.
enum AdminRequest: Equatable {
    case setServer(AdminState, server: Int)
    case vrrpStepDown(instance: String)
    case vrrpRestore(instance: String)

    enum Failure: Error, Equatable, CustomStringConvertible {
        case missingField(String)
        case unknownAction(String)
        case badServer(String)

        var description: String {
            switch self {
            case .missingField(let name): return "missing form field \(name)"
            case .unknownAction(let action): return "unknown action \(action)"
            case .badServer(let server): return "bad server index \(server)"
            }
        }
    }

    /// The action in `fields` (CSRF is checked separately, before this).
    init(fields: [String: String]) throws(Failure) {
        guard let action = fields["action"] else { throw .missingField("action") }
        switch action {
        case "ready", "drain", "maint":
            guard let text = fields["server"] else { throw .missingField("server") }
            guard let server = Int(text), server >= 0 else { throw .badServer(text) }
            self = .setServer(AdminState(rawValue: action.uppercased())!, server: server)
        case "vrrp-step-down", "vrrp-restore":
            guard let instance = fields["instance"], !instance.isEmpty else { throw .missingField("instance") }
            self = action == "vrrp-step-down" ? .vrrpStepDown(instance: instance) : .vrrpRestore(instance: instance)
        default:
            throw .unknownAction(action)
        }
    }

    /// Decodes `a=1&b=x%20y+z`: `+` is a space, `%XX` a byte; later duplicates win; malformed
    /// escapes are kept literally (the values are then simply not recognised).
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(parts[0])
            fields[key] = parts.count > 1 ? percentDecode(parts[1]) : ""
        }
        return fields
    }

    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let hex = utf8.prefix(2)
                if hex.count == 2, hex.allSatisfy({ UInt8(ascii: "0")...UInt8(ascii: "9") ~= $0 || UInt8(ascii: "a")...UInt8(ascii: "f") ~= $0 | 0x20 }),
                   let value = UInt8(String(decoding: hex, as: UTF8.self), radix: 16) {
                    bytes.append(value)
                    utf8 = utf8.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

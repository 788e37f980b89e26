import Yams

extension Node {
    /// A plain `~`, `null` or nothing at all: YAML's null. `key:` with every line below it
    /// commented out is the common case, and is read as "not set".
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The text of a scalar that is not null, in any quoting style.
    var text: String? {
        guard case .scalar(let scalar) = self, !isNull else { return nil }
        return scalar.string
    }

    /// The text of an unquoted scalar: numbers and booleans must be written plain, because a
    /// quoted `"5"` is a string in YAML and accepting it would hide a mistake.
    var plainText: String? {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any, !isNull else {
            return nil
        }
        return scalar.string
    }
}

/// One value of the document and where it sits: its dotted key path, and the position of the key
/// (or list item) that introduced it, for messages about the value as a whole.
struct ConfigValue {
    var node: Node
    /// `health.rise`, `backends.servers[2]`; empty for the document itself.
    var key: String
    /// Where the key is written; `nil` for the document root.
    var keyMark: Mark?

    /// Where messages about this value point. A null value's own mark is where the parser gave up
    /// looking for it (often the next line), so the key's position is used instead.
    var mark: Mark? {
        if node.isNull { return keyMark ?? node.mark }
        return node.mark ?? keyMark
    }

    /// Where messages about a missing child key point: the key that opened this mapping, or the
    /// mapping itself for list items and the document.
    var ownerMark: Mark? { keyMark ?? node.mark }

    /// The path of a child key: `health` + `rise` → `health.rise`.
    func path(_ child: String) -> String { key.isEmpty ? child : "\(key).\(child)" }
}

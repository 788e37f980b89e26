/// A writer for Prometheus' text exposition format 0.0.4: one `# HELP` and `# TYPE` line per
/// family, its samples right after, label values and help text escaped as the format requires.
struct PrometheusExposition {
    enum Kind: String { case counter, gauge }

    /// A sample's value: integers print exactly, doubles in Prometheus' spelling (`+Inf`, `NaN`).
    enum Value {
        case int(Int64)
        case uint(UInt64)
        case double(Double)

        var text: String {
            switch self {
            case .int(let value): return String(value)
            case .uint(let value): return String(value)
            case .double(let value):
                if value.isNaN { return "NaN" }
                if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
                if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
                return String(value)  // Swift's shortest round-trip form, e.g. 0.0004 or 1.5e-07: both valid
            }
        }
    }

    struct Sample {
        var labels: [(String, String)]
        var value: Value
        init(_ labels: [(String, String)], _ value: Value) {
            self.labels = labels
            self.value = value
        }

        init(_ value: Value) {
            self.init([], value)
        }
    }

    private(set) var text = ""

    /// Appends one metric family. Counters must be named `…_total` (checked: a wrong name is a bug here).
    mutating func family(_ name: String, _ kind: Kind, help: String, _ samples: [Sample]) {
        precondition(kind != .counter || name.hasSuffix("_total"), "counter \(name) must end in _total")
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples {
            text += name
            if !sample.labels.isEmpty {
                text += "{" + sample.labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " " + sample.value.text + "\n"
        }
    }

    /// Label values: backslash, double quote and line feed are escaped.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Help text: backslash and line feed are escaped (quotes are not).
    static func escapeHelp(_ help: String) -> String {
        var out = ""
        for character in help.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

/// A writer for Prometheus' text exposition format 0.0.4: one `# HELP` and `# TYPE` line per
/// family, its samples right after, label values and help text escaped as the format requires.
struct PrometheusExposition {
    enum Kind: String { case counter, gauge, histogram }

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
        /// Appended to the family's name: `_bucket` for a histogram's buckets, else empty.
        var suffix: String
        var labels: [(String, String)]
        var value: Value
        init(_ labels: [(String, String)], _ value: Value, suffix: String = "") {
            self.suffix = suffix
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
            text += name + sample.suffix
            if !sample.labels.isEmpty {
                text += "{" + sample.labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " " + sample.value.text + "\n"
        }
    }

    /// A histogram: cumulative `_bucket{le="…"}` samples in increasing order, ending with
    /// `le="+Inf"`, then `_sum` and `_count`. `bounds[i]` is bucket `i`'s upper bound (`nil`:
    /// +Inf, only last); `counts[i]` what it alone holds; `sum` the observations added up.
    mutating func histogram(_ name: String, help: String, labels: [(String, String)] = [],
                            bounds: [Double?], counts: [UInt64], sum: Double) {
        precondition(bounds.count == counts.count && bounds.last == .some(nil), "a histogram ends with +Inf")
        var cumulative: UInt64 = 0
        var samples = zip(bounds, counts).map { bound, count in
            cumulative &+= count
            return Sample(labels + [("le", bound.map { Value.double($0).text } ?? "+Inf")], .uint(cumulative),
                          suffix: "_bucket")
        }
        samples.append(Sample(labels, .double(sum), suffix: "_sum"))
        samples.append(Sample(labels, .uint(cumulative), suffix: "_count"))
        family(name, .histogram, help: help, samples)
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

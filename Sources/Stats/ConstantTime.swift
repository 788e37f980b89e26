/// Comparisons whose duration does not depend on where two secrets differ.
enum ConstantTime {
    /// True when `a` and `b` are equal. The time depends only on the longer length (which the
    /// caller already knows), never on the position of the first difference.
    static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let left = Array(a), right = Array(b)
        var difference: UInt = left.count == right.count ? 0 : 1
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }

    static func equals(_ a: String, _ b: String) -> Bool { equals(a.utf8, b.utf8) }
}

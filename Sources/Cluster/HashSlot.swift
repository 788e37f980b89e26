/// Redis Cluster's key → slot function: CRC16/XMODEM of the key, or of its `{hash tag}`, modulo 16384.
public enum HashSlot {
    /// Slots in a Redis Cluster.
    public static let count = 16384

    /// The slot of `key`. When the key holds a `{` followed later by a `}` with at least one byte
    /// between them, only the bytes between the first `{` and the first `}` after it are hashed
    /// (the cluster spec's hash tag rule); `{}` hashes the whole key.
    @inline(__always)
    public static func of(_ key: UnsafeRawBufferPointer) -> UInt16 {
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let afterOpen = open + 1
            if let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close > afterOpen {
                return crc16(UnsafeRawBufferPointer(rebasing: key[afterOpen..<close])) & 0x3FFF
            }
        }
        return crc16(key) & 0x3FFF
    }

    /// The slot of a key given as bytes.
    public static func of(_ key: some Collection<UInt8>) -> UInt16 {
        Array(key).withUnsafeBytes { of($0) }
    }

    /// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection), as in Redis's `crc16.c`.
    @inline(__always)
    public static func crc16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var crc: UInt16 = 0
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
            }
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}

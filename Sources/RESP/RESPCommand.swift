/// Encodes client commands the way every Redis client sends them: an array of bulk strings.
public enum RESPCommand {
    /// `*N\r\n` followed by `$len\r\narg\r\n` per argument, lengths in UTF-8 bytes.
    public static func encode(_ arguments: [String]) -> [UInt8] {
        self.encode(arguments.map { Array($0.utf8) })
    }

    /// The same for binary-safe arguments.
    public static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(arguments.reduce(16) { $0 + $1.count + 16 })
        bytes.append(UInt8(ascii: "*"))
        bytes.append(contentsOf: String(arguments.count).utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        for argument in arguments {
            bytes.append(UInt8(ascii: "$"))
            bytes.append(contentsOf: String(argument.count).utf8)
            bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
            bytes.append(contentsOf: argument)
            bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        }
        return bytes
    }
}

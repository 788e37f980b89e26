#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

/// Reads Ferry's YAML configuration and validates all of it.
///
/// The YAML is composed into a node tree (not decoded with `Codable`) so that every problem can
/// name the line and the dotted key path it is about; the first problem in document order is
/// thrown as a ``ConfigError``. A returned ``FerryConfig`` needs no further checks, and the
/// password files it names have already been read.
public enum ConfigLoader {
    /// Configuration files larger than this are refused (a config is a few KB; this catches
    /// `--config /dev/zero` and similar mistakes without reading forever).
    static let maximumFileSize = 4 * 1024 * 1024

    /// Reads and validates a file. Errors carry the file, line and key path.
    public static func load(path: String) throws(ConfigError) -> FerryConfig {
        let bytes: [UInt8]
        switch readFile(path, limit: maximumFileSize) {
        case .success(let contents): bytes = contents
        case .failure(let error): throw ConfigError(path: path, line: nil, key: "", message: "cannot read the file: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(path: path, line: nil, key: "", message: "the file is not UTF-8 text")
        }
        return try parse(yaml: text, path: path)
    }

    /// Validates YAML text; `path` is only used in messages (and to resolve relative password_file
    /// paths against its directory).
    public static func parse(yaml: String, path: String) throws(ConfigError) -> FerryConfig {
        var text = yaml
        // libyaml skips a byte-order mark without counting it as a column; do the same, so the
        // columns Yams reports match this text.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        let root = try compose(text, path: path)
        let decoder = ConfigDecoder(path: path)
        let config = decoder.decode(root)
        if let problem = decoder.firstProblem { throw problem }
        return config
    }

    // MARK: - YAML

    /// Composes the node tree, turning Yams' errors into ``ConfigError``s.
    ///
    /// Yams refuses a mapping with a repeated key before the tree exists, and names only one
    /// occurrence, without its key path. To report a repeated key like every other problem (at the
    /// repetition, with its full path, in document order) the occurrence Yams names gets a private
    /// local tag: that makes the two keys differ for Yams while their text stays the same, and the
    /// decoder then finds the repetition itself. Anything the trick cannot handle falls back to
    /// Yams' own report.
    static func compose(_ yaml: String, path: String) throws(ConfigError) -> Node? {
        var text = yaml
        var firstDuplicate: (key: String, mark: Mark)?
        var taggedMarks: Set<String> = []
        for attempt in 0..<1_000 {
            do {
                // `.utf8` explicitly: the default consults (and prints) an environment variable.
                return try Yams.compose(yaml: text, .default, .default, .utf8)
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                let mark = context.mark
                if firstDuplicate == nil { firstDuplicate = (duplicates.first ?? "", mark) }
                guard taggedMarks.insert("\(mark.line):\(mark.column)").inserted,
                      let tagged = insertTag("!ferry-duplicate-\(attempt) ", in: text, line: mark.line, column: mark.column)
                else { break }
                text = tagged
            } catch {
                // With a duplicate already seen, this may be a side effect of the tag: report the
                // duplicate, which comes first in the document anyway.
                guard firstDuplicate == nil else { break }
                throw syntaxError(error, yaml: text, path: path)
            }
        }
        let duplicate = firstDuplicate!
        throw ConfigError(path: path, line: duplicate.mark.line, key: duplicate.key, message: "duplicate key")
    }

    /// `text` with `tag` inserted at a libyaml position (1-based line and column, columns in Unicode
    /// scalars, lines broken the way libyaml breaks them), or `nil` if that is not the start of an
    /// untagged node.
    static func insertTag(_ tag: String, in text: String, line markLine: Int, column markColumn: Int) -> String? {
        var scalars = Array(text.unicodeScalars)
        func isBreak(_ scalar: Unicode.Scalar) -> Bool {
            ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar)
        }
        var line = 1
        var index = 0
        while index < scalars.count, line < markLine {
            if scalars[index] == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
            if isBreak(scalars[index]) { line += 1 }
            index += 1
        }
        guard line == markLine, markColumn >= 1 else { return nil }
        let target = index + markColumn - 1
        guard target < scalars.count, !scalars[index..<target].contains(where: isBreak) else { return nil }
        // Already tagged (a second tag is a syntax error) or an alias (tagging it changes nothing).
        guard scalars[target] != "!", scalars[target] != "*" else { return nil }
        scalars.insert(contentsOf: tag.unicodeScalars, at: target)
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    /// A Yams error as a ``ConfigError`` with the line libyaml gave.
    static func syntaxError(_ error: any Error, yaml: String, path: String) -> ConfigError {
        guard let error = error as? YamlError else {
            return ConfigError(path: path, line: nil, key: "", message: "invalid YAML: \(error)")
        }
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            if problem == "but found another document" {
                return ConfigError(path: path, line: mark.line, key: "", message: "invalid YAML: only one document is allowed, a second one starts here")
            }
            var message = "invalid YAML: \(problem)"
            if let context {
                message += context.mark.line == mark.line
                    ? " (\(context.text))"
                    : " (\(context.text) from line \(context.mark.line))"
            }
            // At the end of a file without a final line break libyaml moves to a line that does
            // not exist (`{a: 1` is "line 2" of a one-line file); point at the last real one.
            return ConfigError(path: path, line: min(mark.line, lineCount(yaml)), key: "", message: message)
        case let .reader(problem, offset, _, yaml):
            let line = offset.map { offset in
                1 + yaml.prefix(offset).filter { ["\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}"].contains($0) }.count
            }
            return ConfigError(path: path, line: line, key: "", message: "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigError(path: path, line: context.mark.line, key: duplicates.first ?? "", message: "duplicate key")
        default:
            return ConfigError(path: path, line: nil, key: "", message: "invalid YAML: \(error)")
        }
    }

    /// The number of lines of `text` as libyaml counts them: CR, LF, CRLF, NEL, LS and PS each end one.
    static func lineCount(_ text: String) -> Int {
        var lines = 1
        var afterCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if !afterCR { lines += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
            default: break
            }
            afterCR = scalar == "\r"
        }
        return lines
    }

    // MARK: - Files

    /// Why a file could not be read; the description completes "cannot read FILE: …".
    enum FileReadError: Error, CustomStringConvertible {
        case system(Int32)
        case tooLarge(limit: Int)

        var description: String {
            switch self {
            case .system(let code): String(cString: strerror(code))
            case .tooLarge(let limit): "larger than \(limit) bytes"
            }
        }
    }

    /// The whole content of a file, with the `errno` text on failure (`No such file or directory`),
    /// which is what an operator searches for.
    static func readFile(_ path: String, limit: Int) -> Result<[UInt8], FileReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.system(errno)) }
        defer { close(fd) }
        return readAll(from: fd, limit: limit)
    }

    /// Everything left to read from `fd`, refused past `limit` bytes.
    private static func readAll(from fd: Int32, limit: Int) -> Result<[UInt8], FileReadError> {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.system(errno))
            }
            if count == 0 { return .success(contents) }
            contents.append(contentsOf: chunk[0..<count])
            if contents.count > limit { return .failure(.tooLarge(limit: limit)) }
        }
    }

    /// Why a secret file is refused; the description completes "cannot use FILE: …" or stands
    /// alone, and always names the file.
    enum SecretFileError: Error, CustomStringConvertible {
        case unreadable(path: String, FileReadError)
        case notRegular(path: String, kind: String)
        case exposed(path: String, mode: mode_t)

        var description: String {
            switch self {
            case .unreadable(let path, let error):
                return "cannot read \(path): \(error)"
            case .notRegular(let path, let kind):
                return "\(path) is \(kind), not a regular file"
            case .exposed(let path, let mode):
                // Keep what the group may do (read, for `root:ferry 0640`), drop the rest.
                let fix = mode & S_IRGRP != 0 ? "640" : "600"
                return "\(path) is \(ConfigLoader.exposure(mode)) (mode \(ConfigLoader.octal(mode))); "
                    + "a secret must not be readable or writable by others, nor writable by its group: chmod \(fix) \(path)"
            }
        }
    }

    /// The content of a password file, refused the way OpenSSH refuses a private key and sudo its
    /// sudoers: the file (a symlink's target) must be a regular file that other users cannot read
    /// or write and its group cannot write. Opened non-blocking, so a FIFO cannot hang the start.
    static func readSecretFile(_ path: String, limit: Int) -> Result<[UInt8], SecretFileError> {
        // stat first: a socket cannot be opened at all, and the kind makes the better message.
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(.unreadable(path: path, .system(errno))) }
        if let problem = secretFileProblem(info, path: path) { return .failure(problem) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .failure(.unreadable(path: path, .system(errno))) }
        defer { close(fd) }
        // What was opened is what counts (the path may have been replaced since the stat).
        guard fstat(fd, &info) == 0 else { return .failure(.unreadable(path: path, .system(errno))) }
        if let problem = secretFileProblem(info, path: path) { return .failure(problem) }
        return readAll(from: fd, limit: limit).mapError { .unreadable(path: path, $0) }
    }

    /// Group write, or any access for others, on a secret.
    static let exposingBits: mode_t = S_IWGRP | S_IRWXO

    static func secretFileProblem(_ info: stat, path: String) -> SecretFileError? {
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let name = switch kind {
            case S_IFDIR: "a directory"
            case S_IFIFO: "a FIFO"
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFSOCK: "a socket"
            default: "a special file"
            }
            return .notRegular(path: path, kind: name)
        }
        let permissions = info.st_mode & 0o7777
        return permissions & exposingBits == 0 ? nil : .exposed(path: path, mode: permissions)
    }

    /// `writable by its group and readable by others`: what the mode allows that it should not.
    static func exposure(_ mode: mode_t) -> String {
        var parts: [String] = []
        if mode & S_IWGRP != 0 { parts.append("writable by its group") }
        let others = [(S_IROTH, "readable"), (S_IWOTH, "writable"), (S_IXOTH, "executable")]
            .filter { mode & $0.0 != 0 }.map(\.1)
        if !others.isEmpty { parts.append(others.joined(separator: " and ") + " by others") }
        return parts.joined(separator: " and ")
    }

    /// `0644`
    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// A `password_file` as given, or, when relative, next to the configuration file
    /// (`conf/ferry.yaml` + `secrets/check` → `conf/secrets/check`), so the config works from any
    /// working directory.
    static func resolve(_ file: String, relativeTo configPath: String) -> String {
        guard !file.hasPrefix("/"), let slash = configPath.lastIndex(of: "/") else { return file }
        return String(configPath[...slash]) + file
    }
}

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
            return ConfigError(path: path, line: mark.line, key: "", message: message)
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

    /// A `password_file` as given, or, when relative, next to the configuration file
    /// (`conf/ferry.yaml` + `secrets/check` → `conf/secrets/check`), so the config works from any
    /// working directory.
    static func resolve(_ file: String, relativeTo configPath: String) -> String {
        guard !file.hasPrefix("/"), let slash = configPath.lastIndex(of: "/") else { return file }
        return String(configPath[...slash]) + file
    }
}

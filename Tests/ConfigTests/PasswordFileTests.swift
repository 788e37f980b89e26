import Foundation
import Testing

@testable import Config

/// `auth.password_file` is read at load time; these tests use a temporary directory of their own.
struct PasswordFileTests {
    /// A secret file as an operator should make it: readable by its owner only.
    private func write(_ contents: String, to path: String, mode: Int = 0o600) throws {
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        try chmod(path, mode)
    }

    private func chmod(_ path: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    private func refusal(_ auth: String, section: String = "health", in directory: String) throws -> ConfigError {
        try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: config(auth, section: section), path: directory + "/ferry.yaml")
        }
    }

    private func config(_ auth: String, section: String = "health") -> String {
        "\(section):\n  auth: \(auth)\nbackends: {servers: [\"127.0.0.1:7001\"]}\n"
    }

    @Test(arguments: [
        ("s3cret", "s3cret"),
        ("s3cret\n", "s3cret"),
        ("s3cret\n\n\n", "s3cret"),
        ("s3cret\r\n", "s3cret"),
        (" spaced out \n", " spaced out "),  // only line ends are trimmed
        ("two\nlines\n", "two\nlines"),
        ("pässwörd\n", "pässwörd"),
    ])
    func thePasswordIsTheFileWithoutItsFinalNewlines(contents: String, password: String) throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/check.secret"
            try write(contents, to: file)
            let loaded = try ConfigLoader.parse(
                yaml: config("{username: ferry-check, password_file: \(file)}"), path: directory + "/ferry.yaml")
            #expect(loaded.health.auth == Credentials(username: "ferry-check", passwordFile: file, password: password))
        }
    }

    @Test func aRelativePathIsNextToTheConfigFile() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/secrets", withIntermediateDirectories: false)
            try write("admin-pw\n", to: directory + "/secrets/stats.secret")
            let yaml = config("{username: admin, password_file: secrets/stats.secret}", section: "stats")
            try write(yaml, to: directory + "/ferry.yaml")

            // Through load(path:) and through parse(yaml:path:), from a working directory elsewhere.
            let loaded = try ConfigLoader.load(path: directory + "/ferry.yaml")
            let parsed = try ConfigLoader.parse(yaml: yaml, path: directory + "/ferry.yaml")
            let expected = Credentials(username: "admin", passwordFile: directory + "/secrets/stats.secret", password: "admin-pw")
            #expect(loaded.stats.auth == expected)
            #expect(parsed.stats.auth == expected)
        }
    }

    @Test func usernameIsOptionalForHealthChecks() throws {
        try withTemporaryDirectory { directory in
            try write("pw", to: directory + "/pw")
            let loaded = try ConfigLoader.parse(yaml: config("{password_file: \(directory)/pw}"), path: "ferry.yaml")
            #expect(loaded.health.auth?.username == nil)
            #expect(loaded.health.auth?.password == "pw")
        }
    }

    @Test func aNullAuthMeansNone() throws {
        let loaded = try ConfigLoader.parse(yaml: config(""), path: "ferry.yaml")
        #expect(loaded.health.auth == nil)
    }

    @Test func aMissingFileNamesTheKeyAndTheFile() throws {
        try withTemporaryDirectory { directory in
            let yaml = config("\n    username: ferry-check\n    password_file: missing.secret")
            let error = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: yaml, path: directory + "/ferry.yaml")
            }
            #expect(error == ConfigError(
                path: directory + "/ferry.yaml", line: 4, key: "health.auth.password_file",
                message: "cannot read \(directory)/missing.secret: No such file or directory"))
        }
    }

    @Test func aRelativeConfigPathResolvesRelativeToItsDirectory() {
        #expect(ConfigLoader.resolve("check.secret", relativeTo: "conf/ferry.yaml") == "conf/check.secret")
        #expect(ConfigLoader.resolve("check.secret", relativeTo: "ferry.yaml") == "check.secret")
        #expect(ConfigLoader.resolve("check.secret", relativeTo: "/ferry.yaml") == "/check.secret")
        #expect(ConfigLoader.resolve("/etc/ferry/check.secret", relativeTo: "conf/ferry.yaml") == "/etc/ferry/check.secret")
        #expect(ConfigLoader.resolve("../s/x", relativeTo: "/etc/ferry/ferry.yaml") == "/etc/ferry/../s/x")
    }

    @Test(arguments: ["", "\n", "\r\n\n"])
    func anEmptyPasswordIsRefused(contents: String) throws {
        try withTemporaryDirectory { directory in
            try write(contents, to: directory + "/empty")
            let error = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: config("{username: admin, password_file: empty}", section: "stats"),
                                       path: directory + "/ferry.yaml")
            }
            #expect(error.description == "\(directory)/ferry.yaml:2: stats.auth.password_file: \(directory)/empty is empty")
        }
    }

    @Test func aDirectoryOrBinaryIsRefused() throws {
        try withTemporaryDirectory { directory in
            let error = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: config("{password_file: \(directory)}"), path: "ferry.yaml")
            }
            #expect(error.message == "\(directory) is a directory, not a regular file")

            try Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: directory + "/bin"))
            try chmod(directory + "/bin", 0o600)
            let binary = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: config("{password_file: \(directory)/bin}"), path: "ferry.yaml")
            }
            #expect(binary.message == "\(directory)/bin is not UTF-8 text")
        }
    }

    @Test func anUnreadableFileReportsTheSystemError() throws {
        guard getuid() != 0 else { return }  // root reads anything; nothing to test
        try withTemporaryDirectory { directory in
            try write("pw", to: directory + "/locked")
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: directory + "/locked")
            let error = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: config("{password_file: \(directory)/locked}"), path: "ferry.yaml")
            }
            #expect(error.message == "cannot read \(directory)/locked: Permission denied")
        }
    }

    // MARK: - Permissions, as OpenSSH checks a private key and sudo its sudoers

    @Test(arguments: [0o600, 0o400, 0o640, 0o440, 0o700, 0o750, 0o4600])
    func aFileOnlyItsOwnerAndGroupCanReadIsAccepted(mode: Int) throws {
        try withTemporaryDirectory { directory in
            try write("pw\n", to: directory + "/check.secret", mode: mode)
            let loaded = try ConfigLoader.parse(yaml: config("{password_file: check.secret}"), path: directory + "/ferry.yaml")
            #expect(loaded.health.auth?.password == "pw")
        }
    }

    @Test(arguments: [
        (0o644, "is readable by others (mode 0644)", "chmod 640"),
        (0o604, "is readable by others (mode 0604)", "chmod 600"),
        (0o602, "is writable by others (mode 0602)", "chmod 600"),
        (0o601, "is executable by others (mode 0601)", "chmod 600"),
        (0o660, "is writable by its group (mode 0660)", "chmod 640"),
        (0o620, "is writable by its group (mode 0620)", "chmod 600"),
        (0o666, "is writable by its group and readable and writable by others (mode 0666)", "chmod 640"),
        (0o777, "is writable by its group and readable and writable and executable by others (mode 0777)", "chmod 640"),
        (0o1604, "is readable by others (mode 1604)", "chmod 600"),
    ])
    func aFileOthersCanReadOrWriteIsRefusedWithTheFix(mode: Int, problem: String, fix: String) throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/stats.secret"
            try write("admin-pw\n", to: file, mode: mode)
            let error = try refusal("{username: admin, password_file: stats.secret}", section: "stats", in: directory)
            #expect(error.description == "\(directory)/ferry.yaml:2: stats.auth.password_file: \(file) \(problem); "
                    + "a secret must not be readable or writable by others, nor writable by its group: \(fix) \(file)")
        }
    }

    @Test func theFixInTheMessageMakesTheFileAcceptable() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/check.secret"
            try write("pw", to: file, mode: 0o664)
            let error = try refusal("{password_file: \(file)}", in: directory)
            let command = try #require(error.message.split(separator: ": ").last?.split(separator: " "))
            #expect(command.first == "chmod" && command.last.map(String.init) == file)
            try chmod(file, Int(command[1], radix: 8)!)
            #expect(try ConfigLoader.parse(yaml: config("{password_file: \(file)}"), path: "ferry.yaml").health.auth?.password == "pw")
        }
    }

    @Test func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        try withTemporaryDirectory { directory in
            let fifo = directory + "/check.secret"
            try #require(mkfifo(fifo, 0o600) == 0)
            let error = try refusal("{password_file: \(fifo)}", in: directory)
            #expect(error.key == "health.auth.password_file")
            #expect(error.message == "\(fifo) is a FIFO, not a regular file")
        }
    }

    @Test(arguments: [("/dev/null", "a character device"), ("/", "a directory")])
    func aSpecialFileIsRefused(path: String, kind: String) throws {
        try withTemporaryDirectory { directory in
            let error = try refusal("{password_file: \(path)}", in: directory)
            #expect(error.message == "\(path) is \(kind), not a regular file")
        }
    }

    @Test func aSymlinkIsJudgedByItsTarget() throws {
        try withTemporaryDirectory { directory in
            try write("pw\n", to: directory + "/target", mode: 0o600)
            try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "target")
            let loaded = try ConfigLoader.parse(yaml: config("{password_file: link}"), path: directory + "/ferry.yaml")
            #expect(loaded.health.auth == Credentials(username: nil, passwordFile: directory + "/link", password: "pw"))

            // The link's own mode (0777 on Linux) does not matter; the target's does.
            try chmod(directory + "/target", 0o644)
            let error = try refusal("{password_file: link}", in: directory)
            #expect(error.message.hasPrefix("\(directory)/link is readable by others (mode 0644)"), "\(error.message)")
        }
    }

    @Test(arguments: ["missing", "self"])
    func aDanglingOrLoopingSymlinkNamesTheFile(target: String) throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.createSymbolicLink(atPath: directory + "/self", withDestinationPath: target)
            let error = try refusal("{password_file: self}", in: directory)
            let reason = target == "self" ? "Too many levels of symbolic links" : "No such file or directory"
            #expect(error.message == "cannot read \(directory)/self: \(reason)")
        }
    }

    // MARK: - proxy.auth, a list of the same credentials

    /// A cluster-mode proxy with `auth` as given (indented as a key of `proxy:`, from line 3).
    private func clusterConfig(_ auth: String) -> String {
        "proxy:\n  mode: cluster\n  auth:\(auth)\nbackends: {servers: [\"127.0.0.1:7001\"]}\n"
    }

    @Test func proxyAuthListsUsersReadLikeTheOtherCredentials() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/secrets", withIntermediateDirectories: false)
            try write("alice-pw\n", to: directory + "/secrets/alice.secret")
            try write("bob-pw\r\n", to: directory + "/secrets/bob.secret", mode: 0o640)
            try write("default-pw", to: directory + "/default.secret")
            let yaml = clusterConfig("""

                    - username: alice
                      password_file: secrets/alice.secret
                    - {username: bob, password_file: secrets/bob.secret}
                    - {username: Alice, password_file: secrets/alice.secret}
                    - password_file: \(directory)/default.secret
                """)
            let config = try ConfigLoader.parse(yaml: yaml, path: directory + "/ferry.yaml")
            #expect(config.proxy.auth == [
                Credentials(username: "alice", passwordFile: directory + "/secrets/alice.secret", password: "alice-pw"),
                Credentials(username: "bob", passwordFile: directory + "/secrets/bob.secret", password: "bob-pw"),
                // User names are case-sensitive, as in Redis.
                Credentials(username: "Alice", passwordFile: directory + "/secrets/alice.secret", password: "alice-pw"),
                // No username: Redis's default user.
                Credentials(username: nil, passwordFile: directory + "/default.secret", password: "default-pw"),
            ])
        }
    }

    /// Like `listen`, which takes one address without a list.
    @Test(arguments: [" {username: alice, password_file: alice.secret}", "\n    username: alice\n    password_file: alice.secret"])
    func proxyAuthTakesOneUsersMapping(auth: String) throws {
        try withTemporaryDirectory { directory in
            try write("pw\n", to: directory + "/alice.secret")
            let config = try ConfigLoader.parse(yaml: clusterConfig(auth), path: directory + "/ferry.yaml")
            #expect(config.proxy.auth == [Credentials(username: "alice", passwordFile: directory + "/alice.secret", password: "pw")])
        }
    }

    struct DuplicateUserCase: Sendable, CustomTestStringConvertible {
        var users: [String]
        var key: String
        var line: Int
        var message: String
        var testDescription: String { users.joined(separator: ", ") }
    }

    /// The second use of a user is refused, at its username (or at the entry, when it has none).
    @Test(arguments: [
        DuplicateUserCase(users: ["username: alice", "username: alice"], key: "proxy.auth[1].username", line: 6,
                          message: "duplicate of proxy.auth[0].username"),
        DuplicateUserCase(users: ["username: alice", "username: bob", "username: alice"], key: "proxy.auth[2].username", line: 8,
                          message: "duplicate of proxy.auth[0].username"),
        DuplicateUserCase(users: ["username: x", "username: default", "{}"], key: "proxy.auth[2]", line: 8,
                          message: "duplicate of proxy.auth[1].username (an entry without a username is for the default user)"),
        DuplicateUserCase(users: ["{}", "username: default"], key: "proxy.auth[1].username", line: 6,
                          message: "duplicate of proxy.auth[0] (an entry without a username is for the default user)"),
        DuplicateUserCase(users: ["{}", "{}"], key: "proxy.auth[1]", line: 6,
                          message: "duplicate of proxy.auth[0] (an entry without a username is for the default user)"),
        DuplicateUserCase(users: ["username: default", "username: default"], key: "proxy.auth[1].username", line: 6,
                          message: "duplicate of proxy.auth[0].username"),
    ])
    func aRepeatedUserIsRefused(_ duplicate: DuplicateUserCase) throws {
        try withTemporaryDirectory { directory in
            try write("pw\n", to: directory + "/user.secret")
            // Two lines an entry, from line 4: its username then its password_file; for `{}` (no
            // username) the password_file, then a comment.
            let yaml = clusterConfig(duplicate.users.map { user in
                user == "{}" ? "\n    - password_file: user.secret\n      # no username"
                    : "\n    - \(user)\n      password_file: user.secret"
            }.joined())
            let error = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: yaml, path: directory + "/ferry.yaml")
            }
            #expect(error == ConfigError(path: directory + "/ferry.yaml", line: duplicate.line, key: duplicate.key,
                                         message: duplicate.message), "\(yaml)")
        }
    }

    /// The username is checked whatever becomes of the password, so every problem is reported.
    @Test func aRepeatedUserIsFoundEvenWhenAPasswordFileIsBad() throws {
        let yaml = clusterConfig("""

                - {username: alice, password_file: /nonexistent/a.secret}
                - {username: alice, password_file: /nonexistent/b.secret}
            """)
        let decoder = ConfigDecoder(path: "ferry.yaml")
        _ = decoder.decode(try ConfigLoader.compose(yaml, path: "ferry.yaml"))
        #expect(decoder.allProblems.map(\.description) == [
            "ferry.yaml:4: proxy.auth[0].password_file: cannot read /nonexistent/a.secret: No such file or directory",
            "ferry.yaml:5: proxy.auth[1].username: duplicate of proxy.auth[0].username",
            "ferry.yaml:5: proxy.auth[1].password_file: cannot read /nonexistent/b.secret: No such file or directory",
        ])
    }

    @Test(arguments: [(0o644, "chmod 640"), (0o602, "chmod 600")])
    func proxyAuthRefusesAFileOthersCanReadOrWrite(mode: Int, fix: String) throws {
        try withTemporaryDirectory { directory in
            try write("pw\n", to: directory + "/ok.secret")
            try write("pw\n", to: directory + "/bob.secret", mode: mode)
            let yaml = clusterConfig("\n    - {username: alice, password_file: ok.secret}\n    - {username: bob, password_file: bob.secret}")
            let error = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: yaml, path: directory + "/ferry.yaml")
            }
            #expect(error.key == "proxy.auth[1].password_file")
            #expect(error.line == 5)
            #expect(error.message.hasPrefix("\(directory)/bob.secret is "))
            #expect(error.message.hasSuffix("a secret must not be readable or writable by others, nor writable by its group: "
                                            + "\(fix) \(directory)/bob.secret"))
        }
    }

    @Test(arguments: ["", "\n\n"])
    func proxyAuthRefusesAnEmptyPassword(contents: String) throws {
        try withTemporaryDirectory { directory in
            try write(contents, to: directory + "/empty")
            let error = try #require(throws: ConfigError.self) {
                try ConfigLoader.parse(yaml: clusterConfig(" [{password_file: empty}]"), path: directory + "/ferry.yaml")
            }
            #expect(error.description == "\(directory)/ferry.yaml:3: proxy.auth[0].password_file: \(directory)/empty is empty")
        }
    }

    /// As root, makes this thread's file accesses those of `nobody` (setfsuid is per thread, and
    /// leaving uid 0 drops CAP_DAC_OVERRIDE), so root can see what an unprivileged daemon sees.
    @Test func aFileTheDaemonsUserCannotReadIsReportedWithItsName() throws {
        guard getuid() == 0 else { return }  // anUnreadableFileReportsTheSystemError covers this case
        typealias SetFSUID = @convention(c) (UInt32) -> Int32
        let setfsuid = unsafeBitCast(try #require(dlsym(nil, "setfsuid")), to: SetFSUID.self)  // nil: RTLD_DEFAULT
        try withTemporaryDirectory { directory in
            try chmod(directory, 0o755)
            try write("pw", to: directory + "/root-only", mode: 0o600)
            let result = Result { () throws(ConfigError) in
                _ = setfsuid(65534)
                defer { _ = setfsuid(0) }
                return try ConfigLoader.parse(yaml: config("{password_file: \(directory)/root-only}"), path: "ferry.yaml")
            }
            #expect(setfsuid(0) == 0, "this thread is root again")
            guard case .failure(let error) = result else {
                Issue.record("read a 0600 root file as nobody")
                return
            }
            #expect(error.description == "ferry.yaml:2: health.auth.password_file: cannot read \(directory)/root-only: Permission denied")
        }
    }
}

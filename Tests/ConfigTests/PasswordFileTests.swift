import Foundation
import Testing

@testable import Config

/// `auth.password_file` is read at load time; these tests use a temporary directory of their own.
struct PasswordFileTests {
    private func write(_ contents: String, to path: String) throws {
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
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
            #expect(error.message == "cannot read \(directory): Is a directory")

            try Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: directory + "/bin"))
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
}

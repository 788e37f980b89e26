import ArgumentParser
import Config
import Foundation
import Logging

/// The `ferry` command line.
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One highly available access point for a Redis Cluster: proxy, VRRP and stats.",
        subcommands: [Run.self, CheckConfig.self, Capture.self, Version.self],
        defaultSubcommand: Run.self)
}

extension Ferry {
    /// `ferry run [--config FILE]`
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the daemon in the foreground.")

        @Option(name: .shortAndLong, help: "The configuration file.")
        var config = "conf/ferry.yaml"

        func run() throws {
            let loaded: FerryConfig
            do {
                loaded = try ConfigLoader.load(path: config)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
            let format: LogLineFormatter.Format = loaded.log.format == .json ? .json : .text
            let level = Logger.Level(rawValue: loaded.log.level.rawValue) ?? .info
            LoggingSystem.bootstrap { label in FerryLogHandler(logLevel: level, label: label, format: format) }
            do {
                let code = try Daemon.run(config: loaded)
                if code != 0 { throw ExitCode(code) }
            } catch let error as ExitCode {
                throw error
            } catch {
                Logger(label: "ferry").critical("cannot start: \(error)", metadata: ["event": "start_failed", "error": "\(error)"])
                throw ExitCode(1)
            }
        }
    }

    /// `ferry check-config FILE`
    struct CheckConfig: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate a configuration file: exit 0, or print FILE:LINE: key: message and exit 1.")

        @Argument(help: "The configuration file.")
        var file: String

        func run() throws {
            do {
                _ = try ConfigLoader.load(path: file)
                print("\(file): ok")
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    /// `ferry version`
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the version.")
        func run() { print("ferry \(FerryVersion.current)") }
    }
}

Ferry.main()

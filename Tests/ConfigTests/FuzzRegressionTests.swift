import Testing

@testable import Config

/// Inputs found by `bench/fuzz config` (Fuzz/Sources/FuzzConfig) that broke an invariant.
struct FuzzRegressionTests {
    struct UnfinishedCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var line: Int
        var testDescription: String { yaml.debugDescription }
    }

    /// A file that ends inside a flow collection without a final line break: libyaml reports the
    /// end of the stream on the line after the last one, which does not exist. The error must
    /// point at a line of the file (the fuzzer's first find, reduced).
    @Test(arguments: [
        UnfinishedCase(yaml: "defaults: &d {interva ─┐\n#  lb2 10.0.0.2 (eth1, pri", line: 2),
        UnfinishedCase(yaml: "health: {rise: 1", line: 1),
        UnfinishedCase(yaml: "backends:\n  servers: [\"127.0.0.1:7001\"", line: 2),
        UnfinishedCase(yaml: "backends:\r\n  servers: [\"127.0.0.1:7001\"", line: 2),
        UnfinishedCase(yaml: "log: {level: info,\r  format: text", line: 2),
        // With the final line break the end of the stream is on the (empty) last line: unchanged.
        UnfinishedCase(yaml: "health: {rise: 1\n", line: 2),
    ])
    func anUnfinishedFlowCollectionAtTheEndPointsAtTheLastLine(_ unfinished: UnfinishedCase) throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: unfinished.yaml, path: "x.yaml") }
        #expect(error.message.hasPrefix("invalid YAML: "), "\(error)")
        #expect(error.line == unfinished.line, "\(error)")
        #expect(error.description.hasPrefix("x.yaml:\(unfinished.line): invalid YAML: "))
    }

    @Test(arguments: [
        ("", 1), ("a", 1), ("a\n", 2), ("a\r\nb", 2), ("a\rb\nc", 3), ("a\n\rb", 3), ("a\u{85}b\u{2028}c\u{2029}", 4),
    ])
    func linesAreCountedAsLibYAMLCountsThem(_ text: String, _ lines: Int) {
        #expect(ConfigLoader.lineCount(text) == lines)
    }
}

import Foundation
import Testing

/// Reading a running Ferry's counters the way an operator's script would: `/stats;json`
/// (schema `ferry-stats/1`) from its own stats port, without authentication.
extension FerryProcess {
    /// The whole `/stats;json` document.
    func statsJSON() throws -> [String: Any] {
        let response = try StatsEndToEndTests.request("GET", "/stats;json", port: statsPort)
        try #require(response.status == 200, "/stats;json: \(response.status) \(response.body.prefix(200))")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        try #require(document["schema"] as? String == "ferry-stats/1")
        return document
    }

    /// `frontend` of the document: sessions, bytes, `no_backend`, `out_of_resources`, `accept_errors`, ...
    func frontendStats() throws -> [String: Any] {
        try #require(try statsJSON()["frontend"] as? [String: Any])
    }

    /// The `backends` entry of the server on `127.0.0.1:port`.
    func backendStats(port: Int) throws -> [String: Any] {
        let backends = try #require(try statsJSON()["backends"] as? [[String: Any]])
        return try #require(backends.first { $0["address"] as? String == "127.0.0.1:\(port)" },
                            "no backend 127.0.0.1:\(port) in \(backends.map { $0["address"] ?? "?" })")
    }

    /// The last check of the server on `127.0.0.1:port` as `(code, detail)`, if it was checked.
    func lastCheck(port: Int) throws -> (code: String, detail: String)? {
        guard let check = try backendStats(port: port)["last_check"] as? [String: Any] else { return nil }
        return (check["code"] as? String ?? "", check["detail"] as? String ?? "")
    }
}

extension [String: Any] {
    /// A counter of a stats object as an integer (JSON numbers arrive as NSNumber); -1 if absent.
    func count(_ key: String) -> Int {
        (self[key] as? NSNumber)?.intValue ?? -1
    }
}

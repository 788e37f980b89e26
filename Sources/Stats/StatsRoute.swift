import HTTPTypes

/// A request path resolved to what the server does with it: `stats.path` with HAProxy-style
/// `;csv`, `;json` and `;norefresh` options, `/metrics`, `/health`, and `<stats.path>/admin`.
enum StatsRoute: Equatable {
    enum Format: Equatable { case html, csv, json }

    case page(Format, refresh: Bool)
    case metrics
    case health
    case admin
    case notFound

    init(path: String, statsPath: String) {
        let adminPath = statsPath == "/" ? "/admin" : statsPath + "/admin"
        switch path {
        case "/metrics": self = .metrics
        case "/health": self = .health
        case adminPath: self = .admin
        default:
            var options = path.split(separator: ";", omittingEmptySubsequences: false)
            guard options.removeFirst() == statsPath else { self = .notFound; return }
            var format = Format.html, refresh = true
            for option in options {
                switch option {
                case "csv" where format == .html: format = .csv
                case "json" where format == .html: format = .json
                case "norefresh": refresh = false
                default: self = .notFound; return
                }
            }
            self = .page(format, refresh: refresh)
        }
    }

    var endpoint: StatsEndpoint? {
        switch self {
        case .page: return .page
        case .metrics: return .metrics
        case .health: return .health
        case .admin: return .admin
        case .notFound: return nil
        }
    }

    /// What a 405 answer lists in `Allow`.
    var allowedMethods: [HTTPRequest.Method] {
        switch self {
        case .admin: return [.post]
        case .page, .metrics, .health: return [.get, .head]
        case .notFound: return []
        }
    }
}

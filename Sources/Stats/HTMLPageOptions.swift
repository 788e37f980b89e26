/// How `/stats` renders beyond the snapshot: links, refresh and whether admin buttons appear.
public struct HTMLPageOptions: Sendable, Equatable {
    /// What admin forms need; `nil` in ``admin`` means the page shows no buttons.
    public struct Admin: Sendable, Equatable {
        /// Where the forms POST.
        public var actionPath: String
        /// Embedded in every form and checked on POST.
        public var csrfToken: String

        public init(actionPath: String, csrfToken: String) {
            self.actionPath = actionPath
            self.csrfToken = csrfToken
        }
    }

    /// `stats.path`, the base of the page's own links (`;csv`, `;json`, `;norefresh`).
    public var statsPath: String
    /// Auto-refresh period; `nil` for `;norefresh`.
    public var refresh: Duration?
    /// The period the "enable refresh" link mentions when ``refresh`` is off.
    public var configuredRefresh: Duration
    public var admin: Admin?
    /// A one-line notice at the top (the result of the last admin action).
    public var notice: String?

    public init(statsPath: String = "/stats", refresh: Duration? = .seconds(5), configuredRefresh: Duration = .seconds(5),
                admin: Admin? = nil, notice: String? = nil) {
        self.statsPath = statsPath
        self.refresh = refresh
        self.configuredRefresh = configuredRefresh
        self.admin = admin
        self.notice = notice
    }
}

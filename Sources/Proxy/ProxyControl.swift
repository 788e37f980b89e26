import EventLoop

/// What other threads (the stats server's admin actions) may ask of the proxy. Requests are
/// queued to the control loop; nothing here touches the data plane directly.
public final class ProxyControl: Sendable {
    enum Request: Sendable {
        case setAdminState(AdminState, server: Int, by: String)
    }

    let mailbox: Mailbox<Request>

    init() throws(SystemError) {
        mailbox = try Mailbox()
    }

    /// Sets a server READY, DRAIN or MAINT by its index in `backends.servers`; `by` names who
    /// asked, for the log (e.g. "admin from 10.0.0.5").
    public func setAdminState(_ state: AdminState, server: Int, by: String) {
        mailbox.send(.setAdminState(state, server: server, by: by))
    }
}

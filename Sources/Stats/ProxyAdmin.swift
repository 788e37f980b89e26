import Proxy

/// The one admin request Stats sends to the proxy; ``Proxy/ProxyControl`` is the real one,
/// tests record calls with their own.
public protocol ProxyAdmin: Sendable {
    func setAdminState(_ state: AdminState, server: Int, by: String)
}

extension ProxyControl: ProxyAdmin {}

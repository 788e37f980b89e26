/// What the stats server needs from the VRRP speaker: a status copy for the page and the two
/// operator actions. The daemon provides one once VRRP exists; without it the page says
/// "not configured". Implementations must not block (queue the action to the VRRP loop).
public protocol VRRPAdmin: Sendable {
    /// Every instance's status, copied under a short lock.
    func vrrpStatus() -> [VRRPInstanceStatus]
    /// Lowers the instance's effective priority so the peer takes over (planned maintenance).
    /// Returns false for an unknown instance. `by` names who asked, for the log.
    func stepDown(instance: String, by: String) -> Bool
    /// Undoes ``stepDown(instance:by:)``.
    func restore(instance: String, by: String) -> Bool
}

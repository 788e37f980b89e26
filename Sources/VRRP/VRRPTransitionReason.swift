/// Why a ``VRRPStateMachine`` changed state; `description` is the phrase for logs and the stats
/// page, such as "no advert for 3.61s (Master_Down_Interval)".
public enum VRRPTransitionReason: Sendable, Hashable, CustomStringConvertible {
    /// Startup with priority 255: the address owner is master at once (§6.4.1).
    case startupAsOwner
    /// Startup with any other priority: wait in Backup for a Master_Down_Interval (§6.4.1).
    case startup
    /// The Master_Down_Timer fired: nothing accepted for `silence` nanoseconds.
    /// `lastMaster` is the master last heard, if any.
    case masterDown(silence: UInt64, lastMaster: IPv4Address?)
    /// The master resigned with a priority-0 advertisement and we waited Skew_Time (§6.4.2).
    case masterResigned(from: IPv4Address, skew: UInt64)
    /// Preempt mode: we ignored a lower-priority master's adverts until the Master_Down_Timer fired.
    case preemptingLowerPriority(UInt8, from: IPv4Address)
    /// A master received an advertisement with a higher priority (§6.4.3).
    case higherPriority(UInt8, from: IPv4Address)
    /// A master received an advertisement with its own priority from a higher primary address.
    case equalPriorityHigherAddress(UInt8, from: IPv4Address)
    /// The Shutdown event.
    case shutdown

    public var description: String {
        switch self {
        case .startupAsOwner:
            "priority 255 (address owner) at startup"
        case .startup:
            "startup"
        case .masterDown(let silence, let lastMaster):
            "no advert for \(VRRPTimers.describe(silence)) (Master_Down_Interval)"
                + (lastMaster.map { ", last master \($0)" } ?? "")
        case .masterResigned(let source, let skew):
            "master \(source) resigned (priority 0), took over after Skew_Time \(VRRPTimers.describe(skew))"
        case .preemptingLowerPriority(let priority, let source):
            "preempting lower priority \(priority) from \(source)"
        case .higherPriority(let priority, let source):
            "higher priority \(priority) from \(source)"
        case .equalPriorityHigherAddress(let priority, let source):
            "same priority \(priority) from higher address \(source)"
        case .shutdown:
            "shutdown"
        }
    }
}

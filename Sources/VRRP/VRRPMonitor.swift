import EventLoop
import Synchronization

/// Thread-safe view of the VRRP instances and the operator actions on them; requests are
/// queued to the control loop, which runs the speakers.
public final class VRRPMonitor: Sendable {
    enum Request: Sendable {
        case stepDown(instance: String, by: String)
        case restore(instance: String, by: String)
    }

    let mailbox: Mailbox<Request>
    private let snapshots: Mutex<[VRRPInstanceSnapshot]>
    private let names: [String]

    init(initial: [VRRPInstanceSnapshot]) throws(SystemError) {
        mailbox = try Mailbox()
        snapshots = Mutex(initial)
        names = initial.map(\.name)
    }

    public func snapshot() -> [VRRPInstanceSnapshot] { snapshots.withLock { $0 } }

    func publish(_ snapshot: VRRPInstanceSnapshot, at index: Int) {
        snapshots.withLock { $0[index] = snapshot }
    }

    /// Lowers the instance's effective priority to 1 so the peer takes over; false for an unknown name.
    public func stepDown(instance: String, by: String) -> Bool {
        guard names.contains(instance) else { return false }
        mailbox.send(.stepDown(instance: instance, by: by))
        return true
    }

    /// Undoes ``stepDown(instance:by:)``.
    public func restore(instance: String, by: String) -> Bool {
        guard names.contains(instance) else { return false }
        mailbox.send(.restore(instance: instance, by: by))
        return true
    }
}

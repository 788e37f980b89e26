import EventLoop
import Stats
import VRRP

/// Shows the VRRP speaker's snapshots on the stats page and passes step-down/restore to it.
/// Lives in the executable so that neither module depends on the other.
struct VRRPStatsAdapter: VRRPAdmin {
    let monitor: VRRPMonitor

    func vrrpStatus() -> [VRRPInstanceStatus] {
        monitor.snapshot().map { instance in
            let state: VRRPInstanceStatus.State = switch instance.state {
            case .master: .master
            case .backup: .backup
            case .initialize: .initialize
            case nil: .fault
            }
            let counters = instance.counters
            let master = counters.currentMaster.map { "\($0.address)" }
            return VRRPInstanceStatus(
                name: instance.name, interface: instance.interface, vrid: instance.vrid, state: state,
                configuredPriority: instance.configuredPriority, effectivePriority: instance.effectivePriority,
                steppedDown: instance.steppedDown, virtualIPs: instance.virtualIPs, masterAddress: master,
                advertsSent: counters.advertisementsSent, advertsReceived: counters.advertisementsReceived,
                drops: Dictionary(uniqueKeysWithValues: counters.drops.map { ($0.key.rawValue, $0.value) }),
                mismatches: counters.addressListMismatches + counters.intervalMismatches,
                lastTransition: counters.lastTransition?.at,
                lastTransitionReason: instance.fault ?? counters.lastTransition.map { "\($0)" })
        }
    }

    func stepDown(instance: String, by: String) -> Bool { monitor.stepDown(instance: instance, by: by) }
    func restore(instance: String, by: String) -> Bool { monitor.restore(instance: instance, by: by) }
}

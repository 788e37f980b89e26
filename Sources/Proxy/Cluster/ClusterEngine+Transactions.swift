import Cluster
import EventLoop
import RESP

/// Transactions: `WATCH`, `MULTI`, `EXEC`, `DISCARD`, `UNWATCH`. A client that watches keys or
/// starts a transaction is pinned to an exclusive link to one master (the first key's; any master
/// for a transaction without keys) until `EXEC`, `DISCARD` or `UNWATCH` ends it: every command it
/// sends meanwhile goes there as it came, so the server queues, checks and runs them exactly as it
/// would for a direct client. A command of another slot is refused by the server (`MOVED`, which
/// Ferry answers as `CROSSSLOT`) and flags the transaction, so `EXEC` answers `EXECABORT`: a
/// transaction never mixes slots. `MULTI` itself is answered by Ferry and sent with the first
/// command, since only that command says which master to pin.
extension ClusterEngine {
    enum TransactionCommand {
        case watch, multi, exec, discard, unwatch
    }

    /// The transaction command `arguments` is, if any (two byte compares for most commands).
    static func transactionCommand(_ arguments: CommandArguments) -> TransactionCommand? {
        guard arguments.count > 0 else { return nil }
        let name = arguments[0]
        guard name.count >= 4 && name.count <= 7 else { return nil }
        if arguments.matches(0, "multi") { return .multi }
        if arguments.matches(0, "exec") { return .exec }
        if arguments.matches(0, "watch") { return .watch }
        if arguments.matches(0, "discard") { return .discard }
        if arguments.matches(0, "unwatch") { return .unwatch }
        return nil
    }

    /// Runs a transaction command, or any command of a pinned client; false when the request is
    /// not the transactions' business (the caller routes it).
    func runTransactional(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?,
                          route: Route) -> Bool {
        let command = Self.transactionCommand(arguments)
        if client.pinnedTo < 0 && !client.multiAnswered {
            switch command {
            case .multi:
                guard arguments.count == 1 else { return false }  // the server's arity error
                client.multiAnswered = true
                reply(client, simple: "OK")
            case .watch:
                guard case .slot(let slot) = keyRoute(arguments) else { return false }  // CROSSSLOT, arity: routed
                guard pin(client, slot: slot) else { return true }
                sendPinned(client, arguments, raw: raw)
            case .exec: reply(client, error: "ERR EXEC without MULTI")
            case .discard: reply(client, error: "ERR DISCARD without MULTI")
            case .unwatch: reply(client, simple: "OK")  // nothing watched
            case nil: return false
            }
            return true
        }
        if command == nil {
            switch route {
            case .local:
                // Inside MULTI, PING and ECHO are queued by the server, as on one Redis; the rest
                // (CLIENT SETNAME…) is answered by Ferry; RESET and QUIT end the transaction.
                if client.multiAnswered && (arguments.matches(0, "ping") || arguments.matches(0, "echo")) { break }
                if arguments.matches(0, "reset") || arguments.matches(0, "quit") { abandonExclusive(client) }
                return false
            case .unsupported: return false  // SUBSCRIBE, MONITOR…: refused, as outside
            default: break
            }
        }
        if client.pinnedTo < 0 {
            // MULTI answered, no command sent yet.
            switch command {
            case .multi:
                reply(client, error: "ERR MULTI calls can not be nested")
                return true
            case .exec:
                client.multiAnswered = false
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: "*0\r\n".utf8)
                replyFromScratch(client)
                return true
            case .discard:
                client.multiAnswered = false
                reply(client, simple: "OK")
                return true
            case .watch:
                reply(client, error: "ERR WATCH inside MULTI is not allowed")
                return true
            case .unwatch, nil:
                break
            }
            // The first command's slot picks the master (a blocking command does not block in MULTI).
            // One the router could not place (a wrong number of arguments, keys of two slots): its
            // first argument's, the usual place of a key, so the keyed commands after it can run.
            let slot: UInt16? = switch route {
            case .slot(let slot), .blocking(let slot): slot
            default: arguments.count > 1 ? HashSlot.of(arguments[1]) : nil
            }
            guard pin(client, slot: slot) else { return true }
            let link = links[Int(client.pinnedTo)]
            // Its +OK was answered already (a waiter of kind asking: dropped); an error would show in what follows.
            let multi = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: 0, length: 0,
                                           hops: 0, kind: .asking, hashSlot: -1, queuedAt: context.loop.now)
            Self.multiCommand.withUnsafeBytes { enqueue($0, for: multi, on: link) }
        }
        let ends = command == .exec || command == .discard || (command == .unwatch && !client.multiAnswered)
        if command == .multi { client.multiAnswered = true }
        sendPinned(client, arguments, raw: raw)
        if ends, client.pinnedTo >= 0 {
            // Unpinned once its reply has come; its next requests wait for it (they must run after it).
            let link = links[Int(client.pinnedTo)]
            client.pinnedTo = -1
            client.multiAnswered = false
            client.blockedOn = link.index
        }
        return true
    }

    /// Pins the client to an exclusive link to the master of `slot` (any master without one);
    /// false (and the client answered) when there is none to pin to.
    private func pin(_ client: ClusterClient, slot: UInt16?) -> Bool {
        guard let master = liveMaster(of: slot, for: client) else { return false }
        client.pinnedTo = exclusiveLink(to: master, for: client).index
        return true
    }

    /// Sends a request of a pinned client on its link, as it came.
    private func sendPinned(_ client: ClusterClient, _ arguments: CommandArguments, raw: UnsafeRawBufferPointer?) {
        let link = links[Int(client.pinnedTo)]
        let waiter = BackendLink.Waiter(client: client.slot, generation: client.generation, sequence: client.nextSequence,
                                        length: 0, hops: 0, kind: .client, hashSlot: -1, queuedAt: context.loop.now)
        client.nextSequence &+= 1
        link.counters.commands &+= 1
        withRequest(arguments, raw: raw) { enqueue($0, for: waiter, on: link) }
    }

    /// Where WATCH's keys are: one slot, or not (the router's answer for a keyed command).
    private func keyRoute(_ arguments: CommandArguments) -> Route {
        guard arguments.count > 1 else { return .anyMaster }
        var slot: UInt16?
        for index in 1..<arguments.count {
            let keySlot = HashSlot.of(arguments[index])
            if let slot, slot != keySlot { return .crossSlot }
            slot = keySlot
        }
        return .slot(slot!)
    }

    static let multiCommand: [UInt8] = Array("*1\r\n$5\r\nMULTI\r\n".utf8)
}

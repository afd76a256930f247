import ArgumentParser
import Foundation
import GantryOps
import Glibc

/// Where `gantry run` listens for its operator unless told otherwise.
let defaultControlSocket = ProcessInfo.processInfo.environment["GANTRY_CONTROL_SOCKET"] ?? "/tmp/gantry-control.sock"

/// `gantry kill`: fires a running gateway's kill switch and prints the kill report as its steps happen (orders
/// cancelled, positions flat, flatness verified against the venues' balances): through the HTTP control plane
/// (`POST /kill?follow=1`) when `--control` or the configuration's `[control]` names it, else (or with `--socket`)
/// through the Unix control socket.
struct KillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill",
        abstract: "Fire a running gateway's kill switch (new intents stop, open orders are cancelled, every position is flattened) and print its report.")

    @Option(name: .long, help: "Use the gateway's Unix control socket at this path instead of the HTTP control plane (without [control], GANTRY_CONTROL_SOCKET, else /tmp/gantry-control.sock).")
    var socket: String? = nil

    @OptionGroup var plane: ControlOptions

    @Option(name: .long, help: "Give up waiting for the report after this many seconds.")
    var timeout: Int = 90

    @Flag(name: .long, help: "A drill: run gantry-venue-sim (--sim-config) and a gateway on it (--config), let it trade, fire the kill, record each step's time in STATE_DIR/drills.jsonl; exit non-zero unless flat and verified within 60 s.")
    var drill = false

    @Option(name: .long, help: "The drill's simulator configuration (its ports are the --config's sim_* endpoints).")
    var simConfig: String = "config/sim-trading.toml"

    @Option(name: .long, help: "Where the drill is recorded (drills.jsonl; GANTRY_STATE_DIR, else /var/lib/gantry).")
    var stateDir: String = defaultStateDirectory

    @Option(name: .long, help: "How long the drill's gateway trades before the kill (seconds).")
    var tradeSeconds: Int = 10

    func run() throws {
        if drill {
            let record = try KillDrill(config: plane.config, simConfig: simConfig, stateDirectory: stateDir, tradeSeconds: tradeSeconds).run { line in
                print(line)
                fflush(nil)
            }
            print("drill recorded in \(stateDir)/drills.jsonl: \(record.ok ? "OK" : "FAILED") (flat \(record.flatMs.map { "\($0) ms" } ?? "never"), verified \(record.verifiedMs.map { "\($0) ms" } ?? "never"))")
            if !record.ok { throw ExitCode(1) }
            return
        }
        func show(_ line: String) {
            print(line)
            fflush(nil)
        }
        var last = ""
        if socket == nil, let client = try plane.client() {
            let r = try plane.call(client, "POST", "/kill?follow=1", timeout: timeout) { line in
                last = line
                show(line)
            }
            guard r.status == 200 else { throw ExitCode(1) }
        } else {
            _ = try SocketControlClient.exchange("kill", socket: socket ?? defaultControlSocket, timeout: timeout) { line in
                last = line
                show(line)
            }
        }
        if !last.hasPrefix("result: ok") { throw ExitCode(1) }
    }
}

/// `gantry ctl pause|resume|status`: the other commands of the control socket.
struct CtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl", abstract: "Send a command to a running gateway: pause (no new entries; hedges and flattening go on), resume, status.")

    @Argument(help: "pause, resume or status")
    var command: String

    @Option(name: .long, help: "The gateway's control socket (GANTRY_CONTROL_SOCKET, else /tmp/gantry-control.sock).")
    var socket: String = defaultControlSocket

    func validate() throws {
        guard ["pause", "resume", "status"].contains(command) else { throw ValidationError("the command is pause, resume or status") }
    }

    func run() throws {
        _ = try SocketControlClient.exchange(command, socket: socket, timeout: 10, lines: 1) { print($0) }
    }
}

/// The Unix control socket's client (`gantry ctl`, `gantry kill --socket`).
enum SocketControlClient {
    /// Sends `command` and hands each answer line to `body` until the gateway closes the connection (or `lines`
    /// lines came). - Returns: whether the last line said the outcome was good (`result: ok …`), for the kill.
    static func exchange(_ command: String, socket path: String, timeout: Int, lines: Int = .max, _ body: (String) -> Void) throws -> Bool {
        guard let fd = ControlSocket.connect(path) else {
            throw ValidationError("no gateway answers on \(path) (is `gantry run` running? --socket, GANTRY_CONTROL_SOCKET)")
        }
        defer { close(fd) }
        let request = Array((command + "\n").utf8)
        guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else {
            throw ValidationError("\(path): the command could not be sent: \(String(cString: strerror(errno)))")
        }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        var seen = 0
        var last = ""
        while seen < lines {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw ValidationError("no answer within \(timeout) s") }
            guard n > 0 else { break }
            pending += chunk[0..<n]
            while let nl = pending.firstIndex(of: 10), seen < lines {
                last = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeFirst(nl + 1)
                seen += 1
                body(last)
            }
        }
        return last.hasPrefix("result: ok")
    }
}

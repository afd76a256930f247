// gantry-sim-bench: how fast one simulated venue pushes depth updates over loopback WebSocket, so that the
// simulator is never the bottleneck when Gantry is measured against it. The venue (Binance dialect, one
// instrument, its book moved by the market model through the matching engine) runs on one CPU, stepping as
// fast as it can; Gantry's WebSocket client on the other CPU counts every message and checks the diff chain
// (each U is the previous u + 1: nothing lost, nothing reordered).
import Foundation
import GantryCore
import GantryLoop
import GantryNet
import Synchronization
import VenueSim

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    return v
}
let seconds = option("--seconds", 5)
let target = option("--target", 200_000)
let enforce = arguments.contains("--enforce")
exit(runSimBench(seconds: seconds, target: target, enforce: enforce))

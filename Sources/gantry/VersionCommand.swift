import ArgumentParser
import GantryLoop
import GantryRing

/// The gateway's version, and the versions of what it links.
enum GantryVersion {
    static let string = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version of Gantry and of what it links.")

    func run() throws {
        print("gantry \(GantryVersion.string)")
        print("libuv \(LoopInfo.libuvVersion)")
        print("libnuma \(NumaTopology.isAvailable ? "available" : "unavailable (no NUMA policy)"), \(NumaTopology.nodeCount) node(s)")
    }
}

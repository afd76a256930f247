import ArgumentParser
import GantryLoop
import GantryRing

/// The gateway's version and the commit it was built from: compiled in by `make release`
/// (`scripts/release.sh` writes `ReleaseStamp.generated.swift` and builds with `GANTRY_RELEASE_STAMP` set);
/// "dev" in any other build.
enum GantryVersion {
    #if GANTRY_RELEASE_STAMP
    static let string = ReleaseStamp.version
    static let commit = ReleaseStamp.commit
    #else
    static let string = "dev"
    static let commit = "dev"
    #endif
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version of Gantry, the commit it was built from, and the versions of what it links.")

    func run() throws {
        print("gantry \(GantryVersion.string)")
        print("commit \(GantryVersion.commit)")
        print("libuv \(LoopInfo.libuvVersion)")
        print("libnuma \(NumaTopology.isAvailable ? "available" : "unavailable (no NUMA policy)"), \(NumaTopology.nodeCount) node(s)")
    }
}

import ArgumentParser

@main
struct Gantry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gantry",
        abstract: "Gantry: a low-latency market gateway for colocated crypto arbitrage.",
        subcommands: [
            VersionCommand.self, TopologyCommand.self, RunCommand.self, KillCommand.self, StatusCommand.self, CheckCommand.self, PauseCommand.self, ResumeCommand.self,
            CtlCommand.self, BacktestCommand.self, JournalCommand.self, ReportCommand.self, TrainCommand.self, DemoCommand.self, FeedCommand.self,
            RecordCommand.self, ReplayCommand.self, RingPeerCommand.self, JournalCrashWriterCommand.self, ConfigCommand.self, TuneCommand.self,
            WatchdogCommand.self,
        ]
    )
}

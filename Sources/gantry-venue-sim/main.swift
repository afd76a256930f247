// gantry-venue-sim: the local multi-venue exchange simulator (see SimCommand.swift).
SimCommand.main()

# Gantry: `make demo` and `make test` work on a fresh Debian machine with only Swift installed.
SWIFT ?= swift
DEMO_SECONDS ?= 30
# The CPU level the project's own builds use (Package.swift): the building machine's highest of x86-64-v3 and
# x86-64-v2; GANTRY_CPU=portable (or unset, as for a package depending on Gantry) adds no -march.
export GANTRY_CPU ?= host

.PHONY: all deps peers build release test test-deploy example demo demo-feed demo-synthetic bench bench-ci bench-net bench-ingest bench-t2o bench-t2o-journal bench-backtest bench-decode bench-sim bench-journal bench-bus bench-roles perf-report fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

# Independent protocol peers for the conformance tests (Python websockets in .venv).
peers:
	@bash scripts/install-peers.sh

build: deps
	$(SWIFT) build -c release --product gantry
	$(SWIFT) build -c release --product gantry-venue-sim

# A versioned release: dist/gantry-<version>-<commit>-linux-<arch>.tar.gz and its .sha256 (the version from
# VERSION and the commit compiled in; `gantry version` prints both). Deploy/install-release.sh installs it.
release: deps
	@bash scripts/release.sh

# The two-process ring test runs the gantry executable beside the test bundle: build it first.
# GantryBusTests run after the rest (their 1 M-event test, GANTRY_BUS_LONG=1, keeps both cores busy for half a
# minute) against a redis-server of their own (scripts/redis-test.sh, append-only), stopped after.
REDIS_TEST_PORT ?= 6390
test: deps peers
	$(SWIFT) build --product gantry
	@GANTRY_REDIS_PORT=$(REDIS_TEST_PORT) bash scripts/redis-test.sh start
	GANTRY_REQUIRE_CHROMIUM=1 GANTRY_REQUIRE_PROMTOOL=1 GANTRY_REDIS_PORT=$(REDIS_TEST_PORT) $(SWIFT) test --skip GantryBusTests; status=$$?; \
		if [ $$status -eq 0 ]; then GANTRY_BUS_LONG=1 GANTRY_REDIS_PORT=$(REDIS_TEST_PORT) $(SWIFT) test --skip-build --filter GantryBusTests; status=$$?; fi; \
		GANTRY_REDIS_PORT=$(REDIS_TEST_PORT) bash scripts/redis-test.sh stop; exit $$status
	@$(MAKE) --no-print-directory test-deploy
	@$(MAKE) --no-print-directory example

# Deploy/ and Tuning/: a release (packed from the debug build) installed by the Ansible playbook into a scratch
# root, install/rollback/immutability, ansible-lint, systemd-analyze verify, gantry tune check and config check.
test-deploy: deps
	$(SWIFT) build --product gantry-venue-sim
	@bash Tests/deploy/deploy-test.sh

# The external strategy package (Examples/): built against Gantry's library products as a dependency would be,
# without the project's CPU opt-in (no unsafe flags), tested and run.
example:
	cd Examples/ImbalanceStrategy && env -u GANTRY_CPU $(SWIFT) test && env -u GANTRY_CPU $(SWIFT) run imbalance-replay

# The gateway trading two simulated venues with three strategies (separate processes, real sockets, signed
# orders), the kill switch near the end, and the closing check of fills against the venues' balances.
demo: build
	.build/release/gantry topology
	@echo
	@DEMO_SECONDS=$(DEMO_SECONDS) bash scripts/demo.sh

# Gantry's market-data feeds against the five simulated venues, with scripted faults.
demo-feed: build
	@DEMO_SECONDS=$(DEMO_SECONDS) bash scripts/demo-feed.sh

# The synthetic pipeline through rings between pinned runners (no venues).
demo-synthetic: build
	.build/release/gantry demo --seconds $(DEMO_SECONDS)

# The full benchmark suite: static thresholds (0 mallocs on the hot path, ceilings) fail the run; then the
# interleaved ratio report against the C baselines, which fails when a target is missed.
bench: deps
	@bash scripts/bench-thresholds.sh
	$(SWIFT) build -c release --product gantry-perf-report
	.build/release/gantry-perf-report --rounds 5 --enforce
	@bash scripts/bench-net.sh --enforce
	@$(MAKE) --no-print-directory bench-ingest
	@$(MAKE) --no-print-directory bench-t2o
	@bash scripts/bench-decode.sh
	@$(MAKE) --no-print-directory bench-sim
	@$(MAKE) --no-print-directory bench-journal
	@$(MAKE) --no-print-directory bench-backtest
	@$(MAKE) --no-print-directory bench-t2o-journal
	@$(MAKE) --no-print-directory bench-bus

# CI: what cannot flake fails the run (malloc counts, ceilings); timing ratios are printed for the record.
bench-ci: deps
	@bash scripts/bench-thresholds.sh
	$(SWIFT) build -c release --product gantry-perf-report
	.build/release/gantry-perf-report --rounds 3 --samples 100000
	@bash scripts/bench-net.sh
	@bash scripts/bench-pki.sh .build/bench-pki
	$(SWIFT) build -c release --product gantry-ingest-bench
	.build/release/gantry-ingest-bench --pki .build/bench-pki --rate 100000 --seconds 5
	@$(MAKE) --no-print-directory bench-t2o
	@bash scripts/bench-decode.sh
	$(SWIFT) build -c release --product gantry-sim-bench
	.build/release/gantry-sim-bench --seconds 5
	@$(MAKE) --no-print-directory bench-journal

# Decode and book apply per message beside orjson, pysimdjson and nautilus_trader's book (for the record).
bench-decode: deps
	@bash scripts/bench-decode.sh

# Ingest latency: kernel receive → events on the ring at 100k msgs/s over loopback TLS (a paced Bybit-speaking
# venue on the other CPU). A lost message or a stuck stage always fails; p99.9 above 10 ms fails here and in
# `make bench` (--enforce yes), and is reported in bench-ci (the VMs' vCPU stalls, see docs/PERFORMANCE.md).
bench-ingest: deps
	@bash scripts/bench-pki.sh .build/bench-pki
	$(SWIFT) build -c release --product gantry-ingest-bench
	.build/release/gantry-ingest-bench --pki .build/bench-pki --rate 100000 --seconds 5 --enforce yes

# Tick to order: kernel receive of a venue message → the order's bytes written, on one fused runner (ingest →
# signal → risk → order-send) over loopback TLS: Bybit-format deltas at 100k msgs/s in, one IOC per 100 messages
# out as Binance WebSocket API order.place to VenueSim on the other CPU; ingest-only latency and mallocs per tick
# beside it. Timing is for the record (docs/PERFORMANCE.md); the run fails only if no order was written.
bench-t2o: deps
	@bash scripts/bench-pki.sh .build/bench-pki
	$(SWIFT) build -c release --product gantry-t2o-bench
	.build/release/gantry-t2o-bench --pki .build/bench-pki --rate 100000 --seconds 5 --every 100

# Backtest replay throughput against a BookMirror baseline (for the record; target ≥ 1 M events/s).
bench-backtest: deps
	$(SWIFT) build -c release --product gantry-backtest-bench
	.build/release/gantry-backtest-bench --events 2000000 --rounds 3

# Tick to order with the journal on against off, in turn in one run (p99 ratio, for the record).
bench-t2o-journal: deps
	@bash scripts/bench-t2o-journal.sh

# The venue simulator's push rate: one simulated venue → Gantry's WebSocket client, ≥ 200k depth messages/s
# (enforced here; printed in bench-ci). A broken U/u chain always fails.
bench-sim: deps
	$(SWIFT) build -c release --product gantry-sim-bench
	.build/release/gantry-sim-bench --seconds 5 --enforce

# Journal append throughput to files with fsync every 10 ms (target ≥ 2 M 64-byte market events/s), from one
# thread and through the journal stage from a ring, then whether the stage keeps up with 2 M events/s on a
# 262,144-slot ring; report only (the disk's speed is the VM's, not ours).
bench-journal: deps
	$(SWIFT) build -c release --product gantry-journal-bench
	.build/release/gantry-journal-bench --seconds 5
	.build/release/gantry-journal-bench --seconds 5 --writer no --rate 2000000 --ring 262144

# The Redis Streams bus against a redis-server of its own (append-only, everysec): publish and consume
# throughput beside redis-benchmark's pipelined XADD on the same server in the same run, and the one-way hop
# publish → consume p50/p99 on loopback. Report only (the VM's speed, not ours).
bench-bus: deps
	$(SWIFT) build -c release --product gantry-bus-bench
	.build/release/gantry-bus-bench --events 1000000

# The gateway split over the bus: the market's hop from the feed role to the execution role over Redis on
# loopback (p50/p99), beside the gateway in one process on the same simulated venues. Report only.
bench-roles: deps
	$(SWIFT) build -c release --product gantry
	$(SWIFT) build -c release --product gantry-venue-sim
	$(SWIFT) build -c release --product gantry-bus-bench
	@bash scripts/bench-roles.sh

# Network: Gantry's WebSocket client beside picows (Benchmarks/peers/) on the same server and messages,
# receive throughput plain/TLS and round trips busy-poll/epoll with the plain-TCP floor.
bench-net: deps
	@bash scripts/bench-net.sh --enforce

# libFuzzer with AddressSanitizer on the WebSocket frame and HTTP response parsers, FUZZ_SECONDS each (600).
fuzz: deps
	@bash scripts/fuzz.sh

clean:
	rm -rf .build .build-fuzz dist

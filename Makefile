# Convene — the two commands a newcomer needs:
#   make run    build (release) and start the server with the embedded store
#   make test   build (debug) and run every test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

DEPS_STAMP := build/.deps-installed
NPM_STAMP := build/.npm-installed

.PHONY: help deps build build-debug run test unit-test unit-test-asan unit-test-tsan e2e-test e2e-test-asan \
        e2e-test-tsan emulator-test bench clean test-asan test-tsan fuzz-smoke livekit-server e2e-real-livekit \
        bench-livekit

help:
	@echo "make run    - install dependencies, build release, start Convene on :6080 (data in ./data)"
	@echo "make test   - install dependencies, build debug, run unit + emulator + end-to-end tests"
	@echo "make bench  - build release and run the HTTP benchmarks (wrk)"
	@echo "make bench-livekit - token → joined latency and token req/s with the real livekit-server"
	@echo "make test-asan / test-tsan - every suite under ASan+UBSan / TSan"
	@echo "make fuzz-smoke - each libFuzzer target for FUZZ_SECONDS (default 20)"

$(DEPS_STAMP): scripts/install-deps.sh
	./scripts/install-deps.sh
	@mkdir -p build && touch $@

deps: $(DEPS_STAMP)

# tests/e2e has its own packages (@livekit/rtc-node, whose native WebRTC library comes in the npm
# package for linux-x64); tests/livekit-emulator's serve the emulator and the suites importing it.
$(NPM_STAMP): tests/livekit-emulator/package-lock.json tests/e2e/package-lock.json $(DEPS_STAMP)
	cd tests/livekit-emulator && npm ci --no-audit --no-fund --loglevel=error
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The real LiveKit server, built from the Go module proxy at the version pinned in the script
# (build/livekit/<version>/livekit-server; a second call finds it and returns at once).
LIVEKIT_SERVER := scripts/livekit-server.sh
livekit-server:
	$(LIVEKIT_SERVER) install

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release --target convene

build-debug: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug

run: build
	MEET_INITIAL_API_KEY=$${MEET_INITIAL_API_KEY-meet-api-key} ./build/release/src/convene

# The LiveKit client's integration tests drive the emulator, so its npm packages come first. The
# Redis and PostgreSQL tests run against a throw-away redis-server and PostgreSQL cluster on
# 127.0.0.1 (scripts/test-services.sh), stopped again whatever the outcome.
TEST_SERVICES := $(CURDIR)/build/test-services
unit-test: build-debug $(NPM_STAMP)
	eval "$$(scripts/test-services.sh start $(TEST_SERVICES))" && \
	  (cd build/debug && ctest --output-on-failure --timeout 120 -j2); \
	  status=$$?; scripts/test-services.sh stop $(TEST_SERVICES); exit $$status

emulator-test: $(NPM_STAMP)
	node --test --test-concurrency=1 tests/livekit-emulator/test/

# The end-to-end suites run twice: against one instance on the embedded store, then every suite
# but those in CLUSTER_EXCLUDED against two instances sharing PostgreSQL + Redis behind a
# round-robin proxy. cluster*.test.mjs always use two instances (they run once, in the first
# pass); http-behaviour, hostile-input and connection-limit test one process's HTTP parser and
# connection handling, which the proxy in front would stand in for.
#
# livekit-real.test.mjs runs against the real livekit-server with WebRTC participants (~15-35 s a
# pass), in both passes here and against the ASan and TSan binaries. Each run starts its own
# livekit-server (its webhooks name that run's Convene) under build/livekit-runs, stopped by the
# suite and, whatever the outcome, by the stop-all after each pass.
CLUSTER_EXCLUDED := cluster cluster-faults http-behaviour hostile-input connection-limit
ALL_SUITES := $(sort $(wildcard tests/e2e/*.test.mjs))
CLUSTER_SUITES := $(filter-out $(patsubst %,tests/e2e/%.test.mjs,$(CLUSTER_EXCLUDED)),$(ALL_SUITES))
REAL_LIVEKIT_SUITES := tests/e2e/livekit-real.test.mjs
LIVEKIT_RUNS := $(CURDIR)/build/livekit-runs
E2E_NODE := node --test --test-concurrency=1
E2E_RUN := CONVENE_BINARY=$(CURDIR)/build/debug/src/convene $(E2E_NODE)
e2e-test: build-debug $(NPM_STAMP) livekit-server
	eval "$$(scripts/test-services.sh start $(TEST_SERVICES))" && \
	  $(E2E_RUN) tests/e2e/ && \
	  CONVENE_E2E_CLUSTER=1 $(E2E_RUN) $(CLUSTER_SUITES); \
	  status=$$?; $(LIVEKIT_SERVER) stop-all $(LIVEKIT_RUNS); scripts/test-services.sh stop $(TEST_SERVICES); exit $$status

# The real-LiveKit suite alone, embedded then scale-out (what e2e-test runs of it).
e2e-real-livekit: build-debug $(NPM_STAMP) livekit-server
	eval "$$(scripts/test-services.sh start $(TEST_SERVICES))" && \
	  $(E2E_RUN) $(REAL_LIVEKIT_SUITES) && \
	  CONVENE_E2E_CLUSTER=1 $(E2E_RUN) $(REAL_LIVEKIT_SUITES); \
	  status=$$?; $(LIVEKIT_SERVER) stop-all $(LIVEKIT_RUNS); scripts/test-services.sh stop $(TEST_SERVICES); exit $$status

# A bounded fuzz smoke run is part of every test run (`make fuzz-smoke FUZZ_SECONDS=600` goes
# longer); the end-to-end suites run last, so the output ends with node:test's summary.
# livekit-server (a cold build costs ~4 min of CPU: 231 s measured, 8 min wall on a busy machine)
# is built in the background from the start, at the lowest priority, so that it takes only what
# the C++ builds and the tests leave idle; the first end-to-end pass's own `livekit-server.sh
# install` waits for it (or builds it, should the background build have failed).
test:
	@mkdir -p build
	nice -n 19 $(LIVEKIT_SERVER) install >build/livekit-install.log 2>&1 &
	$(MAKE) unit-test
	$(MAKE) unit-test-asan
	$(MAKE) e2e-test-asan
	$(MAKE) unit-test-tsan
	$(MAKE) e2e-test-tsan
	$(MAKE) emulator-test
	$(MAKE) fuzz-smoke FUZZ_SECONDS=15
	$(MAKE) e2e-test

bench: deps
	./bench/run.sh

# With the real livekit-server: named token → participant_joined latency over 50 WebRTC joins,
# then the token scenarios with the real server as Convene's LiveKit peer (release build).
bench-livekit: deps $(NPM_STAMP) livekit-server
	cmake --preset release >/dev/null
	cmake --build --preset release --target convene
	node bench/livekit-latency.mjs
	BENCH_LIVEKIT=real CONVENE_BINARY=$(CURDIR)/build/release/src/convene ./bench/run.sh token_anonymous token_named token_same_room

# The unit tests again under ASan+UBSan (leak detection on), against the same throw-away services:
# part of `make test`, like the end-to-end suites under ASan+UBSan and both under TSan.
unit-test-asan: deps $(NPM_STAMP)
	cmake --preset asan >/dev/null
	cmake --build --preset asan
	eval "$$(scripts/test-services.sh start $(TEST_SERVICES))" && \
	  (cd build/asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --timeout 300 -j2); \
	  status=$$?; scripts/test-services.sh stop $(TEST_SERVICES); exit $$status

# The end-to-end suites (one embedded instance; cluster*.test.mjs with two on PostgreSQL + Redis)
# against the ASan+UBSan binary: part of `make test`. A run fails when any Convene process printed
# a sanitizer report (leaks are reported at exit, after the tests passed), see
# tests/e2e/support/convene.mjs.
SANITIZER_REPORTS := $(CURDIR)/build/sanitizer-reports
SANITIZER_CHECK = if [ -d $(SANITIZER_REPORTS) ]; then \
	  echo "sanitizer reports in $(SANITIZER_REPORTS):"; head -n 80 $(SANITIZER_REPORTS)/*; exit 1; fi
# $(call sanitized-e2e,<preset>,<sanitizer options>): the end-to-end suites against build/<preset>.
define sanitized-e2e
	cmake --preset $(1) >/dev/null
	cmake --build --preset $(1) --target convene
	rm -rf $(SANITIZER_REPORTS)
	eval "$$(scripts/test-services.sh start $(TEST_SERVICES))" && \
	  $(2) CONVENE_SANITIZER_REPORTS=$(SANITIZER_REPORTS) \
	  CONVENE_BINARY=$(CURDIR)/build/$(1)/src/convene $(E2E_NODE) tests/e2e/; \
	  status=$$?; $(LIVEKIT_SERVER) stop-all $(LIVEKIT_RUNS); scripts/test-services.sh stop $(TEST_SERVICES); \
	  $(SANITIZER_CHECK); exit $$status
endef
e2e-test-asan: deps $(NPM_STAMP) livekit-server
	$(call sanitized-e2e,asan,ASAN_OPTIONS=detect_leaks=1)

# The whole suite again under sanitizers: unit tests, then the end-to-end suites against the
# instrumented binary (ASan+UBSan: memory errors, leaks, undefined behaviour; TSan: data races).
test-asan: unit-test-asan e2e-test-asan

# The unit tests again under TSan (data races), against the same throw-away services: part of
# `make test`.
unit-test-tsan: deps $(NPM_STAMP)
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan
	eval "$$(scripts/test-services.sh start $(TEST_SERVICES))" && \
	  (cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure --timeout 300 -j2); \
	  status=$$?; scripts/test-services.sh stop $(TEST_SERVICES); exit $$status

# The end-to-end suites against the TSan binary (data races; 5 min), failing on any report like
# e2e-test-asan: part of `make test`.
e2e-test-tsan: deps $(NPM_STAMP) livekit-server
	$(call sanitized-e2e,tsan,TSAN_OPTIONS=halt_on_error=1)

test-tsan: unit-test-tsan e2e-test-tsan

# Every libFuzzer target for FUZZ_SECONDS (default 20) on its seed corpus (clang-14).
FUZZ_SECONDS ?= 20
FUZZ_TARGETS := jwt twirp_response livekit_webhook request_inputs resp_reply
fuzz-smoke: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz --target $(patsubst %,fuzz_%,$(FUZZ_TARGETS))
	@set -o pipefail; for target in $(FUZZ_TARGETS); do \
	  corpus=build/fuzz/corpus/$$target; mkdir -p $$corpus; cp -n fuzz/corpus/$$target/* $$corpus/ 2>/dev/null; \
	  echo "fuzz_$$target: $(FUZZ_SECONDS)s"; \
	  build/fuzz/fuzz/fuzz_$$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$corpus 2>&1 | tail -n 3 || exit 1; \
	done

clean:
	rm -rf build

# ---- Proof harness (issue #6), each one command; not part of `make test` ----
.PHONY: crash-test soak scaling
# The crash-consistency suite for CRASH_ROUNDS SIGKILL rounds (make test runs 5).
CRASH_ROUNDS ?= 50
crash-test: build-debug $(NPM_STAMP)
	CRASH_ROUNDS=$(CRASH_ROUNDS) CONVENE_BINARY=$(CURDIR)/build/debug/src/convene \
	  node --test --test-concurrency=1 tests/e2e/crash-consistency.test.mjs

# SOAK_MINUTES (default 5) at ~80 % of measured capacity; fails on RSS/fd growth or any non-2xx.
soak: deps $(NPM_STAMP)
	./bench/soak.sh

# Cost per request as rooms, participants per room and same-name participants grow 10x per step.
scaling: deps $(NPM_STAMP)
	./bench/scaling.sh

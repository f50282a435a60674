# Convene — the two commands a newcomer needs:
#   make run    build (release) and start the server with the embedded store
#   make test   build (debug) and run every test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

DEPS_STAMP := build/.deps-installed
NPM_STAMP := build/.npm-installed

.PHONY: help deps build build-debug run test unit-test e2e-test emulator-test bench clean

help:
	@echo "make run    - install dependencies, build release, start Convene on :6080 (data in ./data)"
	@echo "make test   - install dependencies, build debug, run unit + emulator + end-to-end tests"
	@echo "make bench  - build release and run the HTTP benchmarks (wrk)"

$(DEPS_STAMP): scripts/install-deps.sh
	./scripts/install-deps.sh
	@mkdir -p build && touch $@

deps: $(DEPS_STAMP)

$(NPM_STAMP): tests/livekit-emulator/package-lock.json tests/e2e/package.json $(DEPS_STAMP)
	cd tests/livekit-emulator && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release --target convene

build-debug: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug

run: build
	MEET_INITIAL_API_KEY=$${MEET_INITIAL_API_KEY-meet-api-key} ./build/release/src/convene

# The LiveKit client's integration tests drive the emulator, so its npm packages come first.
unit-test: build-debug $(NPM_STAMP)
	cd build/debug && ctest --output-on-failure --timeout 120 -j2

emulator-test: $(NPM_STAMP)
	node --test --test-concurrency=1 tests/livekit-emulator/test/

e2e-test: build-debug $(NPM_STAMP)
	CONVENE_BINARY=$(CURDIR)/build/debug/src/convene node --test --test-concurrency=1 tests/e2e/

test: unit-test emulator-test e2e-test

bench: deps
	./bench/run.sh

clean:
	rm -rf build

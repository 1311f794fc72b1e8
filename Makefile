# strata's entry points for people and CI. `make demo` is the main job, `make check` the whole
# test suite (the README's two commands). Build folders: build/ (Release), build-asan/.

JOBS ?= $(shell nproc)
CMAKE ?= cmake
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
# ccache when present (install-deps.sh installs it): a rebuild of unchanged files is a cache hit.
LAUNCHER := $(shell command -v ccache >/dev/null 2>&1 && echo "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
# Unity builds (ten sources per compiler run): the heavy headers (CLI11, nlohmann-json, fmt,
# GoogleTest) are compiled once per batch instead of once per file, which cuts most of the CPU time
# of a cold build. `make UNITY=OFF ...` (in a fresh build folder) for one file per compiler run.
UNITY ?= ON
UNITY_FLAGS := -DCMAKE_UNITY_BUILD=$(UNITY) -DCMAKE_UNITY_BUILD_BATCH_SIZE=10

.PHONY: all deps build build-asan test test-asan check lint tidy demo bench fuzz clean

all: build

deps:
	./scripts/install-deps.sh

build/build.ninja build/Makefile:
	$(CMAKE) -S . -B build $(GENERATOR) $(LAUNCHER) $(UNITY_FLAGS) -DCMAKE_BUILD_TYPE=Release

build: deps build/build.ninja
	$(CMAKE) --build build -j $(JOBS)

build-asan: deps
	$(CMAKE) -S . -B build-asan $(GENERATOR) $(LAUNCHER) $(UNITY_FLAGS) -DCMAKE_BUILD_TYPE=Debug \
	  -DSTRATA_SANITIZE=ON
	$(CMAKE) --build build-asan -j $(JOBS)

test: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# The whole suite: Release build and tests, then the sanitizer build and tests, then lint.
check: test test-asan lint

lint:
	./scripts/check-includes.sh

# The main job: build, parse an example Dockerfile, run the store demo on a busybox image, then
# build strata's own base image and the examples with strata and run them.
demo: build
	./build/strata parse -f examples/hello/Dockerfile
	./build/strata parse --format json -f examples/hello/Dockerfile
	./examples/busybox/demo.sh ./build/strata
	./examples/build-demo.sh ./build/strata

# clang-tidy over the project's own sources (STYLE.md §2); slow, so not part of `check`.
tidy: build
	run-clang-tidy-14 -quiet -p build '^$(CURDIR)/(common|parser|store|runtime|builder|cli)/'

bench: build
	./bench/parse_bench.sh
	./bench/layer_bench.sh
	./bench/save_load_bench.sh
	./bench/run_bench.sh
	./bench/build_bench.sh
	./bench/registry_bench.sh

fuzz: deps
	CXX=clang++-14 $(CMAKE) -S . -B build-fuzz $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSTRATA_FUZZ=ON -DSTRATA_TESTS=ON
	$(CMAKE) --build build-fuzz -j $(JOBS) --target dockerfile_fuzz
	./build-fuzz/tests/fuzz/dockerfile_fuzz -max_total_time=$${FUZZ_SECONDS:-60} \
	  -max_len=4096 tests/fuzz/corpus/dockerfile

clean:
	rm -rf build build-asan build-fuzz

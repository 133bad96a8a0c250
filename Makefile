# Thin wrapper over CMake; see README.md.
BUILD      ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
MAKEFLAGS  += --no-print-directory
LISTEN     ?= 127.0.0.1:4566
DATA       ?= ./.slipway

.PHONY: all build run test bench fuzz format deps clean models

all: build

deps:
	@scripts/deps.sh

$(BUILD)/Makefile:
	@scripts/deps.sh
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLIPWAY_TESTS=OFF

build: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS) --target slipway

run: build
	$(BUILD)/slipway server --listen $(LISTEN) --data $(DATA)

test:
	@scripts/test.sh

bench: build
	@cmake --build $(BUILD) -j $(JOBS) --target bench_policy
	@bench/run.sh

fuzz:
	@scripts/fuzz.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

models:
	python3 scripts/strip_models.py models

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)

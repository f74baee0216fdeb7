# The two commands of the README, and a few helpers.
.PHONY: run test reset generate build bench screenshots fuzz instances faults

## run: the local stack (PostgreSQL, MinIO, API on 127.0.0.1:8080) with demo data; Ctrl-C stops it
run:
	@deploy/local/run.sh

## test: the whole test suite against a throwaway PostgreSQL and MinIO
test:
	@deploy/local/test.sh

## bench: every benchmark on one durable throwaway cluster, ROUNDS rounds (default 5), then the table
## of medians, ranges, ratios and aims (bench/all.sh; results in BENCHMARKS.md). E.g. make bench ROUNDS=3
ROUNDS ?= 5
bench:
	@ROUNDS=$(ROUNDS) bench/all.sh

## reset: delete the local stack's data (.data/); the next `make run` starts afresh
reset:
	rm -rf .data

## generate: regenerate openapi/openapi.gen.go after editing openapi/openapi.yaml
generate:
	cd openapi && go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml

## build: the whistle binary in bin/
build:
	go build -o bin/whistle ./backend/cmd/whistle

## screenshots: PNGs of the console's main pages (1366x768) into docs/screenshots/, from the
## browser test TestConsole_Screenshots on a throwaway stack
screenshots:
	@WHISTLE_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots deploy/local/test.sh -count=1 -run 'TestConsole_Screenshots' ./backend/api/

## fuzz: each fuzz target for FUZZTIME (default 60s), its new corpus entries kept in testdata/fuzz/
fuzz:
	@deploy/local/fuzz.sh

## instances: three API instances behind a proxy, one killed under load (TestInstances_BehindProxy)
instances:
	@deploy/local/test.sh -tags instances -count=1 -v -run 'TestInstances' ./backend/cmd/whistle/

## faults: SIGKILL the API (FAULTS_KILLS, default 200), restart PostgreSQL and MinIO (FAULTS_DEP_RESTARTS,
## default 20 each) and break connections through a proxy, all under `whistle simulate`; figures in RELIABILITY.md
faults:
	@deploy/local/faults.sh

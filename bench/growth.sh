#!/usr/bin/env bash
# Measures how cost grows with the session's size and with the memory store's
# population (size_test.go, population_test.go), COUNT rounds, and writes, in
# results/:
#   growth.txt             the raw `go test -bench` output
#   growth-benchstat.txt   benchstat's tables, the libraries side by side
#   growth.md              the medians, ratios and targets as Markdown, by ./cmd/growth
#   growth-size.svg        time per request by session size, by ./cmd/chart
#   growth-population.svg  time per request by store population, by ./cmd/chart
#
# Environment:
#   COUNT=6            rounds (benchstat wants at least 6 for its intervals)
#   SIZE_TIME=0.5s     -benchtime of each session-size benchmark
#   POP_TIME=1s        -benchtime of each population benchmark
#   BENCH=.            which benchmarks of a round (a pattern for -bench's first level)
#   QUIET=25 QUIET_WAIT=120   as run.sh: wait for a quiet machine before each benchmark
#
# The population benchmarks fill the store with up to 10^6 sessions per
# library (a few seconds, and about 300 MB of heap each); the benchmarks skip
# unless VISHNU_BENCH_GROWTH=1, which this script sets.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
COUNT=${COUNT:-6}
SIZE_TIME=${SIZE_TIME:-0.5s}
POP_TIME=${POP_TIME:-1s}
BENCH=${BENCH:-.}
QUIET=${QUIET:-25}
QUIET_WAIT=${QUIET_WAIT:-120}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@latest
export GOWORK=off VISHNU_BENCH_GROWTH=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=quiet.sh
source ./quiet.sh

core=$(git log -1 --format=%h -- ../core)
[[ -z $(git status --porcelain -- ../core) ]] || core+=" + uncommitted changes"
go test -c -o "$tmp/bench.test" .
mkdir -p results
{
	echo "vishnu-core: $core"
	echo "uptime: $(uptime)"
	for ((i = 1; i <= COUNT; i++)); do
		for b in SizeRead SizeWrite Population; do
			[[ $b =~ $BENCH ]] || continue
			t=$SIZE_TIME
			[[ $b == Population ]] && t=$POP_TIME
			quiet
			"$tmp/bench.test" -test.run='^$' -test.bench="^Benchmark$b\$" -test.benchmem \
				-test.benchtime="$t" -test.timeout=60m
		done
	done
} | tee results/growth.txt

go run "$BENCHSTAT" -table .name -col /lib results/growth.txt >results/growth-benchstat.txt
go run ./cmd/growth -in results/growth.txt >results/growth.md
go run "$BENCHSTAT" -filter '.name:(SizeRead OR SizeWrite)' -col /lib -format csv results/growth.txt >"$tmp/size.csv" 2>/dev/null
go run ./cmd/chart -in "$tmp/size.csv" -out results/growth-size.svg \
	-title "Time per request by session size: keys × bytes per value" \
	-subtitle "Median of the runs, log scale: shorter is faster. Read one key, or write one key, of a session held in each library's memory store."
go run "$BENCHSTAT" -filter '.name:Population' -col /lib -format csv results/growth.txt >"$tmp/pop.csv" 2>/dev/null
go run ./cmd/chart -in "$tmp/pop.csv" -out results/growth-population.svg \
	-title "Time per request by memory-store population" \
	-subtitle "Median of the runs, log scale: shorter is faster. Live sessions in the store while reads, writes and new sessions are served."
echo
cat results/growth.md

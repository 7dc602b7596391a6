#!/usr/bin/env bash
# Runs every benchmark of this module COUNT times and writes, in results/:
#   latest.txt            the raw `go test -bench` output
#   latest-benchstat.txt  benchstat's tables, one per scenario, the libraries side by side
#   latest-benchstat.csv  the same as CSV (one table, a row per scenario), for the chart
#   chart.svg             ns/op per scenario and library, drawn by ./cmd/chart
#   summary.md            the medians as a Markdown table (for README.md), by ./cmd/chart
# and prints the tables.
#
# Environment:
#   COUNT=10      runs of each benchmark (benchstat wants at least 6 for its intervals)
#   BENCH=.       which libraries (a pattern for the sub-benchmarks, like lib=vishnu)
#   QUIET=25      wait before each scenario until others keep the CPUs at most this % busy
#   QUIET_WAIT=120  ... but no longer than this many seconds
#   CORE_REV=rev  measure Vishnu's core as committed at rev (HEAD, a tag, a commit)
#                 instead of the working tree's core/
#
# The module is built alone (GOWORK=off), as its users get it. The core that was
# measured is recorded in latest.txt as the "vishnu-core" label.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
COUNT=${COUNT:-10}
BENCH=${BENCH:-.}
QUIET=${QUIET:-25}
QUIET_WAIT=${QUIET_WAIT:-120}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@latest
# One table per scenario; the libraries in this order, the baseline first.
COLS='/lib@(bare vishnu scs gorilla chi-bare vishnu-chi gin-bare gin vishnu-gin echo-bare echo vishnu-echo fiber vishnu-fiber)'
export GOWORK=off

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
modflags=()
if [[ -n ${CORE_REV:-} ]]; then
	git -C .. archive "$CORE_REV" core | tar -x -C "$tmp"
	cp go.mod "$tmp/bench.mod"
	cp go.sum "$tmp/bench.sum"
	go mod edit -modfile="$tmp/bench.mod" -replace="github.com/vishnu-go/vishnu/core=$tmp/core"
	modflags=(-modfile="$tmp/bench.mod")
	core="$(git log -1 --format=%h "$CORE_REV" -- ../core) (committed, at $CORE_REV)"
else
	core=$(git log -1 --format=%h -- ../core)
	if [[ -n $(git status --porcelain -- ../core) ]]; then
		core+=" + uncommitted changes"
	fi
fi

# shellcheck source=quiet.sh
source ./quiet.sh

# The test binary is built once. Each of COUNT rounds runs every scenario
# once, one after the other, after waiting for a quiet machine: the libraries
# of a scenario are measured side by side within seconds, so a slow spell of
# this shared machine hits all of them rather than a few runs of one (as
# -count=COUNT, which repeats each benchmark in a row, would).
go test "${modflags[@]}" -c -o "$tmp/bench.test" .
mapfile -t scenarios < <("$tmp/bench.test" -test.list='^Benchmark' | grep '^Benchmark')
mkdir -p results
{
	echo "vishnu-core: $core"
	for ((i = 1; i <= COUNT; i++)); do
		for sc in "${scenarios[@]}"; do
			quiet
			"$tmp/bench.test" -test.run='^$' -test.bench="^$sc\$/$BENCH" -test.benchmem -test.timeout=30m
		done
	done
} | tee results/latest.txt

go run "$BENCHSTAT" -table .name -col "$COLS" results/latest.txt >results/latest-benchstat.txt
go run "$BENCHSTAT" -col "$COLS" -format csv results/latest.txt >results/latest-benchstat.csv 2>/dev/null
go run ./cmd/chart -in results/latest-benchstat.csv -out results/chart.svg -md results/summary.md
echo
cat results/latest-benchstat.txt

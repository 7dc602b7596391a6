#!/usr/bin/env bash
# Runs every benchmark of this module and writes, in results/:
#   latest.txt            the raw `go test -bench` output
#   latest-benchstat.txt  benchstat's tables, one per scenario, the libraries side by side
#   latest-benchstat.csv  the same as CSV (one table, a row per scenario), for the chart
#   chart.svg             ns/op per scenario and library, drawn by ./cmd/chart
# and prints the tables.
#
# Environment:
#   COUNT=10      runs of each benchmark (benchstat wants at least 6 for its intervals)
#   BENCH=.       which benchmarks (a -bench pattern)
#   CORE_REV=rev  measure Vishnu's core as committed at rev (HEAD, a tag, a commit)
#                 instead of the working tree's core/
#
# The module is built alone (GOWORK=off), as its users get it. The core that was
# measured is recorded in latest.txt as the "vishnu-core" label.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
COUNT=${COUNT:-10}
BENCH=${BENCH:-.}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@latest
# One table per scenario; the libraries in this order, the baseline first.
COLS='/lib@(bare vishnu scs gorilla gin-bare gin echo-bare echo fiber)'
export GOWORK=off

modflags=()
if [[ -n ${CORE_REV:-} ]]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	git -C .. archive "$CORE_REV" core | tar -x -C "$tmp"
	cp go.mod "$tmp/bench.mod"
	cp go.sum "$tmp/bench.sum"
	go mod edit -modfile="$tmp/bench.mod" -replace="github.com/vishnu-go/vishnu/core=$tmp/core"
	modflags=(-modfile="$tmp/bench.mod")
	core="$(git rev-parse --short "$CORE_REV^{commit}") (committed)"
else
	core=$(git log -1 --format=%h -- ../core)
	if [[ -n $(git status --porcelain -- ../core) ]]; then
		core+=" + uncommitted changes"
	fi
fi

mkdir -p results
{
	echo "vishnu-core: $core"
	go test "${modflags[@]}" -run='^$' -bench="$BENCH" -benchmem -count="$COUNT" -timeout=60m
} | tee results/latest.txt

go run "$BENCHSTAT" -table .name -col "$COLS" results/latest.txt >results/latest-benchstat.txt
go run "$BENCHSTAT" -col "$COLS" -format csv results/latest.txt >results/latest-benchstat.csv 2>/dev/null
go run ./cmd/chart -in results/latest-benchstat.csv -out results/chart.svg
echo
cat results/latest-benchstat.txt

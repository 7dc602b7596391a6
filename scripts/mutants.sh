#!/usr/bin/env bash
# Mutation testing with gremlins (github.com/go-gremlins/gremlins v0.6.0), one module at a time.
# Usage: scripts/mutants.sh core adapters/gin ...   (paths relative to the repository root)
# MUTANTS_EXCLUDE, if set, is a file regexp passed to gremlins --exclude-files.
# gremlins tests a copy of the module in a temporary folder, where relative replace lines do not
# resolve, so each module is copied first with its sibling replaces made absolute.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gremlins=${GREMLINS:-$(command -v gremlins || echo "$(go env GOPATH)/bin/gremlins")}
export GOWORK=off
for mod in "$@"; do
	src="$root/$mod"
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
	trap 'exit 1' INT TERM
	cp -a "$src/." "$scratch/"
	# Rewrite every relative replace (=> ../x) to the absolute sibling path.
	while read -r path target; do
		go mod edit -replace="$path=$(cd "$src/$target" && pwd)" "$scratch/go.mod"
	done < <(awk '$0 ~ /=>/ { sub(/^replace[ \t]+/, ""); if ($3 ~ /^\./) print $1, $3 }' "$scratch/go.mod")
	flags=(--workers 2 --timeout-coefficient 5)
	[ -n "${MUTANTS_EXCLUDE:-}" ] && flags+=(--exclude-files "$MUTANTS_EXCLUDE")
	# Timeouts come from a first, uncached test run.
	(cd "$scratch" && go clean -testcache && "$gremlins" unleash "${flags[@]}" .) |
		tee "$scratch/gremlins.out"
	echo "== $mod"
	grep -E 'Test efficacy|Mutator coverage' "$scratch/gremlins.out"
	rm -rf "$scratch"
	trap - EXIT
done

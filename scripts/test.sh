#!/usr/bin/env bash
# The one test command of the repository: ./scripts/test.sh (from any folder).
# It installs the programs the tests need when they are missing
# (scripts/services.sh: redis-server, memcached, PostgreSQL, shellcheck, the
# Datastore emulator; the tests start their servers themselves), runs the lints
# (gofmt, shellcheck, actionlint, scripts/modtool), the offline install test
# (modtool install-test), then for every module of go.work runs go vet and
# staticcheck on it alone (GOWORK=off, as users get it), builds them all in the
# workspace, runs go test -race on each alone, two modules at a time, and gives
# every fuzz target a short run. It keeps going after a failure, prints a table
# of the steps with their wall times, and ends with the line
# "N passed, N failed" (steps), exiting non-zero if any failed.
#
# Options, all through the environment; the default runs everything:
#   VISHNU_MODULES="core stores/redis"  only these modules (folders as in go.work)
#   VISHNU_STEPS="services lint install test fuzz"  which steps to run
#   VISHNU_FULL=1         also run every benchmark once (-benchtime=100x), fuzz 60s each,
#                         and mutation testing of core and the adapters (scripts/mutants.sh)
#   VISHNU_FUZZTIME=5s    -fuzztime of each fuzz target
#   VISHNU_TEST_TIMEOUT=6m  -timeout of each module's go test
#   VISHNU_JOBS=2         modules whose go test runs at once
#   VISHNU_TEST_FLAGS="-v"  extra flags for go test
# The tests use a server named by VISHNU_REDIS_ADDR, VISHNU_REDIS_CLUSTER_ADDRS,
# VISHNU_MEMCACHE_ADDRS or DATASTORE_EMULATOR_HOST instead of starting one.
# With CI=true a lint that cannot run, or a server that cannot be had, fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
FULL=${VISHNU_FULL:-}
FUZZTIME=${VISHNU_FUZZTIME:-$([[ $FULL == 1 ]] && echo 60s || echo 5s)}
TEST_TIMEOUT=${VISHNU_TEST_TIMEOUT:-6m}
JOBS=${VISHNU_JOBS:-2}
read -ra TEST_FLAGS <<<"${VISHNU_TEST_FLAGS:-}"
STEPS=" ${VISHNU_STEPS:-services lint install test fuzz} "
STEPS=${STEPS//,/ }
want() { [[ $STEPS == *" $1 "* ]]; }
case ${1:-} in
"") ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
*) echo "test.sh takes no arguments (options are environment variables; see --help)" >&2 && exit 2 ;;
esac

ROWS=() PASSED=0 FAILED=0 NOTE=
row() { # name ok|FAIL seconds note
	ROWS+=("$(printf '%-48s %-6s %7s  %s' "$1" "$2" "$3" "${4:-}")")
	if [[ $2 == ok ]]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
	printf '==> %s: %s in %ss%s\n' "$1" "$2" "$3" "${4:+ ($4)}"
}
run() { printf '+ %s\n' "$*" && "$@"; }
step() { # name command...: a row with its result, time and NOTE
	local name=$1 t=$SECONDS
	shift
	printf '\n==> %s\n' "$name"
	NOTE=
	if "$@"; then row "$name" ok $((SECONDS - t)) "$NOTE"; else row "$name" FAIL $((SECONDS - t)) "$NOTE"; fi
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vishnu-test.XXXXXX")
# shellcheck disable=SC2046 # one job pid per word
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf -- "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The modules are the "use" lines of go.work, in its order.
mapfile -t ALL < <(go work edit -json | sed -n 's/^[[:space:]]*"DiskPath": "\.\/\(.*\)",\{0,1\}$/\1/p')
MODULES=()
mods=${VISHNU_MODULES:-${ALL[*]}}
for m in ${mods//,/ }; do
	m=${m#./} m=${m%/}
	if [[ " ${ALL[*]} " == *" $m "* ]]; then MODULES+=("$m"); else row "module $m" FAIL 0 "go.work does not use it"; fi
done

services() {
	local rc=0
	./scripts/services.sh 2>"$WORK/services.log" || rc=$?
	cat "$WORK/services.log"
	NOTE=$(sed -n 's/^services: missing: /missing: /p' "$WORK/services.log")
	return "$rc"
}
want services && step "services: install what is missing" services

TOOLS=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vishnu-tools/$(go env GOVERSION)-staticcheck-${STATICCHECK##*@}-actionlint-${ACTIONLINT##*@}
tools() {
	[[ -x $TOOLS/staticcheck && -x $TOOLS/actionlint ]] && NOTE="built before" && return 0
	GOWORK=off GOBIN=$TOOLS run go install "$STATICCHECK" && GOWORK=off GOBIN=$TOOLS run go install "$ACTIONLINT"
}
if want lint || want test; then step "tools: staticcheck, actionlint" tools; fi

lint_gofmt() {
	local out
	out=$(git ls-files -z -- '*.go' | xargs -0r gofmt -l) || return 1
	[[ -z $out ]] || { echo "not gofmt-formatted (fix with gofmt -w):" && echo "$out" && return 1; }
}
lint_shellcheck() {
	# A lint that did not run did not pass: the services step installs shellcheck.
	command -v shellcheck >/dev/null || { NOTE="shellcheck is not installed" && return 1; }
	run shellcheck -x scripts/*.sh .ci/run
}
lint_actionlint() {
	run "$TOOLS/actionlint" .github/workflows/*.yml
}
lint_modtool() {
	(cd scripts/modtool && GOWORK=off run go vet ./... && GOWORK=off run "$TOOLS/staticcheck" ./... && GOWORK=off run go test -count=1 ./...)
}
if want lint; then
	step "lint gofmt" lint_gofmt
	step "lint modtool (vet, staticcheck, test)" lint_modtool
	step "lint shellcheck" lint_shellcheck
	step "lint actionlint" lint_actionlint
fi

install_test() {
	(cd scripts/modtool && GOWORK=off go run . -root "$ROOT" install-test) 2>&1 | tee "$WORK/install.log"
	local rc=${PIPESTATUS[0]}
	NOTE=$(grep -m1 -o 'app: [^,]* at v[^ ]*' "$WORK/install.log" || true)
	return "$rc"
}
want install && step "install test (file:// proxy, go get as a user)" install_test

# go vet first: what it compiles is then in the build cache for staticcheck and
# go test, which runs with -vet=off since every analyzer has run.
vet() { (cd "$1" && GOWORK=off run go vet ./... && GOWORK=off run "$TOOLS/staticcheck" ./...); }
gotest() {
	(
		cd "$1" && GOWORK=off run go test -race -vet=off -count=1 -timeout="$TEST_TIMEOUT" "${TEST_FLAGS[@]}" ./... || exit 1
		[[ $FULL == 1 ]] || exit 0
		GOWORK=off run go test -count=1 -timeout="$TEST_TIMEOUT" -run='^$' -bench=. -benchtime=100x ./...
	)
}
declare -A JOB_MOD=() JOB_START=()
test_done() { # waits for one test job and records its row
	local pid rc=0 mod
	wait -n -p pid "${!JOB_MOD[@]}" || rc=$?
	mod=${JOB_MOD[$pid]}
	printf '\n==> test -race %s\n' "$mod" && cat "$WORK/test-${mod//\//_}.log"
	row "test -race $mod" "$( ((rc)) && echo FAIL || echo ok)" $((SECONDS - JOB_START[$pid])) "$JOBS modules at a time"
	unset "JOB_MOD[$pid]" "JOB_START[$pid]"
}
if want test; then
	for mod in "${MODULES[@]}"; do step "vet+staticcheck $mod" vet "$mod"; done
	pkgs=("${MODULES[@]/#/./}")
	step "build (workspace, ${#MODULES[@]} modules)" run go build -o /dev/null "${pkgs[@]/%//...}"
	for mod in "${MODULES[@]}"; do
		while ((${#JOB_MOD[@]} >= JOBS)); do test_done; done
		gotest "$mod" >"$WORK/test-${mod//\//_}.log" 2>&1 &
		JOB_MOD[$!]=$mod JOB_START[$!]=$SECONDS
	done
	while ((${#JOB_MOD[@]})); do test_done; done
fi

# A fuzz target fails on a failing input only, which go test writes under
# testdata/fuzz/<Name>/; a run stopped before its baseline pass over the cached
# corpus ended (a busy machine: "context deadline exceeded") found nothing.
fuzz() { # module package target
	(cd "$1" && GOWORK=off run go test -run='^$' -fuzz="^$3\$" -fuzztime="$FUZZTIME" "$2") 2>&1 | tee "$WORK/fuzz.log"
	((PIPESTATUS[0])) || return 0
	NOTE=$(grep -m1 -o 'Failing input written to .*' "$WORK/fuzz.log") && return 1
	grep -q 'context deadline exceeded' "$WORK/fuzz.log" && NOTE="stopped before its baseline pass ended" && return 0
	NOTE="go test -fuzz failed without a failing input: see its output above" && return 1
}
if want fuzz; then
	for mod in "${MODULES[@]}"; do
		# go test -list prints a package's matching targets, then its "ok" line.
		names=()
		while read -r word pkg _; do
			if [[ $word == Fuzz* ]]; then names+=("$word"); elif [[ $word == ok ]]; then
				for n in "${names[@]}"; do step "fuzz ${pkg#github.com/vishnu-go/vishnu/} $n ($FUZZTIME)" fuzz "$mod" "$pkg" "$n"; done
				names=()
			fi
		done < <(cd "$mod" && GOWORK=off go test -vet=off -list='^Fuzz' ./... 2>&1)
	done
fi

# Mutation testing, in the full mode only: gremlins runs each module's tests
# once per mutant. scripts/mutants.sh prints each module's efficacy and coverage.
GREMLINS_PKG=github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mutants() {
	[[ -x $TOOLS/gremlins ]] || GOWORK=off GOBIN=$TOOLS run go install "$GREMLINS_PKG" || return 1
	run env GREMLINS="$TOOLS/gremlins" scripts/mutants.sh core adapters/gin adapters/echo adapters/echov5 adapters/chi adapters/fiber
}
if [[ $FULL == 1 ]] && want test; then step "mutants (gremlins, core and adapters)" mutants; fi

printf '\n==> summary (%ss in all)\n%-48s %-6s %7s  %s\n' "$SECONDS" STEP RESULT SECONDS NOTE
printf '%s\n' "${ROWS[@]}"
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))

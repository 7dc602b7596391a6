#!/usr/bin/env bash
# The one test command of the repository: ./scripts/test.sh (from any folder).
# It installs the programs the tests need when they are missing
# (scripts/services.sh: redis-server, memcached, PostgreSQL, shellcheck, the
# Datastore emulator; the tests start their servers themselves), then runs its
# steps as jobs, VISHNU_JOBS at a time, the longest first (by the times of the
# last run, kept in the tools folder): the lints (gofmt, shellcheck,
# actionlint, scripts/modtool), the offline install test (modtool
# install-test), go vet and staticcheck on every module of go.work alone
# (GOWORK=off, as users get it), a build of them all in the workspace, go test
# -race on each module alone, and a short run of every fuzz target, one fuzz
# worker each. Each job's output is printed whole when it ends. It keeps going
# after a failure, prints a table of the steps with their wall times and the
# CPU time of their processes, and ends with the line "N passed, N failed"
# (steps), exiting non-zero if any failed.
#
# Options, all through the environment; the default runs everything:
#   VISHNU_MODULES="core stores/redis"  only these modules (folders as in go.work)
#   VISHNU_STEPS="services lint install test fuzz"  which steps to run
#   VISHNU_FULL=1         also run every benchmark once (-benchtime=100x), fuzz 60s each,
#                         and mutation testing of core and the adapters (scripts/mutants.sh)
#   VISHNU_FUZZTIME=5s    -fuzztime of each fuzz target
#   VISHNU_TEST_TIMEOUT=6m  -timeout of each module's go test
#   VISHNU_JOBS=3         steps that run at once
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
JOBS=${VISHNU_JOBS:-3}
read -ra TEST_FLAGS <<<"${VISHNU_TEST_FLAGS:-}"
STEPS=" ${VISHNU_STEPS:-services lint install test fuzz} "
STEPS=${STEPS//,/ }
want() { [[ $STEPS == *" $1 "* ]]; }
case ${1:-} in
"") ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
*) echo "test.sh takes no arguments (options are environment variables; see --help)" >&2 && exit 2 ;;
esac

ROWS=() PASSED=0 FAILED=0 NOTE='' TIMES=()
row() { # name ok|FAIL seconds cpu-seconds note
	ROWS+=("$(printf '%-48s %-6s %7s %7s  %s' "$1" "$2" "$3" "$4" "${5:-}")") TIMES+=("$3"$'\t'"$1")
	if [[ $2 == ok ]]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
	printf '==> %s: %s in %ss, %s CPU-seconds%s\n' "$1" "$2" "$3" "$4" "${5:+ ($5)}"
}
run() { printf '+ %s\n' "$*" && "$@"; }
cpu() { awk 'NR == 2 { split($1 $2, t, /[ms]/); printf "%d\n", t[1] * 60 + t[2] + t[3] * 60 + t[4] + .5 }'; }
# A step is a job: its output goes to a file, printed whole when it ends,
# with its result, wall time, the CPU time of its processes and its NOTE.
declare -A JOB_NAME=() JOB_START=() JOB_LOG=()
spawn() { # name command...: starts a step once fewer than JOBS run
	while ((${#JOB_NAME[@]} >= JOBS)); do reap; done
	local log=$WORK/job$((NJOB += 1))
	(
		NOTE='' rc=0
		"${@:2}" >"$log" 2>&1 || rc=$?
		printf '%s\n' "$NOTE" >"$log.note" && times >"$log.cpu"
		exit "$rc"
	) &
	JOB_NAME[$!]=$1 JOB_START[$!]=$SECONDS JOB_LOG[$!]=$log
}
reap() { # waits for one job and records its row
	local pid rc=0 log
	wait -n -p pid "${!JOB_NAME[@]}" || rc=$?
	log=${JOB_LOG[$pid]}
	printf '\n==> %s\n' "${JOB_NAME[$pid]}" && cat "$log"
	row "${JOB_NAME[$pid]}" "$( ((rc)) && echo FAIL || echo ok)" $((SECONDS - JOB_START[$pid])) "$(cpu <"$log.cpu")" "$(<"$log.note")"
	unset "JOB_NAME[$pid]" "JOB_START[$pid]" "JOB_LOG[$pid]"
}
drain() { while ((${#JOB_NAME[@]})); do reap; done; }
step() { spawn "$@" && drain; } # a step alone
NJOB=0 WORK=$(mktemp -d "${TMPDIR:-/tmp}/vishnu-test.XXXXXX")
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
	if [[ " ${ALL[*]} " == *" $m "* ]]; then MODULES+=("$m"); else row "module $m" FAIL 0 0 "go.work does not use it"; fi
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
install_test() {
	(cd scripts/modtool && GOWORK=off go run . -root "$ROOT" install-test) 2>&1 | tee "$WORK/install.log"
	local rc=${PIPESTATUS[0]}
	NOTE=$(grep -m1 -o 'app: [^,]* at v[^ ]*' "$WORK/install.log" || true)
	return "$rc"
}
# go test runs with -vet=off: the vet step has run every analyzer.
vet() { (cd "$1" && GOWORK=off run go vet ./... && GOWORK=off run "$TOOLS/staticcheck" ./...); }
gotest() {
	(
		cd "$1" && GOWORK=off run go test -race -vet=off -count=1 -timeout="$TEST_TIMEOUT" "${TEST_FLAGS[@]}" ./... || exit 1
		[[ $FULL == 1 ]] || exit 0
		GOWORK=off run go test -count=1 -timeout="$TEST_TIMEOUT" -run='^$' -bench=. -benchtime=100x ./...
	)
}
# A fuzz target fails on a failing input only, which go test writes under
# testdata/fuzz/<Name>/; a run stopped before its baseline pass over the cached
# corpus ended (a busy machine: "context deadline exceeded") found nothing.
# The first target of a package compiles its instrumented build; the others,
# waiting on the lock, then find it in the build cache.
fuzz() { # module package target
	local log=$WORK/fuzz-$BASHPID.log built=$WORK/fuzz-built-${1//\//_}-${2//\//_}
	(flock 9 && { [[ -e $built ]] || { cd "$1" && GOWORK=off go test -c -fuzz="^$3\$" -o /dev/null "$2" && touch "$built"; }; }) 9>"$built.lock"
	(cd "$1" && GOWORK=off run go test -run='^$' -fuzz="^$3\$" -fuzztime="$FUZZTIME" -parallel=1 "$2") 2>&1 | tee "$log"
	((PIPESTATUS[0])) || return 0
	NOTE=$(grep -m1 -o 'Failing input written to .*' "$log") && return 1
	grep -q 'context deadline exceeded' "$log" && NOTE="stopped before its baseline pass ended" && return 0
	NOTE="go test -fuzz failed without a failing input: see its output above" && return 1
}
# fuzz_targets prints "module package target" for each fuzz target of the
# modules: each func FuzzX(f *testing.F) of a test file, in the module whose
# folder is the nearest above it.
fuzz_targets() {
	local file fn dir mod m
	grep -rEo --include='*_test.go' --exclude-dir=testdata '^func Fuzz[A-Za-z0-9_]*\([A-Za-z0-9_]+ \*testing\.F\)' "${MODULES[@]}" | sort -u |
		while IFS=: read -r file fn; do
			dir=${file%/*} mod=
			for m in "${ALL[@]}"; do [[ $dir/ == "$m"/* && ${#m} -gt ${#mod} ]] && mod=$m; done
			[[ " ${MODULES[*]} " == *" $mod "* ]] && fn=${fn#func } && echo "$mod .${dir#"$mod"} ${fn%%(*}"
		done
}

# The steps after the tools, as "name<TAB>command", longest first by the
# last run's times (kept in the tools folder), else by those of a quiet run
# kept in scripts/step-seconds.tsv; a step timed by neither goes first.
QUEUE=() HISTORY=${TOOLS%/*}/step-seconds SEED=$ROOT/scripts/step-seconds.tsv
queue() { QUEUE+=("$1"$'\t'"${*:2}"); }
want install && queue "install test (file:// proxy, go get as a user)" install_test
if want lint; then
	queue "lint gofmt" lint_gofmt
	queue "lint modtool (vet, staticcheck, test)" lint_modtool
	queue "lint shellcheck" lint_shellcheck
	queue "lint actionlint" lint_actionlint
fi
if want test; then
	for mod in "${MODULES[@]}"; do queue "test -race $mod" gotest "$mod"; done
	for mod in "${MODULES[@]}"; do queue "vet+staticcheck $mod" vet "$mod"; done
	pkgs=("${MODULES[@]/#/./}")
	queue "build (workspace, ${#MODULES[@]} modules)" run go build -o /dev/null "${pkgs[@]/%//...}"
fi
if want fuzz; then
	while read -r mod pkg name; do
		queue "fuzz ${mod}${pkg#.} $name ($FUZZTIME)" fuzz "$mod" "$pkg" "$name"
	done < <(fuzz_targets)
fi
mapfile -t QUEUE < <(printf '%s\n' "${QUEUE[@]}" | awk -F'\t' -v s="$SEED" -v h="$HISTORY" '
	BEGIN { while ((getline l < s) > 0) { split(l, f, "\t"); t[f[2]] = f[1] }
		while ((getline l < h) > 0) { split(l, f, "\t"); t[f[2]] = f[1] } }
	NF { print ($1 in t ? t[$1] : 1e9) "\t" NR "\t" $0 }' | sort -t$'\t' -k1,1nr -k2,2n | cut -f3-)
for q in "${QUEUE[@]}"; do
	IFS=$'\t' read -r name cmd <<<"$q" && read -ra cmd <<<"$cmd"
	spawn "$name" "${cmd[@]}"
done
drain

# Mutation testing, in the full mode only: gremlins runs each module's tests
# once per mutant. scripts/mutants.sh prints each module's efficacy and coverage.
GREMLINS_PKG=github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mutants() {
	[[ -x $TOOLS/gremlins ]] || GOWORK=off GOBIN=$TOOLS run go install "$GREMLINS_PKG" || return 1
	run env GREMLINS="$TOOLS/gremlins" scripts/mutants.sh core adapters/gin adapters/echo adapters/echov5 adapters/chi adapters/fiber
}
if [[ $FULL == 1 ]] && want test; then step "mutants (gremlins, core and adapters)" mutants; fi

mkdir -p "${HISTORY%/*}" && { cat "$HISTORY" 2>/dev/null || true; printf '%s\n' "${TIMES[@]}"; } |
	awk -F'\t' 'NF == 2 { t[$2] = $1 } END { for (n in t) print t[n] "\t" n }' >"$WORK/history" && mv "$WORK/history" "$HISTORY"
times >"$WORK/times" # the CPU time of every process the steps waited for
printf '\n==> summary (%ss in all, %s CPU-seconds)\n%-48s %-6s %7s %7s  %s\n' "$SECONDS" "$(cpu <"$WORK/times")" STEP RESULT SECONDS CPU NOTE
printf '%s\n' "${ROWS[@]}"
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))

#!/usr/bin/env bash
# The one test command of the repository: ./scripts/test.sh (from any directory).
# It starts the services the tests need (scripts/services.sh: Redis, a Redis
# Cluster, memcached and the Datastore emulator, installed with apt when missing
# and stopped again at exit), lints (gofmt, shellcheck, actionlint), runs the
# offline install test (scripts/install-test.sh), then for every module listed in
# go.work runs go vet and staticcheck on it alone (GOWORK=off, as users get it),
# builds them all inside the workspace, runs go test -race on each alone, two
# modules at a time, then gives every fuzz
# target a short run. It keeps going after a failure, prints a table of the
# steps with their wall times, exits non-zero if any failed, and ends with the
# line "N passed, N failed" (steps).
#
# Options, all through the environment; the default runs everything:
#   VISHNU_MODULES="core stores/redis"  only these modules (folders as in go.work)
#   VISHNU_STEPS="services lint install test fuzz"  which steps to run
#   VISHNU_SKIP_FUZZ=1 / VISHNU_SKIP_LINT=1 / VISHNU_SKIP_SERVICES=1 / VISHNU_SKIP_INSTALL=1
#                                       drop one step
#   VISHNU_FULL=1                       also run every benchmark once (-benchtime=100x),
#                                       and fuzz each target for 60s
#   VISHNU_FUZZTIME=5s                  -fuzztime of each fuzz target
#   VISHNU_TEST_TIMEOUT=6m              -timeout of each module's go test
#   VISHNU_JOBS=2                       modules whose go test runs at once (1: one by one)
#   VISHNU_TEST_FLAGS="-v"              extra flags for go test
#   VISHNU_REDIS_ADDR, VISHNU_REDIS_CLUSTER_ADDRS, VISHNU_MEMCACHE_ADDRS,
#   DATASTORE_EMULATOR_HOST             use these servers instead of starting them
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/services.sh
source "$ROOT/scripts/services.sh"

ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
FULL=${VISHNU_FULL:-}
if [[ $FULL == 1 ]]; then
	FUZZTIME=${VISHNU_FUZZTIME:-60s}
else
	FUZZTIME=${VISHNU_FUZZTIME:-5s}
fi
TEST_TIMEOUT=${VISHNU_TEST_TIMEOUT:-6m}
read -ra TEST_FLAGS <<<"${VISHNU_TEST_FLAGS:-}"

case ${1:-} in
"") ;;
-h | --help)
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "test.sh takes no arguments (options are environment variables; see --help)" >&2
	exit 2
	;;
esac

STEPS=" ${VISHNU_STEPS:-services lint install test fuzz} "
STEPS=${STEPS//,/ }
[[ ${VISHNU_SKIP_FUZZ:-} == 1 ]] && STEPS=${STEPS// fuzz / }
[[ ${VISHNU_SKIP_LINT:-} == 1 ]] && STEPS=${STEPS// lint / }
[[ ${VISHNU_SKIP_SERVICES:-} == 1 ]] && STEPS=${STEPS// services / }
[[ ${VISHNU_SKIP_INSTALL:-} == 1 ]] && STEPS=${STEPS// install / }
want() { [[ $STEPS == *" $1 "* ]]; }

# ---- bookkeeping -------------------------------------------------------------
ROW_NAME=() ROW_RESULT=() ROW_SECS=() ROW_NOTE=()
PASSED=0 FAILED=0
RUN_START=$SECONDS

row() { # name result(ok|FAIL) seconds note
	ROW_NAME+=("$1") ROW_RESULT+=("$2") ROW_SECS+=("$3") ROW_NOTE+=("${4:-}")
	if [[ $2 == ok ]]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
	printf '==> %s: %s in %ss%s\n' "$1" "$2" "$3" "${4:+ ($4)}"
}

banner() { printf '\n==> %s\n' "$*"; }

# Runs a command, echoing it first; its output is passed through untouched.
run() {
	printf '+ %s\n' "$*"
	"$@"
}

# Runs a step: a name and a command; the row records its result and time.
step() { # name command...
	local name=$1 t=$SECONDS
	shift
	banner "$name"
	STEP_NOTE=
	if "$@"; then
		row "$name" ok $((SECONDS - t)) "$STEP_NOTE"
	else
		row "$name" FAIL $((SECONDS - t)) "$STEP_NOTE"
	fi
}

summary() {
	local i
	printf '\n==> summary (%ss in all)\n' $((SECONDS - RUN_START))
	printf '%-48s %-6s %7s  %s\n' STEP RESULT SECONDS NOTE
	for i in "${!ROW_NAME[@]}"; do
		printf '%-48s %-6s %7s  %s\n' "${ROW_NAME[$i]}" "${ROW_RESULT[$i]}" "${ROW_SECS[$i]}" "${ROW_NOTE[$i]}"
	done
	# The closing line this workplace's CI reads, alone on its line.
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
}

JOB_MOD=() JOB_START=() # test jobs running in the background, indexed by pid
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vishnu-test.XXXXXX")
# The linters, kept between runs per version of them and of Go.
TOOLS=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vishnu-tools/$(go env GOVERSION)-staticcheck-${STATICCHECK##*@}-actionlint-${ACTIONLINT##*@}

# Ends a process and its descendants, children first (a test job's go test and
# test binaries would otherwise outlive an interrupted run).
# shellcheck disable=SC2317 # called by on_exit
kill_tree() { # pid
	local child
	for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
	kill "$1" 2>/dev/null || true
}

# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	local rc=$? pid
	for pid in "${!JOB_MOD[@]}"; do kill_tree "$pid"; done
	vishnu_services_stop || true
	rm -rf -- "$WORK"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- modules -----------------------------------------------------------------
# The modules are the "use" lines of go.work, in its order.
ALL_MODULES=()
while IFS= read -r m; do
	m=${m#./}
	m=${m%/}
	ALL_MODULES+=("${m:-.}")
done < <(go work edit -json "$ROOT/go.work" | sed -n 's/^[[:space:]]*"DiskPath":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p')

MODULES=()
if [[ -n ${VISHNU_MODULES:-} ]]; then
	for m in ${VISHNU_MODULES//,/ }; do
		m=${m#./}
		m=${m%/}
		found=0
		for a in "${ALL_MODULES[@]}"; do [[ $a == "$m" ]] && found=1; done
		if ((found)); then
			MODULES+=("$m")
		else
			row "module $m" FAIL 0 "VISHNU_MODULES names a module that go.work does not use"
		fi
	done
else
	MODULES=("${ALL_MODULES[@]}")
fi

# ---- a. services -------------------------------------------------------------
# Only the services the chosen modules' graphs use (all of them by default).
services_needed() {
	local m s=()
	if [[ -z ${VISHNU_MODULES:-} ]]; then
		echo "redis memcached datastore"
		return
	fi
	for m in "${MODULES[@]}"; do
		[[ -f $ROOT/$m/go.mod ]] || continue
		grep -q 'github.com/redis/go-redis' "$ROOT/$m/go.mod" && s+=(redis)
		grep -q 'github.com/bradfitz/gomemcache' "$ROOT/$m/go.mod" && s+=(memcached)
		grep -q 'cloud.google.com/go/datastore' "$ROOT/$m/go.mod" && s+=(datastore)
	done
	printf '%s\n' "${s[@]}" | sort -u | paste -sd ' '
}

services_start() {
	local rc=0
	VISHNU_SERVICES_DIR=$WORK/services
	export VISHNU_SERVICES_DIR
	VISHNU_SERVICES=$(services_needed)
	if [[ -z $VISHNU_SERVICES ]]; then
		STEP_NOTE="none needed"
		return 0
	fi
	vishnu_services_start || rc=$?
	vishnu_services_env
	if ((rc == 2)); then
		STEP_NOTE="missing here: ${VS_MISSING[*]}; their tests skip"
		return 0
	fi
	STEP_NOTE=${VISHNU_SERVICES// /, }
	[[ -n ${VS_DATASTORE_PENDING:-} ]] && STEP_NOTE+="; the emulator is starting in the background"
	return "$rc"
}

services_wait() {
	vishnu_services_wait || return 1
	vishnu_services_env
}

if want services; then
	step services services_start
fi

# ---- b. tools ----------------------------------------------------------------
# Built once into a folder of their own, instead of a go run per module.
tools_build() {
	if [[ -x $TOOLS/staticcheck && -x $TOOLS/actionlint ]]; then
		STEP_NOTE="built before, in $TOOLS"
		return 0
	fi
	mkdir -p "$TOOLS"
	GOWORK=off GOBIN=$TOOLS run go install "$STATICCHECK" &&
		GOWORK=off GOBIN=$TOOLS run go install "$ACTIONLINT"
}
TOOLS_OK=0
if want lint || want test; then
	step "tools: staticcheck, actionlint" tools_build
	[[ -x $TOOLS/staticcheck && -x $TOOLS/actionlint ]] && TOOLS_OK=1
fi

# ---- c. lint -----------------------------------------------------------------
lint_gofmt() {
	local files=() f out
	if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Tracked files; testdata holds fixtures that may be malformed on purpose.
		while IFS= read -r -d '' f; do
			[[ -f $f && $f != testdata/* && $f != */testdata/* ]] && files+=("$f")
		done < <(git -C "$ROOT" ls-files -z -- '*.go')
	else
		while IFS= read -r -d '' f; do files+=("${f#./}"); done \
			< <(find . -name testdata -prune -o -name '*.go' -type f -print0)
	fi
	if ((${#files[@]} == 0)); then
		STEP_NOTE="no Go files"
		return 0
	fi
	out=$(gofmt -l "${files[@]}") || return 1
	if [[ -n $out ]]; then
		echo "gofmt -l lists files that are not gofmt-formatted (fix with gofmt -w):"
		echo "$out"
		return 1
	fi
	STEP_NOTE="${#files[@]} files"
}

lint_shellcheck() {
	local files=(scripts/*.sh .ci/run)
	if ! command -v shellcheck >/dev/null 2>&1; then
		STEP_NOTE="shellcheck is not installed: not run"
		echo "$STEP_NOTE (apt-get install shellcheck)"
		return 0
	fi
	run shellcheck -x "${files[@]}" && STEP_NOTE="${#files[@]} files"
}

lint_actionlint() {
	local files=()
	shopt -s nullglob
	files=(.github/workflows/*.yml .github/workflows/*.yaml)
	shopt -u nullglob
	if ((${#files[@]} == 0)); then
		STEP_NOTE="no workflow files"
		return 0
	fi
	((TOOLS_OK)) || return 1
	# actionlint runs shellcheck on the workflows' scripts when it finds it.
	run "$TOOLS/actionlint" "${files[@]}" && STEP_NOTE="${#files[@]} workflow files"
}

# The scripts' own Go module (outside go.work, so not among the modules below).
lint_modtool() {
	((TOOLS_OK)) || return 1
	(cd "$ROOT/scripts/modtool" && GOWORK=off run go vet ./... && GOWORK=off run "$TOOLS/staticcheck" ./... &&
		GOWORK=off run go test -count=1 ./...)
}

if want lint; then
	step "lint gofmt" lint_gofmt
	step "lint modtool (vet, staticcheck, test)" lint_modtool
	step "lint shellcheck" lint_shellcheck
	step "lint actionlint" lint_actionlint
fi

# ---- d. the offline install test ---------------------------------------------------
install_test() {
	local rc log=$WORK/install-test.log
	set +o pipefail
	"$ROOT/scripts/install-test.sh" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -o pipefail
	if ((rc)); then
		STEP_NOTE=$(sed -n 's/^install-test: FAIL: \(.*\)/\1/p' "$log" | tail -1)
	else
		STEP_NOTE=$(sed -n 's/^install-test: app: \([^,]*\) at .*/\1/p' "$log" | head -1)
	fi
	return "$rc"
}

if want install; then
	step "install test (file:// proxy, go get as a user)" install_test
fi

if want services && [[ -n ${VS_DATASTORE_PENDING:-} ]]; then
	step "services: Datastore emulator ready" services_wait
fi

# ---- e. vet, staticcheck, build, test ------------------------------------------
module_has_packages() { # dir
	local pkgs
	! pkgs=$(cd "$1" && GOWORK=off go list -e ./... 2>/dev/null) || [[ -n $pkgs ]]
}

# go vet first: the packages it compiles for export data are the ones the
# workspace build and staticcheck then find in the build cache. go test runs
# with -vet=off, since go vet has run every analyzer already.
module_vet() { # module
	(
		cd "$ROOT/$1" || exit 1
		rc=0
		GOWORK=off run go vet ./... || rc=1
		if ((TOOLS_OK)); then
			GOWORK=off run "$TOOLS/staticcheck" ./... || rc=1
		else
			echo "staticcheck was not built (see the tools step)"
			rc=1
		fi
		exit "$rc"
	)
}

# One go build of every chosen module inside the workspace: it proves go.work
# builds as a whole, and one invocation compiles shared packages once.
workspace_build() {
	local patterns=() m
	for m in "$@"; do patterns+=("./$m/..."); done
	# -o /dev/null: build every package, write no binary into the tree.
	(cd "$ROOT" && GOWORK=$ROOT/go.work run go build -o /dev/null "${patterns[@]}")
}

module_test() { # module
	local extra=()
	(
		cd "$ROOT/$1" || exit 1
		GOWORK=off run go test -race -vet=off -count=1 -timeout="$TEST_TIMEOUT" "${TEST_FLAGS[@]}" ./... || exit 1
		if [[ $FULL == 1 ]] && grep -rqs --include='*_test.go' '^func Benchmark' .; then
			# Every benchmark once, to prove it runs; bench/run.sh measures.
			extra=(-run='^$' -bench=. -benchtime=100x)
			GOWORK=off run go test -count=1 -timeout="$TEST_TIMEOUT" "${extra[@]}" ./... || exit 1
		fi
	)
}

# The tests of up to VISHNU_JOBS modules (2 by default) run at once: much of
# their time is spent waiting (expiry, timeouts, servers), not computing. Each
# module's output is printed whole when it ends. bash before 5.1 has no
# "wait -n -p": there they run one at a time.
JOBS=${VISHNU_JOBS:-2}
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then JOBS=1; fi

test_job_done() { # waits for one test job and records its row
	local pid rc=0 mod
	wait -n -p pid || rc=$?
	mod=${JOB_MOD[$pid]}
	banner "test -race $mod"
	cat "$WORK/test-${mod//\//_}.log"
	if ((rc == 0)); then
		row "test -race $mod" ok $((SECONDS - JOB_START[pid])) "$TEST_NOTE"
	else
		row "test -race $mod" FAIL $((SECONDS - JOB_START[pid])) "$TEST_NOTE"
	fi
	unset "JOB_MOD[$pid]" "JOB_START[$pid]"
}

if want test; then
	TESTED=()
	for mod in "${MODULES[@]}"; do
		if [[ ! -f $ROOT/$mod/go.mod ]]; then
			row "module $mod" FAIL 0 "$mod/go.mod is missing"
			continue
		fi
		if ! module_has_packages "$ROOT/$mod"; then
			row "module $mod" ok 0 "no Go packages yet"
			continue
		fi
		step "vet+staticcheck $mod" module_vet "$mod"
		TESTED+=("$mod")
	done
	if ((${#TESTED[@]})); then
		step "build (workspace, ${#TESTED[@]} modules)" workspace_build "${TESTED[@]}"
	fi
	TEST_NOTE=
	((JOBS > 1 && ${#TESTED[@]} > 1)) && TEST_NOTE="$JOBS modules at a time"
	for mod in "${TESTED[@]}"; do
		if ((JOBS <= 1)); then
			step "test -race $mod" module_test "$mod"
			continue
		fi
		while ((${#JOB_MOD[@]} >= JOBS)); do test_job_done; done
		printf '\n==> test -race %s: started\n' "$mod"
		module_test "$mod" >"$WORK/test-${mod//\//_}.log" 2>&1 &
		JOB_MOD[$!]=$mod
		JOB_START[$!]=$SECONDS
	done
	while ((${#JOB_MOD[@]})); do test_job_done; done
fi

# ---- f. fuzz -----------------------------------------------------------------
# Prints "pkgdir FuzzName" for every fuzz target of a module: each
# "func FuzzXxx(f *testing.F)" in its *_test.go files, leaving out testdata, vendor,
# hidden and _-prefixed folders and nested modules (folders with their own go.mod).
fuzz_targets() { # module
	local dir=$ROOT/$1 file rel d nested
	(
		cd "$dir" || exit 1
		find . \( -type d \( -name testdata -o -name vendor -o -name '.?*' -o -name '_*' \) -prune \) \
			-o \( -type f -name '*_test.go' -print \) | sort |
			while IFS= read -r file; do
				rel=$(dirname "${file#./}")
				nested=0 d=$rel
				while [[ $d != . ]]; do
					[[ -f $d/go.mod ]] && nested=1
					d=$(dirname "$d")
				done
				((nested)) && continue
				grep -E '^func Fuzz[A-Za-z0-9_]*\([A-Za-z_][A-Za-z0-9_]* \*testing\.F\)' "$file" |
					sed -E "s#^func (Fuzz[A-Za-z0-9_]*)\(.*#$rel \1#" || true
			done | sort -u
	)
}

# One fuzz target: its seeds and saved inputs as plain tests first (which also
# builds the package, so the fuzzing's own baseline starts sooner), then a short
# fuzz run. Fails only on a real failing input, and names it: one of the saved
# inputs, or the new file go test writes under testdata/fuzz/<Name>/. A run that
# the engine stops with "context deadline exceeded" before its baseline pass
# over the cached corpus is done (a busy machine) found nothing: not a failure.
fuzz_one() { # module pkg name
	local mod=$1 pkg=$2 name=$3 dir corpus log before after new written rc where
	dir=$ROOT/$mod/$pkg
	corpus=$dir/testdata/fuzz/$name
	log=$WORK/fuzz-$name.log
	(cd "$ROOT/$mod" && GOWORK=off run go test -count=1 -run="^$name\$" "./$pkg") >"$log" 2>&1
	rc=$?
	cat "$log"
	if ((rc)); then
		STEP_NOTE="a seed or saved input fails: $(grep -oE -- "--- FAIL: $name/[^ ]+" "$log" | sed 's/--- FAIL: //' | sort -u | paste -sd ' ')"
		return 1
	fi
	before=$(ls -1 "$corpus" 2>/dev/null || true)
	set +o pipefail
	(cd "$ROOT/$mod" && GOWORK=off run go test -run='^$' -fuzz="^$name\$" -fuzztime="$FUZZTIME" "./$pkg") 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -o pipefail
	((rc == 0)) && return 0
	after=$(ls -1 "$corpus" 2>/dev/null || true)
	new=$(comm -13 <(sort <<<"$before") <(sort <<<"$after") | sed '/^$/d' | head -1)
	written=$(sed -n 's/.*Failing input written to \([^ ]*\).*/\1/p' "$log" | head -1)
	if [[ -n $new || -n $written ]]; then
		[[ -n $new ]] || new=$(basename "$written")
		where=$mod
		[[ $pkg == . ]] || where+=/$pkg
		STEP_NOTE="failing input $where/testdata/fuzz/$name/$new; rerun: cd $mod && go test -run=$name/$new ./$pkg"
		return 1
	fi
	if grep -q 'context deadline exceeded' "$log"; then
		STEP_NOTE="stopped before its baseline pass ended (busy machine), no failing input"
		return 0
	fi
	STEP_NOTE="go test -fuzz failed without a failing input: see its output above"
	return 1
}

if want fuzz; then
	for mod in "${MODULES[@]}"; do
		[[ -f $ROOT/$mod/go.mod ]] || continue
		while read -r pkg name; do
			[[ -n $name ]] || continue
			label=$mod
			[[ $pkg == . ]] || label=$mod/$pkg
			step "fuzz $label $name ($FUZZTIME)" fuzz_one "$mod" "$pkg" "$name"
		done < <(fuzz_targets "$mod")
	done
fi

if want services; then
	banner "services: stopping what this run started"
	vishnu_services_stop || true
fi
summary
((FAILED == 0))

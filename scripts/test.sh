#!/usr/bin/env bash
# The one test command of the repository: ./scripts/test.sh (from any directory).
# It starts the services the tests need (scripts/services.sh; stopped again at exit),
# lints (gofmt, actionlint), then for every module listed in go.work runs go vet,
# staticcheck and go test -race on it alone (GOWORK=off, so each module is proven to
# build without the workspace, as users get it) and builds it inside the workspace,
# then gives every fuzz target a short run. It keeps going after a failure, prints
# a summary table, and exits non-zero if any step failed.
#
# Options, all through the environment; the default runs everything:
#   VISHNU_MODULES="core stores/redis"  only these modules (folders as in go.work)
#   VISHNU_STEPS="services lint test fuzz"  which steps to run
#   VISHNU_SKIP_FUZZ=1 / VISHNU_SKIP_LINT=1 / VISHNU_SKIP_SERVICES=1  drop one step
#   VISHNU_FUZZTIME=10s                 -fuzztime of each fuzz target
#   VISHNU_TEST_FLAGS="-v"              extra flags for go test
#   VISHNU_REDIS_ADDR, VISHNU_REDIS_CLUSTER_ADDRS, VISHNU_MEMCACHE_ADDRS
#                                       use these servers instead of starting them
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/services.sh
source "$ROOT/scripts/services.sh"

ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME=${VISHNU_FUZZTIME:-10s}
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

STEPS=" ${VISHNU_STEPS:-services lint test fuzz} "
STEPS=${STEPS//,/ }
[[ ${VISHNU_SKIP_FUZZ:-} == 1 ]] && STEPS=${STEPS// fuzz / }
[[ ${VISHNU_SKIP_LINT:-} == 1 ]] && STEPS=${STEPS// lint / }
[[ ${VISHNU_SKIP_SERVICES:-} == 1 ]] && STEPS=${STEPS// services / }
want() { [[ $STEPS == *" $1 "* ]]; }

# ---- bookkeeping -------------------------------------------------------------
ROW_NAME=() ROW_RESULT=() ROW_SECS=() ROW_NOTE=()
FAILED=0
RUN_START=$SECONDS

row() { # name result(ok|FAIL) seconds note
	ROW_NAME+=("$1") ROW_RESULT+=("$2") ROW_SECS+=("$3") ROW_NOTE+=("${4:-}")
	[[ $2 == ok ]] || FAILED=1
}

banner() { printf '\n==> %s\n' "$*"; }

# Runs a command, echoing it first; its output is passed through untouched.
run() {
	printf '+ %s\n' "$*"
	"$@"
}

summary() {
	local i
	printf '\n==> summary (%ss in all)\n' $((SECONDS - RUN_START))
	printf '%-44s %-6s %7s  %s\n' STEP RESULT SECONDS NOTE
	for i in "${!ROW_NAME[@]}"; do
		printf '%-44s %-6s %7s  %s\n' "${ROW_NAME[$i]}" "${ROW_RESULT[$i]}" "${ROW_SECS[$i]}" "${ROW_NOTE[$i]}"
	done
	if ((FAILED)); then
		echo "test.sh: FAILED"
	else
		echo "test.sh: all steps ok"
	fi
}

# ---- a. services -------------------------------------------------------------
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	local rc=$?
	vishnu_services_stop || true
	exit "$rc"
}

if want services; then
	banner "services"
	VISHNU_SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vishnu-services.XXXXXX")
	export VISHNU_SERVICES_DIR
	trap on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	t=$SECONDS
	if vishnu_services_start; then
		row services ok $((SECONDS - t))
	else
		row services FAIL $((SECONDS - t)) "see the services: lines above"
	fi
	vishnu_services_env
fi

# ---- b. lint -----------------------------------------------------------------
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
		echo "no Go files"
		return 0
	fi
	out=$(gofmt -l "${files[@]}") || return 1
	if [[ -n $out ]]; then
		echo "gofmt -l lists files that are not gofmt-formatted (fix with gofmt -w):"
		echo "$out"
		return 1
	fi
	echo "gofmt: ${#files[@]} files formatted"
}

lint_actionlint() {
	local files=()
	shopt -s nullglob
	files=(.github/workflows/*.yml .github/workflows/*.yaml)
	shopt -u nullglob
	if ((${#files[@]} == 0)); then
		echo "no workflow files"
		return 0
	fi
	GOWORK=off run go run "$ACTIONLINT" "${files[@]}" && echo "actionlint: ${#files[@]} workflow files ok"
}

if want lint; then
	banner "lint: gofmt"
	t=$SECONDS
	if lint_gofmt; then row "lint gofmt" ok $((SECONDS - t)); else row "lint gofmt" FAIL $((SECONDS - t)); fi
	banner "lint: actionlint"
	t=$SECONDS
	if lint_actionlint; then row "lint actionlint" ok $((SECONDS - t)); else row "lint actionlint" FAIL $((SECONDS - t)); fi
fi

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

# ---- c. vet, test, build -----------------------------------------------------
test_module() { # module; returns 0 ok, 1 failed, 2 no packages
	local mod=$1 dir=$ROOT/$1 pkgs ok=0
	if [[ ! -f $dir/go.mod ]]; then
		echo "$mod/go.mod is missing"
		return 1
	fi
	cd "$dir" || return 1
	if pkgs=$(GOWORK=off go list -e ./... 2>/dev/null) && [[ -z $pkgs ]]; then
		echo "$mod has no Go packages yet"
		cd "$ROOT"
		return 2
	fi
	GOWORK=off run go vet ./... || ok=1
	GOWORK=off run go run "$STATICCHECK" ./... || ok=1
	GOWORK=off run go test -race -count=1 "${TEST_FLAGS[@]}" ./... || ok=1
	# -o /dev/null: build every package, write no binary into the tree.
	GOWORK=$ROOT/go.work run go build -o /dev/null ./... || ok=1
	cd "$ROOT"
	return "$ok"
}

if want test; then
	for mod in "${MODULES[@]}"; do
		banner "module $mod: go vet, go test -race (GOWORK=off), go build (workspace)"
		t=$SECONDS
		rc=0
		test_module "$mod" || rc=$?
		case $rc in
		0) row "module $mod" ok $((SECONDS - t)) ;;
		2) row "module $mod" ok $((SECONDS - t)) "no Go packages yet" ;;
		*) row "module $mod" FAIL $((SECONDS - t)) ;;
		esac
	done
fi

# ---- d. fuzz -----------------------------------------------------------------
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

if want fuzz; then
	for mod in "${MODULES[@]}"; do
		[[ -f $ROOT/$mod/go.mod ]] || continue
		while read -r pkg name; do
			[[ -n $name ]] || continue
			label=$mod
			[[ $pkg == . ]] || label=$mod/$pkg
			banner "fuzz $label $name for $FUZZTIME"
			t=$SECONDS
			if (cd "$ROOT/$mod" && GOWORK=off run go test -run='^$' -fuzz="^$name\$" -fuzztime="$FUZZTIME" "./$pkg"); then
				row "fuzz $label $name" ok $((SECONDS - t))
			else
				row "fuzz $label $name" FAIL $((SECONDS - t)) "failing input saved in $label/testdata/fuzz/$name"
			fi
		done < <(fuzz_targets "$mod")
	done
fi

if want services; then
	banner "services: stopping what this run started"
	vishnu_services_stop || true
fi
summary
exit "$FAILED"

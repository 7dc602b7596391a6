#!/usr/bin/env bash
# Cuts a release of every library module at one commit (see RELEASING.md):
#
#   scripts/release.sh [-n] vX.Y.Z
#
#  1. sets every requirement of one module of go.work on another (libraries,
#     examples and bench alike) to vX.Y.Z, with go mod edit; the replace lines
#     to the sibling folders stay, for GOWORK=off runs inside the repository;
#  2. runs the checks: ./scripts/test.sh, which builds and tests every module
#     and installs the libraries from a file:// proxy at vX.Y.Z as a user would
#     (VISHNU_RELEASE_CHECK="command" replaces it, e.g. for a trial run);
#  3. commits the go.mod files it changed ("release vX.Y.Z");
#  4. tags that commit <folder>/vX.Y.Z for every library module (core,
#     conformance, stores/*, adapters/*, found from go.work) and for internal,
#     which the stores' tests require, in dependency order: core/vX.Y.Z first;
#  5. prints the git push line; pushing is left to you.
#
# -n prints what it would do and changes nothing. It refuses to run with
# uncommitted changes to tracked files, or when one of the tags exists.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

usage() {
	echo "usage: $0 [-n] vX.Y.Z" >&2
	exit 2
}

DRY=0
case ${1:-} in
-n | --dry-run)
	DRY=1
	shift
	;;
-h | --help)
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
esac
(($# == 1)) || usage
VERSION=$1
# A release version: no pre-release or build suffix, never the v0.0.0 placeholder.
if [[ ! $VERSION =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] || [[ $VERSION == v0.0.0 ]]; then
	echo "release: $VERSION is not a release version like v0.2.0" >&2
	exit 2
fi
if [[ ${BASH_REMATCH[1]} != 0 ]] && [[ ${BASH_REMATCH[1]} != 1 ]]; then
	echo "release: v${BASH_REMATCH[1]} needs a /v${BASH_REMATCH[1]} suffix on every module path first" >&2
	exit 2
fi

say() { printf 'release: %s\n' "$*"; }
# Prints a command; runs it unless this is a dry run.
act() {
	local line
	line=$(printf '%q ' "$@")
	if ((DRY)); then
		printf 'would run: %s\n' "${line% }"
	else
		printf '+ %s\n' "${line% }"
		"$@"
	fi
}

modtool() { (cd "$ROOT/scripts/modtool" && GOWORK=off go run . -root "$ROOT" "$@"); }

if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
	if ((DRY)); then
		say "note: there are uncommitted changes to tracked files; a real run refuses to start"
	else
		echo "release: commit or set aside the changes to tracked files first:" >&2
		git status --short --untracked-files=no >&2
		exit 1
	fi
fi

LIBS=() # published module folders, in dependency order
while read -r dir _ kind; do
	[[ $kind == lib || $kind == support ]] && LIBS+=("$dir")
done < <(modtool modules)
((${#LIBS[@]})) || {
	echo "release: go.work lists no library module" >&2
	exit 1
}

TAGS=()
for dir in "${LIBS[@]}"; do
	tag=$dir/$VERSION
	if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
		echo "release: tag $tag exists already" >&2
		exit 1
	fi
	TAGS+=("$tag")
done

# 1. requirements
say "1. every sibling requirement to $VERSION"
CHANGED=()
while read -r dir path version; do
	[[ $version == "$VERSION" ]] && continue
	act go -C "$ROOT/$dir" mod edit -require="$path@$VERSION"
	[[ " ${CHANGED[*]} " == *" $dir/go.mod "* ]] || CHANGED+=("$dir/go.mod")
done < <(modtool requirements)
((${#CHANGED[@]})) || say "every requirement is at $VERSION already"

# 2. checks
say "2. checks"
read -ra CHECK <<<"${VISHNU_RELEASE_CHECK:-./scripts/test.sh}"
act env CI=true "${CHECK[@]}"

# 3. commit
say "3. commit"
if ((${#CHANGED[@]})); then
	act git commit -m "release $VERSION: every module requires its siblings at $VERSION" -- "${CHANGED[@]}"
else
	say "nothing to commit; the tags go on HEAD"
fi

# 4. tags, in dependency order
say "4. tags at $(if ((DRY)); then echo "the release commit"; else git rev-parse --short HEAD; fi), in dependency order"
for tag in "${TAGS[@]}"; do
	act git tag -a "$tag" -m "${tag%/*} $VERSION"
done

# 5. push
say "5. to publish, push the commit and the tags (the go command finds them by the tags):"
echo "  git push origin HEAD ${TAGS[*]}"

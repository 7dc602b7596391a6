#!/usr/bin/env bash
# The offline install test: follows the README's pre-release recipe on a clone
# of this repository's committed HEAD, then installs the library modules of this
# working tree from a file:// module proxy as a user would (see scripts/modtool,
# install-test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/modtool"
GOWORK=off exec go run . -root ../.. install-test "$@"

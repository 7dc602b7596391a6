#!/usr/bin/env bash
# The offline install test: installs the library modules of this working tree
# from a file:// module proxy as a user would (see scripts/modtool, install-test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/modtool"
GOWORK=off exec go run . -root ../.. install-test "$@"

#!/usr/bin/env bash
# Installs the programs the tests and lints need that the go command does not
# bring: redis-server, memcached, PostgreSQL, shellcheck, Chromium, Node.js
# and npm (the browser tests drive Chromium with playwright-core), and the Cloud
# Datastore emulator (google-cloud-cli-datastore-emulator, when an apt source
# offers it: Google's Cloud SDK source; Debian has none). The tests start their
# servers themselves, on free ports (internal/testserver), so the packages' own
# daemons are stopped and disabled again. Only what is missing is installed,
# as root or through sudo without a password. Prints what is still missing;
# exits 1 then when CI=true (the tests that need it fail there, and skip
# elsewhere).
set -euo pipefail

EMULATOR=google-cloud-cli-datastore-emulator
log() { printf 'services: %s\n' "$*" >&2; }
has() { command -v "$1" >/dev/null 2>&1; }
has_postgres() { has postgres || compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }
has_emulator() { has cloud_datastore_emulator || dpkg -L "$EMULATOR" 2>/dev/null | grep -q '/cloud_datastore_emulator$'; }
offered() { [[ $(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p') =~ ^[0-9] ]]; }
as_root() {
	if ((EUID == 0)); then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi
}

missing() {
	MISSING=()
	has redis-server || MISSING+=(redis-server)
	has memcached || MISSING+=(memcached)
	has shellcheck || MISSING+=(shellcheck)
	has chromium || MISSING+=(chromium)
	has node || MISSING+=(nodejs)
	has npm || MISSING+=(npm)
	has_postgres || MISSING+=(postgresql)
	has_emulator || MISSING+=("$EMULATOR")
}

missing
PKGS=() DAEMONS=()
for p in "${MISSING[@]}"; do
	if [[ $p == "$EMULATOR" ]] && ! offered "$p"; then
		log "$EMULATOR: no apt source offers it (Google's Cloud SDK apt source does)"
		continue
	fi
	PKGS+=("$p")
	[[ $p == redis-server || $p == memcached || $p == postgresql ]] && DAEMONS+=("$p")
done
if ((${#PKGS[@]})) && has apt-get && as_root true 2>/dev/null; then
	log "installing ${PKGS[*]} with apt-get"
	apt=(env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
	if ! { as_root "${apt[@]}" update && as_root "${apt[@]}" install -y --no-install-recommends "${PKGS[@]}"; } >/dev/null; then
		log "apt-get install ${PKGS[*]} failed"
	fi
	for d in "${DAEMONS[@]}"; do
		if [[ -d /run/systemd/system ]]; then as_root systemctl disable --now "$d"; else as_root service "$d" stop; fi >/dev/null 2>&1 || true
	done
	hash -r
	missing
elif ((${#PKGS[@]})); then
	log "cannot install ${PKGS[*]} here: needs apt-get and root, or sudo without a password"
fi
if ((${#MISSING[@]})); then
	log "missing: ${MISSING[*]}"
	[[ ${CI:-} != true ]]
fi

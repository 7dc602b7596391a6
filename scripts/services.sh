#!/usr/bin/env bash
# Test services for Vishnu, the one way they are started (here, in CI and on a
# laptop): makes sure the servers the tests talk to are running — Redis
# standalone, a three-master Redis Cluster, three memcached nodes and the Cloud
# Datastore emulator, all on loopback — installing what is missing with apt when
# it can, and stops again only what it started itself. The tests find them through
#   VISHNU_REDIS_ADDR          (default 127.0.0.1:6379)
#   VISHNU_REDIS_CLUSTER_ADDRS (three cluster masters, comma-separated host:port)
#   VISHNU_MEMCACHE_ADDRS      (three memcached nodes, comma-separated host:port)
#   DATASTORE_EMULATOR_HOST    (host:port of the emulator, as the official client reads it)
# A variable the caller has already set is used as given, and nothing is started
# for it. Tests that must kill a server (fault tests) start their own on their
# own ports; redis-server and memcached are put on PATH for them. memcached runs
# as "nobody" when started by root, here and in those tests alike.
#
# Installing: as root (or with sudo that needs no password) on Debian, one
# apt-get update and one apt-get install of what is missing (redis-server,
# memcached, and google-cloud-cli-datastore-emulator when an apt source offers
# it), with a policy-rc.d that keeps the packages' own daemons from starting and
# that is removed again even when the run is interrupted. Without apt (a laptop),
# missing servers are reported and their tests skip; with CI=true they fail.
#
# scripts/test.sh sources this file: vishnu_services_start (the emulator is
# started in the background), vishnu_services_wait (waits for it), and
# vishnu_services_stop at exit. It also works on its own, to keep the services
# up across several test runs:
#   eval "$(scripts/services.sh start)"   # start them and export the addresses
#   scripts/services.sh status
#   scripts/services.sh stop
#
# What was started is listed in "$VISHNU_SERVICES_DIR/started", which also holds
# pid files, logs and the cluster's node files; stop reads it and removes the
# directory. VISHNU_SERVICES="redis memcached datastore" limits what is started.

VISHNU_CLUSTER_BASE_PORT=${VISHNU_CLUSTER_BASE_PORT:-7101}
VISHNU_MEMCACHE_BASE_PORT=${VISHNU_MEMCACHE_BASE_PORT:-11311}
VISHNU_DATASTORE_BASE_PORT=${VISHNU_DATASTORE_BASE_PORT:-8481}
VISHNU_SERVICE_NODES=3
VISHNU_STANDALONE_REDIS_PORT=${VISHNU_STANDALONE_REDIS_PORT:-6379} # overridable only to test this script
VS_DATASTORE_PACKAGE=google-cloud-cli-datastore-emulator
VS_POLICY=/usr/sbin/policy-rc.d
VS_POLICY_MARK='# temporary: written by vishnu scripts/services.sh during apt-get install'

vs_log() { printf 'services: %s\n' "$*" >&2; }

vs_want() { [[ " ${VISHNU_SERVICES:-redis memcached datastore} " == *" $1 "* ]]; }

# Runs a command as root: directly when we are root, else through sudo when it
# needs no password (a test run never stops to ask for one).
vs_root() {
	if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		return 1
	fi
}

vs_can_install() {
	command -v apt-get >/dev/null 2>&1 && vs_root true 2>/dev/null
}

# Removes policy-rc.d if this script wrote it (now or in a run that was killed).
vs_policy_remove() {
	if [[ -f $VS_POLICY ]] && grep -qxF "$VS_POLICY_MARK" "$VS_POLICY" 2>/dev/null; then
		vs_root rm -f "$VS_POLICY" || vs_log "could not remove $VS_POLICY; remove it by hand"
	fi
}

# Installs Debian packages without letting their maintainer scripts start
# daemons: the packaged memcached would otherwise sit on 11211 long after the
# run. policy-rc.d lives only inside the subshell, whose EXIT trap removes it
# whatever ends the subshell (an error, Ctrl-C, a TERM from a CI timeout).
vs_apt_install() {
	vs_log "installing $* with apt-get"
	(
		trap vs_policy_remove EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'exit 129' HUP
		local apt_opts=(-qq -o DPkg::Lock::Timeout=300) try updated=0
		vs_policy_remove # one left behind by a run that was killed outright
		if [[ ! -e $VS_POLICY ]]; then
			printf '#!/bin/sh\n%s\nexit 101\n' "$VS_POLICY_MARK" | vs_root tee "$VS_POLICY" >/dev/null &&
				vs_root chmod 755 "$VS_POLICY"
		fi
		for try in 1 2 3; do
			if vs_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >/dev/null; then
				updated=1
				break
			fi
			vs_log "apt-get update failed (try $try of 3)"
			sleep 5
		done
		((updated)) || exit 1
		vs_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -y \
			install --no-install-recommends "$@" >/dev/null
	)
	local rc=$?
	hash -r
	return "$rc"
}

# The emulator's start script, from its Debian package or PATH.
vs_datastore_script() {
	local f
	f=$(dpkg -L "$VS_DATASTORE_PACKAGE" 2>/dev/null | grep '/cloud_datastore_emulator$' | head -1)
	[[ -z $f ]] && f=$(command -v cloud_datastore_emulator 2>/dev/null)
	[[ -n $f && -x $f ]] && echo "$f"
}

# Is the emulator's package offered by a configured apt source? Debian itself
# does not carry it; Google's Cloud SDK source does.
vs_datastore_installable() {
	command -v apt-cache >/dev/null 2>&1 || return 1
	local cand
	cand=$(apt-cache policy "$VS_DATASTORE_PACKAGE" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[[ -n $cand && $cand != "(none)" ]]
}

# Puts what the wanted services need on PATH, installing it when possible.
# Sets VS_MISSING to the servers that could not be had.
vishnu_services_ensure_binaries() {
	local pkgs=() bin
	VS_MISSING=()
	if vs_want redis && ! { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1; then
		pkgs+=(redis-server redis-tools)
	fi
	if vs_want memcached && ! command -v memcached >/dev/null 2>&1; then
		pkgs+=(memcached)
	fi
	if vs_want datastore && [[ -z ${DATASTORE_EMULATOR_HOST:-} ]] && [[ -z $(vs_datastore_script) ]]; then
		if vs_datastore_installable; then
			pkgs+=("$VS_DATASTORE_PACKAGE")
		else
			vs_log "Datastore emulator: $VS_DATASTORE_PACKAGE is not installed and no apt source offers it (it comes from Google's Cloud SDK apt source)"
		fi
	fi
	if ((${#pkgs[@]})); then
		if vs_can_install; then
			vs_apt_install "${pkgs[@]}" || vs_log "apt-get install ${pkgs[*]} failed"
		else
			vs_log "cannot install ${pkgs[*]} here (needs apt-get and root, or sudo without a password)"
		fi
	fi
	if vs_want redis; then
		for bin in redis-server redis-cli; do
			command -v "$bin" >/dev/null 2>&1 || { VS_MISSING+=(redis) && break; }
		done
	fi
	if vs_want memcached && ! command -v memcached >/dev/null 2>&1; then VS_MISSING+=(memcached); fi
	if vs_want datastore && [[ -z ${DATASTORE_EMULATOR_HOST:-} && -z $(vs_datastore_script) ]]; then
		VS_MISSING+=(datastore)
	fi
	return 0
}

# Is something accepting TCP connections on host:port?
# shellcheck disable=SC2016 # $0 and $1 are expanded by the inner bash
vs_port_open() {
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

vs_redis_ping() { # host port
	[[ $(timeout 3 redis-cli -h "$1" -p "$2" ping 2>/dev/null) == PONG ]]
}

# shellcheck disable=SC2016 # expanded by the inner bash
vs_memcached_ping() { # host port
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
		printf "version\r\n" >&3
		IFS= read -r line <&3 && [[ $line == VERSION* ]]' "$1" "$2" 2>/dev/null
}

# Sends one bodiless HTTP/1.0 request and succeeds on a 200 answer (no curl
# needed: a fresh Debian has none).
# shellcheck disable=SC2016 # expanded by the inner bash
vs_http() { # method host port path
	timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "%s %s HTTP/1.0\r\nHost: %s:%s\r\nContent-Length: 0\r\n\r\n" "$0" "$3" "$1" "$2" >&3
		IFS= read -r line <&3 && [[ $line == "HTTP/"*" 200"* ]]' "$@" 2>/dev/null
}

vs_datastore_ping() { vs_http GET "$1" "$2" /; }

# Waits (bounded) until "$@" succeeds.
vs_wait() { # seconds command...
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

# Prints n free consecutive ports from base on (stepping by 10), also checking
# base+10000 for the Redis Cluster bus when needs_bus is 1.
vs_pick_ports() { # base needs_bus n
	local base=$1 bus=$2 n=${3:-$VISHNU_SERVICE_NODES} try p ports busy
	for try in $(seq 0 30); do
		ports=() busy=0
		for ((p = base + try * 10; p < base + try * 10 + n; p++)); do
			if vs_port_open 127.0.0.1 "$p" || { ((bus)) && vs_port_open 127.0.0.1 $((p + 10000)); }; then
				busy=1
				break
			fi
			ports+=("$p")
		done
		if ((!busy)); then
			echo "${ports[*]}"
			return 0
		fi
	done
	vs_log "no free ports found from $base on"
	return 1
}

vs_record() { echo "$*" >>"$VISHNU_SERVICES_DIR/started"; }

vs_join() { local IFS=,; echo "$*"; }

# Checks that every comma-separated address the caller gave in a variable answers.
vs_check_given() { # kind(redis|memcached|datastore) label variable
	local addr ok=0 probe=vs_redis_ping addrs
	[[ $1 == memcached ]] && probe=vs_memcached_ping
	[[ $1 == datastore ]] && probe=vs_datastore_ping
	vs_log "$2: using the caller's $3=${!3}"
	IFS=, read -ra addrs <<<"${!3}"
	for addr in "${addrs[@]}"; do
		if ! vs_wait 30 "$probe" "${addr%:*}" "${addr##*:}"; then
			vs_log "$2: $addr (from $3) does not answer"
			ok=1
		fi
	done
	return "$ok"
}

vs_start_redis() {
	if [[ -n ${VISHNU_REDIS_ADDR:-} ]]; then
		vs_check_given redis Redis VISHNU_REDIS_ADDR
		return
	fi
	local port=$VISHNU_STANDALONE_REDIS_PORT dir=$VISHNU_SERVICES_DIR
	if vs_redis_ping 127.0.0.1 "$port"; then
		vs_log "Redis: already running on 127.0.0.1:$port, used and left running"
	else
		if vs_port_open 127.0.0.1 "$port"; then
			vs_log "Redis: 127.0.0.1:$port is taken by something that is not Redis"
			return 1
		fi
		vs_log "Redis: starting 127.0.0.1:$port"
		vs_record redis "$port"
		redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
			--dir "$dir" --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log" || return 1
		if ! vs_wait 15 vs_redis_ping 127.0.0.1 "$port"; then
			vs_log "Redis: 127.0.0.1:$port did not come up; its log:"
			cat "$dir/redis-$port.log" >&2 || true
			return 1
		fi
	fi
	export VISHNU_REDIS_ADDR=127.0.0.1:$port
}

vs_cluster_ok() { # port...
	local p info
	for p in "$@"; do
		info=$(timeout 3 redis-cli -p "$p" cluster info 2>/dev/null | tr -d '\r') || return 1
		grep -qx 'cluster_state:ok' <<<"$info" || return 1
		grep -qx "cluster_known_nodes:$#" <<<"$info" || return 1
		grep -qx 'cluster_slots_ok:16384' <<<"$info" || return 1
	done
}

vs_start_cluster() {
	if [[ -n ${VISHNU_REDIS_CLUSTER_ADDRS:-} ]]; then
		vs_check_given redis "Redis Cluster" VISHNU_REDIS_CLUSTER_ADDRS
		return
	fi
	local dir=$VISHNU_SERVICES_DIR ports p addrs=()
	ports=$(vs_pick_ports "$VISHNU_CLUSTER_BASE_PORT" 1) || return 1
	for p in $ports; do
		vs_record redis "$p"
		redis-server --port "$p" --bind 127.0.0.1 --daemonize yes \
			--cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" --cluster-node-timeout 5000 \
			--save "" --appendonly no --dir "$dir" \
			--pidfile "$dir/redis-$p.pid" --logfile "$dir/redis-$p.log" || return 1
		addrs+=("127.0.0.1:$p")
	done
	for p in $ports; do
		if ! vs_wait 15 vs_redis_ping 127.0.0.1 "$p"; then
			vs_log "Redis Cluster: node $p did not come up; its log:"
			cat "$dir/redis-$p.log" >&2 || true
			return 1
		fi
	done
	vs_log "Redis Cluster: creating ${addrs[*]}"
	if ! redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$dir/cluster-create.log" 2>&1; then
		vs_log "Redis Cluster: create failed:"
		cat "$dir/cluster-create.log" >&2
		return 1
	fi
	# shellcheck disable=SC2086 # one port per word
	if ! vs_wait 60 vs_cluster_ok $ports; then
		vs_log "Redis Cluster: not cluster_state:ok after 60s"
		for p in $ports; do redis-cli -p "$p" cluster info >&2 2>&1 || true; done
		return 1
	fi
	export VISHNU_REDIS_CLUSTER_ADDRS
	VISHNU_REDIS_CLUSTER_ADDRS=$(vs_join "${addrs[@]}")
}

vs_start_memcached() {
	if [[ -n ${VISHNU_MEMCACHE_ADDRS:-} ]]; then
		vs_check_given memcached memcached VISHNU_MEMCACHE_ADDRS
		return
	fi
	local dir=$VISHNU_SERVICES_DIR ports p addrs=() user=()
	# memcached refuses to run as root unless told which user to be; the fault
	# tests' own nodes run as nobody too (-u drops to it after binding).
	[[ ${EUID:-$(id -u)} -eq 0 ]] && user=(-u nobody)
	ports=$(vs_pick_ports "$VISHNU_MEMCACHE_BASE_PORT" 0) || return 1
	for p in $ports; do
		vs_record memcached "$p"
		# In the foreground of a session of its own rather than with -d: its pid
		# is then known here (memcached -d writes its pid file as nobody, who
		# may not reach this folder), and a Ctrl-C of the caller's terminal
		# leaves stopping it to vishnu_services_stop.
		setsid memcached "${user[@]}" -l 127.0.0.1 -p "$p" -U 0 -m 64 -c 1024 \
			</dev/null >"$dir/memcached-$p.log" 2>&1 &
		echo $! >"$dir/memcached-$p.pid"
		addrs+=("127.0.0.1:$p")
	done
	for p in $ports; do
		if ! vs_wait 15 vs_memcached_ping 127.0.0.1 "$p"; then
			vs_log "memcached: node $p did not come up"
			return 1
		fi
	done
	vs_log "memcached: started ${addrs[*]}${user:+ as ${user[1]}}"
	export VISHNU_MEMCACHE_ADDRS
	VISHNU_MEMCACHE_ADDRS=$(vs_join "${addrs[@]}")
}

# Starts the Datastore emulator in the background (a JVM: several seconds to
# be ready); vishnu_services_wait waits for it.
vs_start_datastore() {
	if [[ -n ${DATASTORE_EMULATOR_HOST:-} ]]; then
		vs_check_given datastore "Datastore emulator" DATASTORE_EMULATOR_HOST
		return
	fi
	local dir=$VISHNU_SERVICES_DIR script port
	script=$(vs_datastore_script) || return 1
	port=$(vs_pick_ports "$VISHNU_DATASTORE_BASE_PORT" 0 1) || return 1
	vs_log "Datastore emulator: starting 127.0.0.1:$port in the background"
	vs_record datastore "$port"
	# Its own session, so that stop can end the JVM the script starts with it.
	setsid "$script" start --host=127.0.0.1 --port="$port" --store_on_disk=False --consistency=1.0 \
		</dev/null >"$dir/datastore-$port.log" 2>&1 &
	echo $! >"$dir/datastore-$port.pid"
	VS_DATASTORE_PENDING=$port
	export DATASTORE_EMULATOR_HOST=127.0.0.1:$port
}

# Waits for the servers that were started in the background.
vishnu_services_wait() {
	local port=${VS_DATASTORE_PENDING:-} dir=${VISHNU_SERVICES_DIR:-}
	[[ -n $port ]] || return 0
	VS_DATASTORE_PENDING=
	if ! vs_wait 120 vs_datastore_ping 127.0.0.1 "$port"; then
		vs_log "Datastore emulator: 127.0.0.1:$port did not answer GET / within 120s; its log:"
		tail -20 "$dir/datastore-$port.log" >&2 || true
		unset DATASTORE_EMULATOR_HOST
		return 1
	fi
	vs_log "Datastore emulator: ready on 127.0.0.1:$port"
}

# Ensures every wanted service runs or is starting. Returns 0 when all are,
# 2 when some could not be had here but that is no failure (not CI: their
# tests skip; VS_MISSING names them), and 1 on a failure.
vishnu_services_start() {
	if [[ -z ${VISHNU_SERVICES_DIR:-} ]]; then
		VISHNU_SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vishnu-services.XXXXXX") || return 1
	fi
	export VISHNU_SERVICES_DIR
	mkdir -p "$VISHNU_SERVICES_DIR" && touch "$VISHNU_SERVICES_DIR/started" || return 1
	local rc=0 missing
	vishnu_services_ensure_binaries
	missing=" ${VS_MISSING[*]} "
	# The emulator first: it starts in the background while the rest come up.
	if vs_want datastore && [[ $missing != *" datastore "* ]]; then vs_start_datastore || rc=1; fi
	if vs_want redis && [[ $missing != *" redis "* ]]; then
		vs_start_redis || rc=1
		vs_start_cluster || rc=1
	fi
	if vs_want memcached && [[ $missing != *" memcached "* ]]; then vs_start_memcached || rc=1; fi
	if ((${#VS_MISSING[@]})); then
		if [[ ${CI:-} == true ]]; then
			vs_log "missing: ${VS_MISSING[*]} (CI=true: their tests fail)"
			rc=1
		else
			vs_log "missing: ${VS_MISSING[*]} (their tests skip)"
			((rc)) || rc=2
		fi
	fi
	return "$rc"
}

# The pid in a pid file, if that process is still the server we started on that port.
vs_our_pid() { # pidfile name port
	local pid args
	[[ -s $1 ]] || return 1
	pid=$(<"$1")
	args=$(ps -p "$pid" -o args= 2>/dev/null) || return 1
	[[ $args == *"$2"* && $args == *"$3"* ]] || return 1
	echo "$pid"
}

# A process is gone once it has exited, even while it waits, a zombie, to be reaped.
vs_gone() {
	local stat
	stat=$(ps -p "$1" -o stat= 2>/dev/null) || return 0
	[[ -z $stat || $stat == Z* ]]
}

# Nothing is left of a process group once no process is in it.
vs_group_gone() { ! pgrep -g "$1" >/dev/null 2>&1; }

vs_stop_one() { # kind port
	local kind=$1 port=$2 dir=$VISHNU_SERVICES_DIR pid
	case $kind in
	redis)
		pid=$(vs_our_pid "$dir/redis-$port.pid" redis-server ":$port") || return 0
		timeout 5 redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
		;;
	memcached)
		pid=$(vs_our_pid "$dir/memcached-$port.pid" memcached "$port") || return 0
		kill "$pid" 2>/dev/null || true
		;;
	datastore)
		pid=$(vs_our_pid "$dir/datastore-$port.pid" cloud_datastore_emulator "--port=$port") || return 0
		vs_http POST 127.0.0.1 "$port" /shutdown || true
		# The script's JVM is in the session (and process group) setsid made.
		if ! vs_wait 15 vs_group_gone "$pid"; then
			vs_log "Datastore emulator on port $port did not shut down; ending its process group $pid"
			kill -- "-$pid" 2>/dev/null || true
		fi
		;;
	*) return 0 ;;
	esac
	if ! vs_wait 10 vs_gone "$pid"; then
		vs_log "$kind on port $port (pid $pid) did not stop; killing it"
		kill -9 "$pid" 2>/dev/null || true
	fi
	vs_log "stopped $kind on 127.0.0.1:$port"
}

# Stops what vishnu_services_start started (newest first) and removes its directory.
vishnu_services_stop() {
	local dir=${VISHNU_SERVICES_DIR:-} kind port
	[[ -n $dir && -d $dir ]] || return 0
	if [[ -f $dir/started ]]; then
		while read -r kind port; do
			[[ -n $kind ]] && vs_stop_one "$kind" "$port"
		done < <(tac "$dir/started")
		rm -rf -- "$dir"
	fi
}

vishnu_services_env() {
	local v
	for v in VISHNU_REDIS_ADDR VISHNU_REDIS_CLUSTER_ADDRS VISHNU_MEMCACHE_ADDRS DATASTORE_EMULATOR_HOST; do
		[[ -n ${!v:-} ]] && printf "export %s='%s'\n" "$v" "${!v}"
	done
	return 0
}

vs_main() {
	# A fixed directory, so that a later "stop" finds what "start" started.
	VISHNU_SERVICES_DIR=${VISHNU_SERVICES_DIR:-${TMPDIR:-/tmp}/vishnu-services}
	case ${1:-} in
	start)
		if [[ -f $VISHNU_SERVICES_DIR/env ]]; then
			vs_log "already started (see $VISHNU_SERVICES_DIR); stop them with: $0 stop"
			cat "$VISHNU_SERVICES_DIR/env"
			return 0
		fi
		local rc=0
		vishnu_services_start || rc=$?
		vishnu_services_wait || rc=1
		vishnu_services_env | tee "$VISHNU_SERVICES_DIR/env"
		((rc == 2)) && rc=0
		return "$rc"
		;;
	stop) vishnu_services_stop ;;
	status)
		if [[ -f $VISHNU_SERVICES_DIR/env ]]; then
			cat "$VISHNU_SERVICES_DIR/env"
			# shellcheck disable=SC1091
			source "$VISHNU_SERVICES_DIR/env"
		fi
		local v addr addrs probe rc=0
		for v in VISHNU_REDIS_ADDR VISHNU_REDIS_CLUSTER_ADDRS VISHNU_MEMCACHE_ADDRS DATASTORE_EMULATOR_HOST; do
			case $v in
			VISHNU_MEMCACHE_ADDRS) probe=vs_memcached_ping ;;
			DATASTORE_EMULATOR_HOST) probe=vs_datastore_ping ;;
			*) probe=vs_redis_ping ;;
			esac
			IFS=, read -ra addrs <<<"${!v:-}"
			((${#addrs[@]})) || { echo "$v: not set"; continue; }
			for addr in "${addrs[@]}"; do
				if "$probe" "${addr%:*}" "${addr##*:}"; then echo "$v: $addr up"; else echo "$v: $addr DOWN"; rc=1; fi
			done
		done
		return "$rc"
		;;
	*)
		echo "usage: $0 start|stop|status" >&2
		echo "  start prints export lines: eval \"\$($0 start)\"" >&2
		return 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	vs_main "$@"
fi

#!/usr/bin/env bash
# Test services for Vishnu: makes sure the servers the tests talk to are running —
# Redis standalone, a three-master Redis Cluster and three memcached nodes, all on
# loopback — installing the binaries with apt when they are missing, and stops again
# only what it started itself. The tests find the servers through
#   VISHNU_REDIS_ADDR          (default 127.0.0.1:6379)
#   VISHNU_REDIS_CLUSTER_ADDRS (three cluster masters, comma-separated host:port)
#   VISHNU_MEMCACHE_ADDRS      (three memcached nodes, comma-separated host:port)
# A variable the caller has already set is used as given, and nothing is started for
# it. redis-server and memcached are put on PATH in every case, because fault tests
# start their own servers on their own ports.
#
# scripts/test.sh sources this file and calls vishnu_services_start, then
# vishnu_services_stop at exit. It also works on its own, to keep services up across
# several test runs:
#   eval "$(scripts/services.sh start)"   # start them and export the addresses
#   scripts/services.sh status
#   scripts/services.sh stop
#
# What was started is listed in "$VISHNU_SERVICES_DIR/started", which also holds pid
# files, logs and the cluster's node files; stop reads it and removes the directory.

VISHNU_CLUSTER_BASE_PORT=${VISHNU_CLUSTER_BASE_PORT:-7101}
VISHNU_MEMCACHE_BASE_PORT=${VISHNU_MEMCACHE_BASE_PORT:-11311}
VISHNU_SERVICE_NODES=3
VISHNU_STANDALONE_REDIS_PORT=${VISHNU_STANDALONE_REDIS_PORT:-6379} # overridable only to test this script

vs_log() { printf 'services: %s\n' "$*" >&2; }

# Runs a command as root: directly when we are root, else through sudo.
vs_root() {
	if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		vs_log "root is needed to run: $*"
		return 1
	fi
}

# Installs Debian packages without letting their maintainer scripts start daemons:
# the packaged memcached would otherwise sit on 11211 (and a packaged Redis would fight
# a Redis service container for 6379) long after the test run.
vs_apt_install() {
	local rc=0 made_policy=0 apt_opts=(-qq -o DPkg::Lock::Timeout=300)
	if ! command -v apt-get >/dev/null 2>&1; then
		vs_log "cannot install $* here (no apt-get); install it by hand"
		return 1
	fi
	vs_log "installing $* with apt-get"
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' | vs_root tee /usr/sbin/policy-rc.d >/dev/null &&
			vs_root chmod 755 /usr/sbin/policy-rc.d && made_policy=1
	fi
	if [[ -z ${VS_APT_UPDATED:-} ]]; then
		local try
		for try in 1 2 3; do
			if vs_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >/dev/null; then
				VS_APT_UPDATED=1
				break
			fi
			vs_log "apt-get update failed (try $try of 3)"
			sleep 5
		done
		[[ -n ${VS_APT_UPDATED:-} ]] || rc=1
	fi
	if ((rc == 0)); then
		vs_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -y \
			install --no-install-recommends "$@" >/dev/null || rc=$?
	fi
	if ((made_policy)); then
		vs_root rm -f /usr/sbin/policy-rc.d || true
	fi
	hash -r
	return "$rc"
}

# Puts redis-server, redis-cli and memcached on PATH.
vishnu_services_ensure_binaries() {
	local missing=()
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || missing+=(redis-server redis-tools)
	command -v memcached >/dev/null 2>&1 || missing+=(memcached)
	if ((${#missing[@]})); then
		vs_apt_install "${missing[@]}" || return 1
	fi
	local bin ok=0
	for bin in redis-server redis-cli memcached; do
		command -v "$bin" >/dev/null 2>&1 || { vs_log "$bin is still not on PATH"; ok=1; }
	done
	return "$ok"
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

# Waits (bounded) until "$@" succeeds.
vs_wait() { # seconds command...
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

# Prints $VISHNU_SERVICE_NODES free consecutive ports from base on (stepping by 10),
# also checking base+10000 for the Redis Cluster bus when the second argument is 1.
vs_pick_ports() { # base needs_bus
	local base=$1 bus=$2 try p ports busy
	for try in $(seq 0 30); do
		ports=() busy=0
		for ((p = base + try * 10; p < base + try * 10 + VISHNU_SERVICE_NODES; p++)); do
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
vs_check_given() { # kind(redis|memcached) label variable
	local addr ok=0 probe=vs_redis_ping addrs
	[[ $1 == memcached ]] && probe=vs_memcached_ping
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
	# memcached refuses to run as root unless told which user to be.
	[[ ${EUID:-$(id -u)} -eq 0 ]] && user=(-u root)
	ports=$(vs_pick_ports "$VISHNU_MEMCACHE_BASE_PORT" 0) || return 1
	for p in $ports; do
		vs_record memcached "$p"
		memcached -d "${user[@]}" -l 127.0.0.1 -p "$p" -U 0 -m 64 -c 1024 -P "$dir/memcached-$p.pid" || return 1
		addrs+=("127.0.0.1:$p")
	done
	for p in $ports; do
		if ! vs_wait 15 vs_memcached_ping 127.0.0.1 "$p"; then
			vs_log "memcached: node $p did not come up"
			return 1
		fi
	done
	vs_log "memcached: started ${addrs[*]}"
	export VISHNU_MEMCACHE_ADDRS
	VISHNU_MEMCACHE_ADDRS=$(vs_join "${addrs[@]}")
}

# Ensures every service runs; returns non-zero if any could not be had, after trying all.
vishnu_services_start() {
	if [[ -z ${VISHNU_SERVICES_DIR:-} ]]; then
		VISHNU_SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vishnu-services.XXXXXX") || return 1
	fi
	export VISHNU_SERVICES_DIR
	mkdir -p "$VISHNU_SERVICES_DIR" && touch "$VISHNU_SERVICES_DIR/started" || return 1
	local rc=0
	vishnu_services_ensure_binaries || rc=1
	if command -v redis-server >/dev/null 2>&1; then
		vs_start_redis || rc=1
		vs_start_cluster || rc=1
	else
		rc=1
	fi
	if command -v memcached >/dev/null 2>&1; then
		vs_start_memcached || rc=1
	else
		rc=1
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
	for v in VISHNU_REDIS_ADDR VISHNU_REDIS_CLUSTER_ADDRS VISHNU_MEMCACHE_ADDRS; do
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
		vishnu_services_env | tee "$VISHNU_SERVICES_DIR/env"
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
		for v in VISHNU_REDIS_ADDR VISHNU_REDIS_CLUSTER_ADDRS VISHNU_MEMCACHE_ADDRS; do
			probe=vs_redis_ping
			[[ $v == VISHNU_MEMCACHE_ADDRS ]] && probe=vs_memcached_ping
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

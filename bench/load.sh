#!/usr/bin/env bash
# The end-to-end load test over Redis (loadtest/): for each library, a server
# process (loadtest/cmd/loadserver) with its sessions in the Redis at REDIS,
# driven over loopback by a generator process (loadtest/cmd/loadgen) with
# CONNS keep-alive connections, in two mixes: 90% read / 10% write over
# SESSIONS sessions, and 100% write on one hot session. Writes, in results/:
#   load-latest.jsonl   one line of figures per run (loadtest.Result)
#   load-latest.md      the medians as Markdown tables, with the machine's load
# and prints the tables. The libraries named *-postgres (Vishnu on
# stores/postgres, scs on its pgxstore) keep their sessions in the PostgreSQL
# at POSTGRES instead, each in a schema of its own that its server empties
# when it starts, and use no Redis (no Redis figures in their rows).
#
# Environment:
#   ROUNDS=3           runs of each library and mix, interleaved
#   LIBS="..."         libraries (default: all, see loadserver -list)
#   MIXES="rw hot"     mixes
#   CONNS=16 SESSIONS=10000 REQUESTS=200000 DURATION=10s
#                      each run ends after REQUESTS requests or DURATION, whichever is first
#   REDIS=127.0.0.1:6379 DB=12
#                      the Redis (loopback) and the database every library uses; it is
#                      emptied (FLUSHDB) before each run. Redis's command counts are the
#                      whole server's: run nothing else against it meanwhile.
#   POSTGRES=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
#                      the PostgreSQL of the *-postgres libraries (default: $VISHNU_POSTGRES_URL
#                      if set); their schemas are loadtest_vishnu and loadtest_scs.
#   OUT=load-latest    the results' file names in results/ (OUT.jsonl, OUT.md)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROUNDS=${ROUNDS:-3}
MIXES=${MIXES:-rw hot}
CONNS=${CONNS:-16}
SESSIONS=${SESSIONS:-10000}
REQUESTS=${REQUESTS:-200000}
DURATION=${DURATION:-10s}
REDIS=${REDIS:-127.0.0.1:6379}
DB=${DB:-12}
POSTGRES=${POSTGRES:-${VISHNU_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}
OUT=${OUT:-load-latest}
export GOWORK=off

tmp=$(mktemp -d)
server=
cleanup() {
	if [[ -n $server ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/" ./loadtest/cmd/loadserver ./loadtest/cmd/loadgen
LIBS=${LIBS:-$("$tmp/loadserver" -list | tr '\n' ' ')}
mkdir -p results
out=results/$OUT.jsonl
: >"$out"
load_before=$(uptime)

for ((round = 1; round <= ROUNDS; round++)); do
	for mix in $MIXES; do
		for lib in $LIBS; do
			: >"$tmp/server.out"
			"$tmp/loadserver" -lib "$lib" -redis "$REDIS" -db "$DB" -postgres "$POSTGRES" >"$tmp/server.out" &
			server=$!
			addr=
			for _ in $(seq 100); do
				addr=$(awk '/^listening /{print $2; exit}' "$tmp/server.out")
				[[ -n $addr ]] && break
				sleep 0.1
			done
			[[ -n $addr ]] || { echo "load.sh: $lib did not start" >&2; exit 1; }
			echo "load.sh: round $round, $mix, $lib on $addr" >&2
			redis=$REDIS
			[[ $lib == *-postgres ]] && redis= # no Redis figures, nothing to flush
			"$tmp/loadgen" -addr "$addr" -lib "$lib" -mix "$mix" -conns "$CONNS" -sessions "$SESSIONS" \
				-requests "$REQUESTS" -duration "$DURATION" -redis "$redis" -db "$DB" -flush -seed "$round" >>"$out"
			kill "$server"
			wait "$server" || true
			server=
		done
	done
done

{
	echo "Core \`$(git log -1 --format=%h -- ../core)\`, stores/redis \`$(git log -1 --format=%h -- ../stores/redis)\`," \
		"$(redis-cli -h "${REDIS%:*}" -p "${REDIS##*:}" info server 2>/dev/null | tr -d '\r' | awk -F: '/^redis_version/{print "Redis " $2 ","}')" \
		"$(go env GOVERSION), $ROUNDS rounds, each run at most $REQUESTS requests or $DURATION."
	if [[ " $LIBS " == *-postgres\ * ]]; then
		echo "stores/postgres \`$(git log -1 --format=%h -- ../stores/postgres)\`," \
			"PostgreSQL $(psql -At "$POSTGRES" -c 'SHOW server_version' 2>/dev/null || echo '(version unknown)')."
	fi
	echo "Load before: \`$load_before\`; after: \`$(uptime)\`."
	echo
	"$tmp/loadgen" -report "$out"
} >"results/$OUT.md"
cat "results/$OUT.md"

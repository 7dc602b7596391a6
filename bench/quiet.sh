#!/usr/bin/env bash
# Sourced by run.sh and growth.sh: waiting for a quiet machine before a
# measurement, from the bench folder. The caller sets QUIET (percent busy)
# and QUIET_WAIT (seconds).

# busy prints how much of the CPU time of the last second (all processes,
# all cores) was not idle, in percent; 0 where /proc/stat is missing.
busy() {
	[[ -r /proc/stat ]] || { echo 0; return; }
	local a b i total=0 idle
	read -ra a </proc/stat
	sleep 1
	read -ra b </proc/stat
	for i in 1 2 3 4 5 6 7 8; do
		total=$((total + b[i] - a[i]))
	done
	idle=$((b[4] - a[4] + b[5] - a[5]))
	echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

# quiet waits, for at most QUIET_WAIT seconds, until other work leaves the
# machine at most QUIET percent busy, so that a burst of someone else's
# builds or tests does not land in a measurement.
quiet() {
	local waited=0
	while (($(busy) > QUIET)); do
		if ((waited >= QUIET_WAIT)); then
			echo "${0##*/}: the machine is still busy after ${QUIET_WAIT}s; measuring anyway" >&2
			return
		fi
		sleep 4
		waited=$((waited + 5))
	done
}

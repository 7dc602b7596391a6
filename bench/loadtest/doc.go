// Package loadtest drives session libraries end to end, as they are
// deployed: a real HTTP server with its sessions in Redis, and a load
// generator with a fixed number of keep-alive connections in another
// process, both on loopback.
//
// Every library serves the same four routes with the same handler bodies
// (see handlers.go); only the session calls differ. The commands in cmd/
// are the two processes, and ../load.sh runs the whole comparison.
package loadtest

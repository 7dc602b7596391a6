// Package testserver starts the real servers that Vishnu's own tests talk to
// (PostgreSQL, Redis, memcached, the Cloud Datastore emulator) as child
// processes on free loopback ports, and stops them when the test binary is
// done. It is test support for the modules of this repository; Go's internal
// rule keeps it out of users' reach.
package testserver

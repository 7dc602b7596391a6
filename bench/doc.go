// Package bench compares Vishnu with other Go session libraries on the same
// requests. It holds no code of its own: the benchmarks and checks are in its
// test files, and cmd/chart draws the results. See README.md.
//
// It is a module of its own so that the libraries it measures stay out of
// every other module's dependencies.
package bench

package bench

import "testing"

// Each benchmark is one scenario, with one sub-benchmark per library that
// has it (see runScenario, and the lib files for each library's handlers).

// BenchmarkUntouched: a request that carries a session cookie, to a handler
// that never uses the session. bare, gin-bare and echo-bare are the same
// handler without session middleware.
func BenchmarkUntouched(b *testing.B) { runScenario(b, untouched) }

// BenchmarkRead: read one string from an existing server-side session.
func BenchmarkRead(b *testing.B) { runScenario(b, read) }

// BenchmarkWrite: set one int (a new value each request) in an existing
// server-side session, and persist it.
func BenchmarkWrite(b *testing.B) { runScenario(b, write) }

// BenchmarkNew: a request without a cookie creates a session holding one
// string, and gets its cookie.
func BenchmarkNew(b *testing.B) { runScenario(b, newSession) }

// BenchmarkCookieRead: Read, with the data kept in a signed and encrypted
// cookie.
func BenchmarkCookieRead(b *testing.B) { runScenario(b, cookieRead) }

// BenchmarkCookieWrite: Write, with the data kept in a signed and encrypted
// cookie (so every write sends a new cookie).
func BenchmarkCookieWrite(b *testing.B) { runScenario(b, cookieWrite) }

//go:build !unix

package conformance

import "testing"

// newFullListener has no portable way to fill an accept queue outside
// Unix; the dial half of the Unresponsive cases is not run there.
func newFullListener(*testing.T) string { return "" }

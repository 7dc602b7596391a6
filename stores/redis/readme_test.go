package redisstore_test

import (
	"testing"

	"github.com/vishnu-go/vishnu/internal/readmetest"
)

// TestREADMESnippetIsTheExample keeps the README's Go code the code that
// this module compiles (see readmetest.Check).
func TestREADMESnippetIsTheExample(t *testing.T) {
	readmetest.Check(t)
}

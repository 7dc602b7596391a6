package vishnugin_test

import (
	"testing"

	"github.com/vishnu-go/vishnu/internal/readmetest"
)

// TestREADMECodeIsCompiled keeps the README's Go code the code that this
// module compiles (see readmetest.Check).
func TestREADMECodeIsCompiled(t *testing.T) {
	readmetest.Check(t)
}

package vishnu_test

import (
	"errors"
	"fmt"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// ErrRequestEnded is an ErrHeadersWritten, and no other error, also once an
// application wrapped it.
func TestErrRequestEndedIsHeadersWritten(t *testing.T) {
	err := fmt.Errorf("save the cart: %w", vishnu.ErrRequestEnded)
	if !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Error("errors.Is(ErrRequestEnded, ErrHeadersWritten) is false")
	}
	for _, other := range []error{vishnu.ErrSessionGone, vishnu.ErrNoSession, vishnu.ErrCookieTooLarge, errDown} {
		if errors.Is(err, other) {
			t.Errorf("errors.Is(ErrRequestEnded, %v) is true", other)
		}
	}
}

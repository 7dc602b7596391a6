package pages

import (
	"errors"
	"log/slog"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestNewManagerSecret(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	var ce *vishnu.ConfigError
	if _, err := NewManager("too short", log); !errors.As(err, &ce) || ce.Field != "Secret" {
		t.Errorf("NewManager with a 9-byte secret: %v; want a ConfigError on Secret", err)
	}
	if _, err := NewManager("0123456789abcdef0123456789abcdef", log); err != nil {
		t.Errorf("NewManager with a 32-byte secret: %v", err)
	}
	if _, err := NewManager("", log); err != nil {
		t.Errorf("NewManager with no secret (random one): %v", err)
	}
}

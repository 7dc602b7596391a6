package vishnu_test

import (
	"log/slog"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The cookie store without EncryptKey keeps data readable by the client,
// and New says so; with EncryptKey it says nothing.
func TestCookieStoreWithoutKeyWarns(t *testing.T) {
	for _, key := range [][]byte{nil, []byte("an encryption key of 32 bytes!!!")} {
		cfg, _ := testConfig(newClock())
		cfg.Store = vishnu.NewCookieStore()
		cfg.EncryptKey = key
		var logs syncBuffer
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		newManager(t, cfg)
		if warned := strings.Contains(logs.String(), "readable"); warned != (key == nil) {
			t.Errorf("EncryptKey set %v: warned %v:\n%s", key != nil, warned, logs.String())
		}
	}
}

package vishnu_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A Config prints every setting but the secrets, in one readable form:
// whether a secret or key is set, and how many previous ones there are.
func TestConfigPrintsItsSettings(t *testing.T) {
	cfg := vishnu.Config{
		Store:           vishnu.NewMemoryStore(),
		Secret:          testSecret,
		PreviousSecrets: [][]byte{testSecret, testSecret},
		Cookie:          vishnu.CookieConfig{Name: "shop", Path: "/app", SameSite: http.SameSiteStrictMode, Insecure: true},
		Timeout:         time.Hour,
		AutoSave:        true,
	}
	want := `vishnu.Config{Store: "*vishnu.MemoryStore", Secret: "<redacted>", PreviousSecrets: 2, EncryptKey: "<none>", PreviousEncryptKeys: 0, ` +
		`Cookie: {Name: "shop", Domain: "", Path: "/app", Insecure: true, ScriptReadable: false, SameSite: 3, Partitioned: false}, ` +
		`Timeout: 1h0m0s, BrowserSessionTimeout: 0s, AbsoluteTimeout: 0s, AutoSave: true}`
	if got := fmt.Sprint(cfg); got != want {
		t.Errorf("Config prints\n%s\nwant\n%s", got, want)
	}
	cfg.Store, cfg.EncryptKey = nil, testSecret
	got := fmt.Sprint(cfg)
	if !strings.Contains(got, `Store: "<nil>"`) || !strings.Contains(got, `EncryptKey: "<redacted>"`) {
		t.Errorf("Config without a store, with a key, prints %s", got)
	}
}

// A nil *Manager prints and logs as such, without panicking.
func TestNilManagerPrints(t *testing.T) {
	var m *vishnu.Manager
	for _, got := range []string{fmt.Sprint(m), fmt.Sprintf("%#v", m), m.String()} {
		if got != "vishnu.Manager(nil)" {
			t.Errorf("a nil Manager prints %q", got)
		}
	}
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("start", "manager", m)
	if !strings.Contains(b.String(), "manager=vishnu.Manager(nil)") {
		t.Errorf("a nil Manager logs %q", b.String())
	}
	cfg, _ := testConfig(newClock())
	if got := newManager(t, cfg).String(); !strings.HasPrefix(got, "vishnu.Manager{Store: ") {
		t.Errorf("a Manager prints %q", got)
	}
}

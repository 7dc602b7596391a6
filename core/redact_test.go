package vishnu_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSecretsNeverPrinted: a Manager or a Config printed with fmt (any
// verb) or logged with slog (text and JSON) shows its settings, never its
// secret, previous secrets or encryption keys, in any encoding.
func TestSecretsNeverPrinted(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Secret = []byte("SECRET-current-0123456789abcdefgh")
	cfg.PreviousSecrets = [][]byte{[]byte("SECRET-previous-0123456789abcdefg")}
	cfg.EncryptKey = []byte("SECRET-key-0123456789abcdefghijkl")
	cfg.PreviousEncryptKeys = [][]byte{[]byte("SECRET-oldkey-0123456789abcdefghi")}
	cfg.Cookie.Name = "shop"
	m := newManager(t, cfg)
	keys := [][]byte{cfg.Secret, cfg.PreviousSecrets[0], cfg.EncryptKey, cfg.PreviousEncryptKeys[0]}
	leaks := func(out string) bool {
		for _, k := range keys {
			for _, enc := range []string{string(k), string(k[:12]), hex.EncodeToString(k[:12]),
				base64.StdEncoding.EncodeToString(k[:12]),
				strings.Trim(fmt.Sprint(k[:6]), "[]"), strings.Trim(fmt.Sprintf("%#v", k[:6]), "[]byte{}")} {
				if strings.Contains(out, enc) {
					return true
				}
			}
		}
		return false
	}

	var outputs []string
	for _, v := range []any{m, cfg, &cfg} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
		outputs = append(outputs, fmt.Sprint(v), fmt.Sprintln(v))
	}
	for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(newHandler(&b)).Info("start", "manager", m, "config", cfg, "configptr", &cfg)
		outputs = append(outputs, b.String())
	}
	for _, out := range outputs {
		if leaks(out) {
			t.Errorf("a secret or key printed: %s", out)
		}
		if !strings.Contains(out, "shop") {
			t.Errorf("the settings are not printed: %s", out)
		}
	}
}

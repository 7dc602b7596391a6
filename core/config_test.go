package vishnu_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestConfigErrorsNameTheField(t *testing.T) {
	short := []byte("too short")
	ok := func() vishnu.Config {
		return vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: testSecret}
	}
	cases := []struct {
		field  string
		change func(*vishnu.Config)
	}{
		{"Store", func(c *vishnu.Config) { c.Store = nil }},
		{"Secret", func(c *vishnu.Config) { c.Secret = nil }},
		{"Secret", func(c *vishnu.Config) { c.Secret = short }},
		{"PreviousSecrets[1]", func(c *vishnu.Config) { c.PreviousSecrets = [][]byte{testSecret, short} }},
		{"EncryptKey", func(c *vishnu.Config) { c.EncryptKey = short }},
		{"PreviousEncryptKeys", func(c *vishnu.Config) { c.PreviousEncryptKeys = [][]byte{testSecret} }},
		{"PreviousEncryptKeys[0]", func(c *vishnu.Config) { c.EncryptKey = testSecret; c.PreviousEncryptKeys = [][]byte{short} }},
		{"Timeout", func(c *vishnu.Config) { c.Timeout = -time.Second }},
		{"Timeout", func(c *vishnu.Config) { c.Timeout = time.Millisecond }},
		{"AbsoluteTimeout", func(c *vishnu.Config) { c.AbsoluteTimeout = -1 }},
		{"BrowserSessionTimeout", func(c *vishnu.Config) { c.BrowserSessionTimeout = -1 }},
		{"Cookie.Name", func(c *vishnu.Config) { c.Cookie.Name = "bad name" }},
		{"Cookie.Name", func(c *vishnu.Config) { c.Cookie.Name = "a;b" }},
		{"Cookie.Path", func(c *vishnu.Config) { c.Cookie.Path = "relative" }},
		{"Cookie.Path", func(c *vishnu.Config) { c.Cookie.Path = "/a;b" }},
		// Bytes net/http drops, which would widen the cookie's Path.
		{"Cookie.Path", func(c *vishnu.Config) { c.Cookie.Path = "/é" }},
		{"Cookie.Path", func(c *vishnu.Config) { c.Cookie.Path = "/a\tb" }},
		{"Cookie.Path", func(c *vishnu.Config) { c.Cookie.Path = "/a\x7fb" }},
		{"Cookie.Domain", func(c *vishnu.Config) { c.Cookie.Domain = "a b" }},
		{"Cookie.Insecure", func(c *vishnu.Config) { c.Cookie.Insecure = true; c.Cookie.SameSite = http.SameSiteNoneMode }},
		{"Cookie.Insecure", func(c *vishnu.Config) { c.Cookie.Insecure = true; c.Cookie.Partitioned = true }},
		{"Cookie.Insecure", func(c *vishnu.Config) { c.Cookie.Insecure = true; c.Cookie.Name = "__Secure-s" }},
		{"Cookie.Insecure", func(c *vishnu.Config) { c.Cookie.Insecure = true; c.Cookie.Name = "__Host-s" }},
		{"Cookie.Domain", func(c *vishnu.Config) { c.Cookie.Name = "__Host-s"; c.Cookie.Domain = "example.com" }},
		{"Cookie.Path", func(c *vishnu.Config) { c.Cookie.Name = "__Host-s"; c.Cookie.Path = "/app" }},
	}
	for _, tc := range cases {
		cfg := ok()
		tc.change(&cfg)
		_, err := vishnu.New(cfg)
		var ce *vishnu.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("want a ConfigError on %s, got %v", tc.field, err)
		}
	}
	if _, err := vishnu.New(ok()); err != nil {
		t.Fatalf("a minimal valid config: %v", err)
	}
	if _, err := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{MaxEntries: -1}); err == nil {
		t.Fatal("negative MaxEntries must be an error")
	}
}

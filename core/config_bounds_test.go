package vishnu_test

import (
	"errors"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The edges of what New accepts: the limits themselves are valid, one step
// past them is not, and the error names the field.
func TestConfigBoundaries(t *testing.T) {
	ok := func() vishnu.Config {
		return vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: testSecret}
	}
	cases := []struct {
		name   string
		change func(*vishnu.Config)
		field  string // "" when valid
	}{
		{"timeout of one second", func(c *vishnu.Config) { c.Timeout = time.Second }, ""},
		{"timeout under a second", func(c *vishnu.Config) { c.Timeout = time.Second - 1 }, "Timeout"},
		{"timeout of MaxTimeout", func(c *vishnu.Config) { c.Timeout = vishnu.MaxTimeout }, ""},
		{"timeout over MaxTimeout", func(c *vishnu.Config) { c.Timeout = vishnu.MaxTimeout + time.Second }, "Timeout"},
		{"absolute timeout of one second", func(c *vishnu.Config) { c.AbsoluteTimeout = time.Second }, ""},
		{"browser session timeout of MaxTimeout", func(c *vishnu.Config) { c.BrowserSessionTimeout = vishnu.MaxTimeout }, ""},
		{"secret of MinSecretLen", func(c *vishnu.Config) { c.Secret = testSecret[:vishnu.MinSecretLen] }, ""},
		{"secret one byte short", func(c *vishnu.Config) { c.Secret = testSecret[:vishnu.MinSecretLen-1] }, "Secret"},
		{"key of MinSecretLen", func(c *vishnu.Config) { c.EncryptKey = testSecret[:vishnu.MinSecretLen] }, ""},
		{"key one byte short", func(c *vishnu.Config) { c.EncryptKey = testSecret[:vishnu.MinSecretLen-1] }, "EncryptKey"},
		{"path with a space", func(c *vishnu.Config) { c.Cookie.Path = "/a b" }, ""},
		{"path with ~", func(c *vishnu.Config) { c.Cookie.Path = "/a~" }, ""},
		{"path with a control byte", func(c *vishnu.Config) { c.Cookie.Path = "/a\x1fb" }, "Cookie.Path"},
		{"name with ~", func(c *vishnu.Config) { c.Cookie.Name = "a~" }, ""},
		{"name with !", func(c *vishnu.Config) { c.Cookie.Name = "!a" }, ""},
		{"name with DEL", func(c *vishnu.Config) { c.Cookie.Name = "a\x7fb" }, "Cookie.Name"},
		{"name with a control byte", func(c *vishnu.Config) { c.Cookie.Name = "a\x1fb" }, "Cookie.Name"},
		{"name starting with a separator", func(c *vishnu.Config) { c.Cookie.Name = "(ab" }, "Cookie.Name"},
		{"name ending with a separator", func(c *vishnu.Config) { c.Cookie.Name = "ab}" }, "Cookie.Name"},
		{"name that is only the __Host- prefix", func(c *vishnu.Config) { c.Cookie.Name = "__Host-"; c.Cookie.Insecure = true }, "Cookie.Insecure"},
		{"name that is only the __Secure- prefix", func(c *vishnu.Config) { c.Cookie.Name = "__Secure-"; c.Cookie.Insecure = true }, "Cookie.Insecure"},
		{"name shorter than a prefix", func(c *vishnu.Config) { c.Cookie.Name = "__Host"; c.Cookie.Insecure = true }, ""},
	}
	for _, tc := range cases {
		cfg := ok()
		tc.change(&cfg)
		_, err := vishnu.New(cfg)
		var ce *vishnu.ConfigError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v, want it accepted", tc.name, err)
		case tc.field != "" && (!errors.As(err, &ce) || ce.Field != tc.field):
			t.Errorf("%s: %v, want a ConfigError on %s", tc.name, err, tc.field)
		}
	}
}

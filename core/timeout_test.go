package vishnu_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A timeout lowered by a redeploy applies to the sessions that exist: one
// idle for ten days under a 30-day timeout is over once the timeout is an
// hour, though its cookie and record were made to last 30 days.
func TestLoweredTimeoutAppliesToExistingSessions(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.Timeout = 30 * 24 * time.Hour
	before := newManager(t, cfg)
	cfg.Timeout = time.Hour
	after := newManager(t, cfg) // the same secret and store, redeployed

	b := newBrowser(t, redeployable(t, before, after))
	b.expect("/set?k=user&v=ann", "ok")
	c.Add(10 * 24 * time.Hour)
	b.expect("/redeploy", "ok")
	b.expect("/get?k=user", "false:")
}

// The same holds for the timeout of sessions that last until the browser
// closes (BrowserSessionTimeout), and for the absolute timeout.
func TestLoweredBrowserSessionAndAbsoluteTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lower func(*vishnu.Config)
	}{
		{"browser session", func(c *vishnu.Config) { c.BrowserSessionTimeout = time.Hour }},
		{"absolute", func(c *vishnu.Config) { c.AbsoluteTimeout = time.Hour }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			cfg, _ := testConfig(c)
			cfg.BrowserSessionTimeout = 7 * 24 * time.Hour
			before := newManager(t, cfg)
			tc.lower(&cfg)
			after := newManager(t, cfg)
			b := newBrowser(t, redeployable(t, before, after))
			b.expect("/set?k=user&v=ann", "ok")
			c.Add(2 * time.Hour)
			b.expect("/redeploy", "ok")
			b.expect("/get?k=user", "false:")
		})
	}
}

// redeployable serves app() behind before until /redeploy, then behind after.
func redeployable(t *testing.T, before, after *vishnu.Manager) string {
	var current atomic.Pointer[http.Handler]
	hb, ha := before.Handler(app()), after.Handler(app())
	current.Store(&hb)
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redeploy" {
			current.Store(&ha)
			w.Write([]byte("ok"))
			return
		}
		(*current.Load()).ServeHTTP(w, r)
	}))
}

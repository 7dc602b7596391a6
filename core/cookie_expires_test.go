package vishnu_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cookieExpiry returns the Expires and Max-Age of the session cookie line
// among set, failing the test when there is no such line or it lacks either.
func cookieExpiry(t *testing.T, set []string) (time.Time, int) {
	t.Helper()
	for _, line := range set {
		if !strings.HasPrefix(line, "vishnu=") {
			continue
		}
		var expires time.Time
		maxAge := -1
		for attr := range strings.SplitSeq(line, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(attr), "=")
			switch k {
			case "Expires":
				e, err := http.ParseTime(v)
				if err != nil {
					t.Fatalf("Expires %q of %q: %v", v, line, err)
				}
				if !strings.HasSuffix(v, " GMT") {
					t.Fatalf("Expires %q of %q is not in GMT", v, line)
				}
				expires = e
			case "Max-Age":
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("Max-Age %q of %q: %v", v, line, err)
				}
				maxAge = n
			}
		}
		if expires.IsZero() || maxAge < 0 {
			t.Fatalf("session cookie %q lacks Expires or Max-Age", line)
		}
		return expires, maxAge
	}
	t.Fatalf("no session cookie among %q", set)
	return time.Time{}, 0
}

// The Expires attribute is a GMT date (RFC 6265): a server whose clock is in
// another zone must still send the instant the session ends, not its local
// wall time labelled GMT.
func TestCookieExpiresIsGMTWhateverTheClockZone(t *testing.T) {
	for _, zone := range []*time.Location{time.UTC, time.FixedZone("UTC+5", 5*3600), time.FixedZone("UTC-8", -8*3600)} {
		t.Run(zone.String(), func(t *testing.T) {
			now := time.Date(2030, 6, 1, 12, 0, 0, 0, zone)
			cfg, _ := testConfig(newClock())
			cfg.Clock = func() time.Time { return now }
			cfg.Timeout = time.Hour
			b := newBrowser(t, serve(t, newManager(t, cfg), app()))
			expires, maxAge := cookieExpiry(t, b.expect("/set?k=a&v=1", "ok"))
			if want := now.Add(time.Hour); !expires.Equal(want) {
				t.Errorf("Expires = %v, want %v", expires.UTC(), want.UTC())
			}
			if maxAge != 3600 {
				t.Errorf("Max-Age = %d, want 3600", maxAge)
			}
		})
	}
}

// A timeout changed by SetTimeout and then saved goes out in the cookie at
// once, even when the change is small enough that the expiry would not be
// pushed back for time alone (less than a tenth of the timeout).
func TestMaxAgeFollowsTimeoutChangedThenSaved(t *testing.T) {
	for _, autoSave := range []bool{true, false} {
		for _, d := range []time.Duration{65 * time.Minute, 58 * time.Minute, 2 * time.Hour, 30 * time.Minute} {
			t.Run(fmt.Sprintf("autosave=%v/%v", autoSave, d), func(t *testing.T) {
				c := newClock()
				cfg, _ := testConfig(c)
				cfg.Timeout = time.Hour
				cfg.AutoSave = autoSave
				b := newBrowser(t, serve(t, newManager(t, cfg), app()))
				b.expect("/save?k=a&v=1", "ok")
				c.Add(time.Second)
				expires, maxAge := cookieExpiry(t, b.expect("/timeout?d="+d.String()+"&save=1", "ok"))
				if want := int(d / time.Second); maxAge != want {
					t.Errorf("Max-Age = %d, want %d", maxAge, want)
				}
				if want := c.Now().Add(d); !expires.Equal(want) {
					t.Errorf("Expires = %v, want %v", expires, want)
				}
				// The next request, within a tenth of the new timeout,
				// keeps the cookie: the timeout was stored.
				c.Add(time.Second)
				if set := b.expect("/get?k=a", "true:1"); len(set) != 0 {
					t.Errorf("the saved timeout was not stored: the next request sets %q", set)
				}
			})
		}
	}
}

// A timeout set back to UntilBrowserCloses (0) drops Expires and Max-Age.
func TestTimeoutChangedToBrowserSessionDropsExpiry(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.Timeout = time.Hour
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/save?k=a&v=1", "ok")
	set := b.expect("/timeout?d=0s&save=1", "ok")
	if len(set) != 1 || strings.Contains(set[0], "Expires") || strings.Contains(set[0], "Max-Age") {
		t.Fatalf("Set-Cookie = %q, want one session cookie without Expires or Max-Age", set)
	}
}

package main

import (
	"net/url"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// User-Agents of the devices the tests log in from, with what the page
// calls them.
const (
	laptopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	phoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	tabletUA = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

	laptopDevice = "Firefox on Windows"
	phoneDevice  = "Safari on iPhone"
	tabletDevice = "Chrome on Android"
)

// Three devices of one user: the laptop lists the three sessions with
// their device, address and times, and marks its own; ending the phone's
// logs the phone out with a notice on its next page, and so does "sign out
// everywhere else" for the tablet, leaving the laptop logged in alone.
func TestYourSessions(t *testing.T) {
	srv := newTestServer(t)
	begin := time.Now().Truncate(time.Second)
	devices := map[string]*pagestest.Browser{}
	for device, ua := range map[string]string{laptopDevice: laptopUA, phoneDevice: phoneUA, tabletDevice: tabletUA} {
		b := pagestest.NewBrowser(t, srv)
		b.UserAgent = ua
		b.Post("/login", url.Values{"username": {"alice"}})
		devices[device] = b
	}
	laptop, phone, tablet := devices[laptopDevice], devices[phoneDevice], devices[tabletDevice]
	end := time.Now()

	rows := laptop.Home().Sessions()
	if len(rows) != 3 {
		t.Fatalf("the laptop lists %d sessions, want 3: %+v", len(rows), rows)
	}
	byDevice := map[string]pagestest.SessionRow{}
	for _, r := range rows {
		byDevice[r.Device] = r
		if r.IP != "127.0.0.1" {
			t.Errorf("%s: IP %q, want 127.0.0.1", r.Device, r.IP)
		}
		if r.Created.Before(begin) || r.Created.After(end) || r.LastActive.Before(r.Created) || r.LastActive.After(end) {
			t.Errorf("%s: created %v, last active %v; want both within the logins (%v to %v), in order", r.Device, r.Created, r.LastActive, begin, end)
		}
		mine := r.Device == laptopDevice
		if r.Current != mine || r.Marked != mine || r.CanEnd == mine {
			t.Errorf("%s: current %v, marked %v, End button %v; want only the laptop's current and marked, the others with End", r.Device, r.Current, r.Marked, r.CanEnd)
		}
	}
	if len(byDevice) != 3 {
		t.Fatalf("the devices listed are %v, want %s, %s and %s", byDevice, laptopDevice, phoneDevice, tabletDevice)
	}

	laptop.Post("/sessions/end", url.Values{"id": {byDevice[phoneDevice].ID}})
	p := phone.Home()
	if !p.Notice() || p.Field("user") != "not logged in" {
		t.Errorf("the phone's next page: notice %v, user %q; want the notice, logged out", p.Notice(), p.Field("user"))
	}
	if p = phone.Home(); p.Notice() {
		t.Error("the notice is shown again on the page after")
	}
	if p = tablet.Home(); p.Notice() || p.Field("user") != "alice" {
		t.Errorf("the tablet after the phone's end: notice %v, user %q; want no notice, alice", p.Notice(), p.Field("user"))
	}
	if rows = laptop.Home().Sessions(); len(rows) != 2 {
		t.Errorf("after ending the phone's session the laptop lists %d, want 2", len(rows))
	}

	laptop.Post("/sessions/end-others", nil)
	if p = tablet.Home(); !p.Notice() || p.Field("user") != "not logged in" {
		t.Errorf("the tablet after sign out everywhere else: notice %v, user %q; want the notice, logged out", p.Notice(), p.Field("user"))
	}
	p = laptop.Home()
	pagestest.Expect(t, p, map[string]string{"user": "alice"})
	if rows = p.Sessions(); p.Notice() || len(rows) != 1 || !rows[0].Current || rows[0].Device != laptopDevice {
		t.Fatalf("after signing out everywhere else the laptop (notice %v) lists %+v; want itself alone", p.Notice(), rows)
	}
}

package pagestest

import (
	"net/url"
	"testing"
	"time"
)

// Device is one of the devices the stories log in from.
type Device struct {
	Name      string `json:"name"`
	UserAgent string `json:"userAgent"`
	Device    string `json:"device"` // what the page calls it
}

// Laptop, Phone and Tablet are the user's devices, with User-Agents of
// real browsers.
var (
	Laptop = Device{"laptop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"}
	Phone  = Device{"phone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iPhone"}
	Tablet = Device{"tablet", "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Android"}
)

// YourSessions walks the app's list of the user's sessions from three
// devices of one user: the laptop lists the three sessions with
// their device, address and times, and marks its own; ending the phone's
// logs the phone out with a notice on its next page, and so does "sign out
// everywhere else" for the tablet, leaving the laptop logged in alone.
func YourSessions(t *testing.T, start Start) {
	t.Helper()
	srv := start(t)
	begin := time.Now().Truncate(time.Second)
	login := func(d Device) *Browser {
		b := NewBrowser(t, srv)
		b.UserAgent = d.UserAgent
		b.Post("/login", url.Values{"username": {"alice"}})
		return b
	}
	laptopB, phoneB, tabletB := login(Laptop), login(Phone), login(Tablet)
	end := time.Now()

	rows := laptopB.Home().Sessions()
	if len(rows) != 3 {
		t.Fatalf("the laptop lists %d sessions, want 3: %+v", len(rows), rows)
	}
	byDevice := map[string]SessionRow{}
	for _, r := range rows {
		byDevice[r.Device] = r
		if r.IP != "127.0.0.1" {
			t.Errorf("%s: IP %q, want 127.0.0.1", r.Device, r.IP)
		}
		if r.Created.Before(begin) || r.Created.After(end) || r.LastActive.Before(r.Created) || r.LastActive.After(end) {
			t.Errorf("%s: created %v, last active %v; want both within the logins (%v to %v), in order", r.Device, r.Created, r.LastActive, begin, end)
		}
		mine := r.Device == Laptop.Device
		if r.Current != mine || r.Marked != mine || r.CanEnd == mine {
			t.Errorf("%s: current %v, marked %v, End button %v; want only the laptop's current and marked, the others with End", r.Device, r.Current, r.Marked, r.CanEnd)
		}
	}
	if len(byDevice) != 3 {
		t.Fatalf("the devices listed are %v, want %s, %s and %s", byDevice, Laptop.Device, Phone.Device, Tablet.Device)
	}

	laptopB.Post("/sessions/end", url.Values{"id": {byDevice[Phone.Device].ID}})
	p := phoneB.Home()
	if !p.Notice() || p.Field("user") != "not logged in" {
		t.Errorf("the phone's next page: notice %v, user %q; want the notice, logged out", p.Notice(), p.Field("user"))
	}
	if p = phoneB.Home(); p.Notice() {
		t.Error("the notice is shown again on the page after")
	}
	if p = tabletB.Home(); p.Notice() || p.Field("user") != "alice" {
		t.Errorf("the tablet after the phone's end: notice %v, user %q; want no notice, alice", p.Notice(), p.Field("user"))
	}
	if rows = laptopB.Home().Sessions(); len(rows) != 2 {
		t.Errorf("after ending the phone's session the laptop lists %d, want 2", len(rows))
	}

	laptopB.Post("/sessions/end-others", nil)
	if p = tabletB.Home(); !p.Notice() || p.Field("user") != "not logged in" {
		t.Errorf("the tablet after sign out everywhere else: notice %v, user %q; want the notice, logged out", p.Notice(), p.Field("user"))
	}
	p = laptopB.Home()
	Expect(t, p, map[string]string{"user": "alice"})
	if rows = p.Sessions(); p.Notice() || len(rows) != 1 || !rows[0].Current || rows[0].Device != Laptop.Device {
		t.Fatalf("after signing out everywhere else the laptop (notice %v) lists %+v; want itself alone", p.Notice(), rows)
	}
}

package pages_test

import (
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// The sessions list shows each session's device, address and times, marks
// the current one, and offers End for the others; the notice shows when the
// session was ended elsewhere, and only then.
func TestRenderSessions(t *testing.T) {
	created := time.Date(2026, 12, 7, 21, 5, 9, 0, time.FixedZone("CET", 3600))
	active := created.Add(90 * time.Minute)
	d := pages.Data{User: "alice", EndedElsewhere: true, Sessions: []vishnu.UserSession{
		{ID: "a1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			IP: "192.0.2.7", Created: created, LastActive: active, Current: true},
		{ID: "b2", Label: "api client", IP: "2001:db8::1", Created: created, LastActive: created},
		{ID: "c3"},
	}}
	body, err := pages.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	p := pagestest.Page{Body: string(body)}
	if !p.Notice() {
		t.Error("no notice on a page with EndedElsewhere")
	}
	want := []pagestest.SessionRow{
		{ID: "a1", Device: "Chrome on Linux", IP: "192.0.2.7", Created: created, LastActive: active, Current: true, Marked: true},
		{ID: "b2", Device: "api client", IP: "2001:db8::1", Created: created, LastActive: created, CanEnd: true},
		{ID: "c3", Device: "unknown device", IP: "an unknown address", Created: time.Time{}, CanEnd: true},
	}
	got := p.Sessions()
	if len(got) != len(want) {
		t.Fatalf("%d sessions listed, want %d:\n%s", len(got), len(want), body)
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Device != w.Device || g.IP != w.IP || !g.Created.Equal(w.Created) || !g.LastActive.Equal(w.LastActive) ||
			g.Current != w.Current || g.Marked != w.Marked || g.CanEnd != w.CanEnd {
			t.Errorf("session %d = %+v, want %+v", i, g, w)
		}
	}
	for _, s := range []string{"2026-12-07 20:05 UTC", "2026-12-07 21:35 UTC"} {
		if !strings.Contains(p.Body, s) {
			t.Errorf("the page does not say %q:\n%s", s, body)
		}
	}

	d.EndedElsewhere = false
	if body, err = pages.Render(d); err != nil || (pagestest.Page{Body: string(body)}).Notice() || strings.Contains(string(body), "another device") {
		t.Errorf("the notice is shown without EndedElsewhere (err %v)", err)
	}
}

package vishnu_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A user's sessions are listed oldest login first, each with its label and
// login time; an entry whose info lacks them is listed without them.
func TestUserSessionsOrderAndInfo(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	m := newManager(t, cfg)
	base := serve(t, m, usersApp(m))
	var browsers []*browser
	labels := []string{"one", "two", "three", "four", "five", "six"}
	for _, l := range labels {
		b := newBrowser(t, base)
		b.expect("/login?u=ann&label="+l, "ok")
		browsers = append(browsers, b)
		c.Add(time.Minute)
	}
	list := sessionsOf(t, browsers[0])
	if len(list) != len(labels) {
		t.Fatalf("listed %+v", list)
	}
	for i, us := range list {
		want := newClock().Now().Add(time.Duration(i) * time.Minute)
		if us.Label != labels[i] || !us.LoggedIn.Equal(want) {
			t.Errorf("entry %d: %s at %v, want %s at %v", i, us.Label, us.LoggedIn, labels[i], want)
		}
	}
	// Index entries rewritten without their login time, or without any
	// info that can be read.
	idx := st.Store.(vishnu.UserIndex)
	infos := map[string][]byte{list[0].ID: vishnu.EncodeRecord(map[string][]byte{"label": []byte("bare")}), list[1].ID: nil}
	for id, info := range infos {
		if err := idx.AddUserSession(context.Background(), "ann", id, info, c.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, us := range sessionsOf(t, browsers[2]) {
		info, rewritten := infos[us.ID]
		if !rewritten {
			continue
		}
		wantLabel := ""
		if info != nil {
			wantLabel = "bare"
		}
		if us.Label != wantLabel || !us.LoggedIn.IsZero() {
			t.Errorf("an entry without a login time: %+v, want label %q and a zero LoggedIn", us, wantLabel)
		}
	}
}

// Destroy (logout) takes a logged-in session out of its user's index, and
// touches no index for a session that was never logged in.
func TestDestroyUnlistsTheSession(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	base := serve(t, m, usersApp(m))
	b := newBrowser(t, base)
	b.expect("/login?u=ann&label=a", "ok")
	idx := st.Store.(vishnu.UserIndex)
	if entries, _ := idx.UserSessions(context.Background(), "ann"); len(entries) != 1 {
		t.Fatalf("ann's index: %v", entries)
	}
	b.expect("/destroy", "ok")
	if entries, _ := idx.UserSessions(context.Background(), "ann"); len(entries) != 0 {
		t.Errorf("ann's index after the logout: %v, want empty", entries)
	}
	anon := newBrowser(t, base)
	anon.expect("/set?k=a&v=1", "ok")
	anon.expect("/destroy", "ok")
	if entries, _ := idx.UserSessions(context.Background(), ""); len(entries) != 0 {
		t.Errorf("the index of the empty user: %v", entries)
	}
}

// Login on a session bound to another user says so in the log; a first
// login, or a login again as the same user, does not.
func TestLoginAsAnotherUserIsLogged(t *testing.T) {
	cfg, _ := testConfig(newClock())
	var logs syncBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	m := newManager(t, cfg)
	b := newBrowser(t, serve(t, m, usersApp(m)))
	b.expect("/login?u=ann&label=a", "ok")
	b.expect("/login?u=ann&label=a", "ok")
	if strings.Contains(logs.String(), "another user") {
		t.Fatalf("a login of the same user was logged:\n%s", logs.String())
	}
	b.expect("/login?u=bob&label=a", "ok")
	if out := logs.String(); strings.Count(out, "another user") != 1 || !strings.Contains(out, "was=ann") {
		t.Errorf("want one line saying the session was ann's:\n%s", out)
	}
}

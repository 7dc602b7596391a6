package datastorestore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// TestUserIndex checks the index of sessions per user: entries per user
// apart, replaced when added again, removed, left out once expired (and
// deleted), and one RPC per call to add or remove, two to list (the query,
// and the Lookup of the sessions' records). Each session listed has a
// record, saved first, as Login does.
func TestUserIndex(t *testing.T) {
	c, counter := newClient(t)
	s, ns := newStore(t, c)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	want := func(user string, entries map[string]string) {
		t.Helper()
		got, err := s.UserSessions(ctx, user)
		if err != nil {
			t.Fatalf("UserSessions(%s): %v", user, err)
		}
		if got == nil {
			t.Fatalf("UserSessions(%s) returned a nil map", user)
		}
		asText := map[string]string{}
		for id, info := range got {
			asText[id] = string(info)
		}
		if !maps.Equal(asText, entries) {
			t.Errorf("UserSessions(%s) = %q, want %q", user, asText, entries)
		}
	}
	record := func(id string) {
		t.Helper()
		if err := s.Save(ctx, id, vishnu.EncodeRecord(nil), exp.Add(time.Hour)); err != nil {
			t.Fatalf("Save(%s): %v", id, err)
		}
	}
	add := func(user, id, info string, expires time.Time) {
		t.Helper()
		record(id)
		if err := s.AddUserSession(ctx, user, id, []byte(info), expires); err != nil {
			t.Fatalf("AddUserSession(%s, %s): %v", user, id, err)
		}
	}

	want("nobody", map[string]string{})
	record("s1")
	if got := counter.during(func() {
		if err := s.AddUserSession(ctx, "ada", "s1", []byte("Firefox"), exp); err != nil {
			t.Fatal(err)
		}
	}); got.String() != "Commit 1" {
		t.Errorf("AddUserSession: RPCs %s, want Commit 1", got)
	}
	add("ada", "s2", "", exp)
	add("bob", "s3", "Safari", exp)
	add("ada@example.com", "s4", "phone", exp)
	if got := counter.during(func() { want("ada", map[string]string{"s1": "Firefox", "s2": ""}) }); got.String() != "Lookup 1, RunQuery 1" {
		t.Errorf("UserSessions: RPCs %s, want Lookup 1, RunQuery 1", got)
	}
	want("bob", map[string]string{"s3": "Safari"})
	want("ada@example.com", map[string]string{"s4": "phone"})

	add("ada", "s1", "Firefox, again", exp.Add(time.Hour))
	want("ada", map[string]string{"s1": "Firefox, again", "s2": ""})
	if got := counter.during(func() {
		if err := s.RemoveUserSession(ctx, "ada", "s2"); err != nil {
			t.Fatal(err)
		}
	}); got.String() != "Commit 1" {
		t.Errorf("RemoveUserSession: RPCs %s, want Commit 1", got)
	}
	if err := s.RemoveUserSession(ctx, "ada", "never"); err != nil {
		t.Errorf("RemoveUserSession of an absent entry: %v", err)
	}
	want("ada", map[string]string{"s1": "Firefox, again"})

	// An expiry already past removes; a short one runs out.
	add("ada", "s1", "gone", time.Now().Add(-time.Second))
	add("bob", "s5", "short", time.Now().Add(300*time.Millisecond))
	want("ada", map[string]string{})
	time.Sleep(400 * time.Millisecond)
	want("bob", map[string]string{"s3": "Safari"})
	var e datastore.PropertyList
	if err := c.Get(ctx, userEntryKey(ns, "bob", "s5"), &e); !errors.Is(err, datastore.ErrNoSuchEntity) {
		t.Errorf("the expired entry is still in the Datastore after UserSessions left it out: %v", err)
	}

	for _, bad := range []string{"", "__reserved__", strings.Repeat("u", 1501)} {
		if err := s.AddUserSession(ctx, bad, "s", nil, exp); err == nil {
			t.Errorf("AddUserSession for user %.20q: no error", bad)
		}
		if _, err := s.UserSessions(ctx, bad); err == nil {
			t.Errorf("UserSessions for user %.20q: no error", bad)
		}
	}
}

// TestUserIndexConcurrent: 50 concurrent AddUserSession calls for one user,
// racing with removals of other entries of that user, all stay listed.
func TestUserIndexConcurrent(t *testing.T) {
	c, _ := newClient(t)
	s, _ := newStore(t, c)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for i := range 50 {
		for _, id := range []string{fmt.Sprintf("old%02d", i), fmt.Sprintf("new%02d", i)} {
			if err := s.Save(ctx, id, vishnu.EncodeRecord(nil), exp); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddUserSession(ctx, "ada", fmt.Sprintf("old%02d", i), nil, exp); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := s.AddUserSession(ctx, "ada", fmt.Sprintf("new%02d", i), []byte("x"), exp); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := s.RemoveUserSession(ctx, "ada", fmt.Sprintf("old%02d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.UserSessions(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Errorf("%d entries listed after 50 concurrent adds and 50 removals of others, want the 50 added", len(got))
	}
	for id := range got {
		if !strings.HasPrefix(id, "new") {
			t.Errorf("removed entry %s is still listed", id)
		}
	}
}

// TestCleanupUserEntries: Cleanup deletes dormant index entries after the
// dormant sessions, within the same limit, and says finished only once
// neither is left; live entries stay.
func TestCleanupUserEntries(t *testing.T) {
	c, _ := newClient(t)
	s, ns := newStore(t, c)
	ctx := context.Background()
	saveMany(t, s, "dormant", 3, time.Now().Add(-2*time.Hour))
	old := time.Now().Add(-2 * time.Hour)
	for i := range 3 {
		// Written directly: AddUserSession would not write an expired entry.
		if _, err := c.Put(ctx, userEntryKey(ns, "ada", fmt.Sprint("e", i)), &datastore.PropertyList{
			{Name: "data", Value: []byte("x"), NoIndex: true},
			{Name: "expires", Value: old},
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The live session has its record, saved first, as Login does.
	if err := s.Save(ctx, "live", vishnu.EncodeRecord(nil), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUserSession(ctx, "ada", "live", []byte("x"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// 3 sessions and 3 entries, 2 per call: 2 sessions; 1 session and 1
	// entry; 2 entries, and none left.
	for call, want := range []bool{false, false, true} {
		finished, err := s.Cleanup(ctx, time.Hour, 2)
		if err != nil {
			t.Fatal(err)
		}
		if finished != want {
			t.Fatalf("Cleanup call %d of 3 sessions and 3 entries, limit 2: finished %v, want %v", call+1, finished, want)
		}
	}
	got, err := s.UserSessions(ctx, "ada")
	if err != nil || len(got) != 1 || got["live"] == nil {
		t.Errorf("after Cleanup, ada's entries: %q, %v; want the live one", got, err)
	}
}

// userEntryKey returns the key of user's index entry for the session id,
// for looking at it directly.
func userEntryKey(ns, user, id string) *datastore.Key {
	parent := datastore.NameKey(datastorestore.DefaultKind+"User", user, nil)
	parent.Namespace = ns
	k := datastore.NameKey(datastorestore.DefaultKind+"UserEntry", id, parent)
	k.Namespace = ns
	return k
}

// TestLoginSignOutEverywhere drives core's sessions per user over a real
// server: a user logs in from three browsers, lists them, and signs out
// everywhere else; the other two are logged out, the current one stays.
func TestLoginSignOutEverywhere(t *testing.T) {
	c, _ := newClient(t)
	s, _ := newStore(t, c)
	secret := make([]byte, 32)
	copy(secret, "a test secret of thirty-two bytes")
	m, err := vishnu.New(vishnu.Config{
		Store: s, Secret: secret, AutoSave: true,
		Cookie: vishnu.CookieConfig{Insecure: true},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Login("ada", r.URL.Query().Get("device")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/who", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, vishnu.FromContext(r.Context()).User())
	})
	mux.HandleFunc("/sessions", func(w http.ResponseWriter, r *http.Request) {
		list, err := m.UserSessions(r.Context(), "ada", vishnu.FromContext(r.Context()))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, us := range list {
			fmt.Fprintf(w, "%s %v\n", us.Label, us.Current)
		}
	})
	mux.HandleFunc("/everywhere", func(w http.ResponseWriter, r *http.Request) {
		if err := m.EndUserSessions(r.Context(), "ada", vishnu.FromContext(r.Context())); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	})
	ts := httptest.NewServer(m.Handler(mux))
	defer ts.Close()
	get := func(hc *http.Client, path string) string {
		t.Helper()
		resp, err := hc.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	var browsers []*http.Client
	for _, device := range []string{"laptop", "phone", "tablet"} {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		browsers = append(browsers, hc)
		get(hc, "/login?device="+device)
	}
	list := get(browsers[0], "/sessions")
	for _, line := range []string{"laptop true", "phone false", "tablet false"} {
		if !strings.Contains(list, line+"\n") {
			t.Errorf("the laptop's list of ada's sessions:\n%s\nwant a line %q", list, line)
		}
	}
	get(browsers[0], "/everywhere")
	if who := get(browsers[0], "/who"); who != "ada" {
		t.Errorf("the laptop, which signed out everywhere else, is now %q, want ada", who)
	}
	for i, hc := range browsers[1:] {
		if who := get(hc, "/who"); who != "" {
			t.Errorf("browser %d is still %q after sign-out everywhere", i+2, who)
		}
	}
	if list := get(browsers[0], "/sessions"); list != "laptop true\n" {
		t.Errorf("ada's sessions after sign-out everywhere:\n%s\nwant only the laptop", list)
	}
}

package vishnu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The memory store's index of sessions per user, checked from inside: the
// entries it holds, not only those it lists.

// entriesHeld counts the index's entries, and checks that its structures
// agree on the number.
func (s *MemoryStore) entriesHeld(t *testing.T) int {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &s.users
	n := u.byExp.len()
	byUser := 0
	for _, ids := range u.byUser {
		byUser += len(ids)
	}
	byID := 0
	for _, e := range u.byID {
		for ; e >= 0; e = u.ents[e].next {
			byID++
		}
	}
	if byUser != n || byID != n || len(u.ents)-len(u.free) != n {
		t.Fatalf("index structures disagree: %d in the heap, %d by user, %d by id, %d slots used", n, byUser, byID, len(u.ents)-len(u.free))
	}
	return n
}

type memTestClock struct{ now time.Time }

func (c *memTestClock) Now() time.Time      { return c.now }
func (c *memTestClock) Add(d time.Duration) { c.now = c.now.Add(d) }
func newMemTestClock() *memTestClock {
	return &memTestClock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
}
func (c *memTestClock) in(d time.Duration) time.Time { return c.now.Add(d) }

func newTestMemStore(t *testing.T, max int, c *memTestClock) *MemoryStore {
	t.Helper()
	s, err := NewMemoryStoreWithOptions(MemoryStoreOptions{MaxEntries: max, Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Logins far beyond the store's bound leave no more index entries than
// records: an entry goes with its evicted record.
func TestMemoryStoreIndexBoundedByLogins(t *testing.T) {
	const max, logins, users = 64, 40_000, 1_000
	st, err := NewMemoryStoreWithOptions(MemoryStoreOptions{MaxEntries: max})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{Store: st, Secret: testSecretA, Cookie: CookieConfig{Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := FromContext(r.Context()).Login(fmt.Sprint("user", n%users), "Firefox on Linux"); err != nil {
			t.Error(err)
		}
		n++
	}))
	for range logins {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}
	if t.Failed() {
		return
	}
	listed := 0
	for i := range users {
		got, err := st.UserSessions(context.Background(), fmt.Sprint("user", i))
		if err != nil {
			t.Fatal(err)
		}
		listed += len(got)
	}
	if held := st.entriesHeld(t); held > max || listed > max {
		t.Fatalf("after %d logins into a store of %d records, the index holds %d entries and lists %d; want at most %d", logins, max, held, listed, max)
	}
	if listed != st.Len() {
		t.Fatalf("the index lists %d sessions, the store holds %d records: every live login must be listed", listed, st.Len())
	}
}

// An entry goes when its record goes, however it goes, and with its own
// expiry when that comes first; nobody needs to list its user for that.
func TestMemoryStoreIndexEntryGoesWithRecord(t *testing.T) {
	ctx := context.Background()
	rec := EncodeRecord(map[string][]byte{"a": []byte("1")})
	for _, tc := range []struct {
		name string
		end  func(st *MemoryStore, c *memTestClock)
	}{
		{"Delete", func(st *MemoryStore, _ *memTestClock) { st.Delete(ctx, "s") }},
		{"expiry", func(st *MemoryStore, c *memTestClock) { c.Add(time.Minute); st.Len() }},
		{"saved expired", func(st *MemoryStore, c *memTestClock) { st.Save(ctx, "s", rec, c.now) }},
		{"committed expired", func(st *MemoryStore, c *memTestClock) { st.Commit(ctx, "s", &Change{Expires: c.now}) }},
		{"eviction", func(st *MemoryStore, c *memTestClock) {
			st.Save(ctx, "t", rec, c.in(time.Hour))
			st.Save(ctx, "u", rec, c.in(time.Hour))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newMemTestClock()
			st := newTestMemStore(t, 2, c)
			st.Save(ctx, "s", rec, c.in(time.Minute))
			st.Save(ctx, "other", rec, c.in(2*time.Hour))
			if err := st.AddUserSession(ctx, "ada", "s", []byte("s"), c.in(24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := st.AddUserSession(ctx, "ada", "other", []byte("other"), c.in(24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			tc.end(st, c)
			if n := st.entriesHeld(t); n != 1 {
				t.Fatalf("%d entries held after the record went, want 1 (the other session's)", n)
			}
			got, _ := st.UserSessions(ctx, "ada")
			if len(got) != 1 || string(got["other"]) != "other" {
				t.Fatalf("listed %q, want only the other session", got)
			}
		})
	}
	t.Run("own expiry", func(t *testing.T) {
		c := newMemTestClock()
		st := newTestMemStore(t, 10, c)
		st.Save(ctx, "s", rec, c.in(time.Hour))
		st.AddUserSession(ctx, "ada", "s", nil, c.in(time.Minute))
		st.AddUserSession(ctx, "bob", "no record", nil, c.in(time.Minute))
		st.AddUserSession(ctx, "bob", "later", nil, c.in(time.Hour))
		c.Add(time.Minute)
		if _, err := st.Load(ctx, "s"); err != nil {
			t.Fatal(err)
		}
		if n := st.entriesHeld(t); n != 1 {
			t.Fatalf("%d entries held past the expiry of two of three, want 1", n)
		}
	})
	t.Run("saved after listed", func(t *testing.T) {
		// An entry added before its record is saved is tied to it all
		// the same.
		c := newMemTestClock()
		st := newTestMemStore(t, 10, c)
		st.AddUserSession(ctx, "ada", "s", nil, c.in(time.Hour))
		st.AddUserSession(ctx, "bob", "s", nil, c.in(time.Hour))
		st.Save(ctx, "s", rec, c.in(time.Hour))
		st.Delete(ctx, "s")
		if n := st.entriesHeld(t); n != 0 {
			t.Fatalf("%d entries held after the record of the id listed for two users went, want 0", n)
		}
	})
}

// Entries without records (of sessions that ended before they were
// listed) are bounded by MaxEntries too: the one closest to expiry makes
// room for the new one.
func TestMemoryStoreIndexBoundedByMaxEntries(t *testing.T) {
	ctx := context.Background()
	c := newMemTestClock()
	st := newTestMemStore(t, 3, c)
	for i := range 5 {
		if err := st.AddUserSession(ctx, "ada", fmt.Sprint(i), nil, c.in(time.Duration(10-i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := st.UserSessions(ctx, "ada")
	if len(got) != 3 || got["0"] == nil || got["1"] == nil || got["4"] == nil {
		t.Fatalf("listed %d entries (%v), want 0, 1 (the latest to expire) and 4 (the last added)", len(got), got)
	}
	// Adding an id already listed takes no room.
	st.AddUserSession(ctx, "ada", "0", []byte("again"), c.in(time.Hour))
	if got, _ := st.UserSessions(ctx, "ada"); len(got) != 3 || string(got["0"]) != "again" {
		t.Fatalf("after an entry was added again: %q", got)
	}
}

// Info is bounded: at the bound it is kept, beyond it refused with a clear
// error, through the store and through Login.
func TestMemoryStoreIndexInfoBound(t *testing.T) {
	ctx := context.Background()
	c := newMemTestClock()
	st := newTestMemStore(t, 10, c)
	at := []byte(strings.Repeat("i", MemoryStoreMaxInfo))
	if err := st.AddUserSession(ctx, "ada", "at", at, c.in(time.Hour)); err != nil {
		t.Fatalf("info of %d bytes, the bound: %v", len(at), err)
	}
	err := st.AddUserSession(ctx, "ada", "over", append(at, 'x'), c.in(time.Hour))
	if !errors.Is(err, ErrInfoTooLarge) || !strings.HasPrefix(err.Error(), "vishnu: ") {
		t.Fatalf("info one byte over the bound: %v, want ErrInfoTooLarge", err)
	}
	if got, _ := st.UserSessions(ctx, "ada"); len(got) != 1 || len(got["at"]) != MemoryStoreMaxInfo {
		t.Fatalf("listed %d entries, want only the one at the bound", len(got))
	}

	m, err := New(Config{Store: st, Secret: testSecretA, Clock: c.Now, Cookie: CookieConfig{Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	var loginErr error
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loginErr = FromContext(r.Context()).Login("bob", strings.Repeat("l", MemoryStoreMaxInfo))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !errors.Is(loginErr, ErrInfoTooLarge) {
		t.Fatalf("Login with a label of %d bytes: %v, want ErrInfoTooLarge", MemoryStoreMaxInfo, loginErr)
	}
}

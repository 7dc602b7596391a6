package datastorestore_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// TestUserSessionsPrunesDeadEntries lists, on the emulator, a user with
// 10,000 entries of sessions that ended (no record: it was deleted) or
// expired (a record past its expiry, waiting for Cleanup), and 3 live
// sessions: the listing gives the 3 and leaves only their entries. The
// dead entries and records are written in batches of 500 in the store's
// layout, which the test first checks against what the store's own calls
// leave behind. It logs the RPCs the listing makes (a gRPC interceptor
// counts them) and its time. The emulator takes tens of seconds to query
// 10,000 entities on a busy machine: with -short, the user has 1,000 dead
// entries instead.
func TestUserSessionsPrunesDeadEntries(t *testing.T) {
	client, counter := newClient(t)
	// The emulator answers a query of 10,000 entities slowly, on a busy
	// machine more slowly than the default timeout allows.
	s, ns := newStore(t, client, datastorestore.WithTimeout(2*time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const user = "ada@example.com"
	deadCount := 10000
	if testing.Short() {
		deadCount = 1000
	}
	parent := datastore.NameKey(datastorestore.DefaultKind+"User", user, nil)
	parent.Namespace = ns
	entryKey := func(id string) *datastore.Key {
		k := datastore.NameKey(datastorestore.DefaultKind+"UserEntry", id, parent)
		k.Namespace = ns
		return k
	}
	record := vishnu.EncodeRecord(map[string][]byte{"user": []byte(user)})

	// Three live sessions, as Login makes them: the record first, then the
	// entry, which lives as long as a session could.
	live := map[string][]byte{}
	for i := range 3 {
		id := newSessionID()
		live[id] = fmt.Appendf(nil, "device %d", i)
		if err := s.Save(ctx, id, record, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.AddUserSession(ctx, user, id, live[id], time.Now().Add(vishnu.MaxTimeout)); err != nil {
			t.Fatal(err)
		}
	}

	// What a session that ended leaves behind, through the store's calls:
	// its entry, without a record; and one that expired: its entry and
	// its record, past its expiry.
	ended, expired := newSessionID(), newSessionID()
	entryExpiry := time.Now().Add(vishnu.MaxTimeout)
	for _, id := range []string{ended, expired} {
		if err := s.Save(ctx, id, record, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.AddUserSession(ctx, user, id, []byte("gone"), entryExpiry); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, ended); err != nil {
		t.Fatal(err)
	}
	pastExpiry := time.Now().Add(-time.Minute)
	if err := s.Save(ctx, expired, record, pastExpiry); err != nil {
		t.Fatal(err)
	}
	var realEntry, realRecord datastore.PropertyList
	if err := client.Get(ctx, entryKey(expired), &realEntry); err != nil {
		t.Fatal(err)
	}
	if err := client.Get(ctx, sessionKey(ns, expired), &realRecord); err != nil {
		t.Fatalf("the record of a session saved with a past expiry: %v", err)
	}
	if err := client.Get(ctx, sessionKey(ns, ended), &datastore.PropertyList{}); !errors.Is(err, datastore.ErrNoSuchEntity) {
		t.Fatalf("the record of a deleted session: %v, want ErrNoSuchEntity", err)
	}
	// The rest, in the same layout: each entity like the one the store
	// wrote, under another id.
	entry, rec := slices.Clone(realEntry), slices.Clone(realRecord)
	start := time.Now()
	var entryKeys, recordKeys []*datastore.Key
	for i := range deadCount - 2 {
		id := newSessionID()
		entryKeys = append(entryKeys, entryKey(id))
		if i%2 == 1 {
			recordKeys = append(recordKeys, sessionKey(ns, id))
		}
	}
	// Deleted by key when the test ends: the emulator queries so many
	// entities too slowly for the namespace's own cleanup.
	t.Cleanup(func() { deleteAll(t, client, slices.Concat(entryKeys, recordKeys)) })
	putAll(ctx, t, client, entryKeys, entry)
	putAll(ctx, t, client, recordKeys, rec)
	t.Logf("%d dead entries and %d expired records written in %v", len(entryKeys), len(recordKeys), time.Since(start).Round(time.Millisecond))

	var got map[string][]byte
	var err error
	start = time.Now()
	calls := counter.during(func() { got, err = s.UserSessions(ctx, user) })
	took := time.Since(start)
	if err != nil {
		t.Fatalf("UserSessions: %v", err)
	}
	if len(got) != 3 {
		t.Errorf("UserSessions listed %d entries, want the 3 live ones", len(got))
	}
	for id, info := range live {
		if string(got[id]) != string(info) {
			t.Errorf("UserSessions: entry %s has info %q, want %q", id, got[id], info)
		}
	}
	if n := countEntries(ctx, t, client, parent); n != 3 {
		t.Errorf("the user has %d entries after the listing, want 3", n)
	}
	// The records are looked up 1,000 at a time, and the dead entries
	// deleted 500 at a time; none is past its own expiry, so no
	// transaction runs.
	lookups, commits := (deadCount+3+999)/1000, (deadCount+499)/500
	if calls["Lookup"] != lookups || calls["Commit"] != commits || calls["BeginTransaction"] != 0 {
		t.Errorf("UserSessions made %v, want Lookup %d and Commit %d besides its query", calls, lookups, commits)
	}
	t.Logf("listing %d dead entries and 3 live ones: %d RPCs (%v), %v", deadCount, calls.total(), calls, took.Round(time.Millisecond))
}

// putAll writes props under each of keys, 500 entities per Commit.
func putAll(ctx context.Context, t *testing.T, c *datastore.Client, keys []*datastore.Key, props datastore.PropertyList) {
	t.Helper()
	for len(keys) > 0 {
		n := min(len(keys), 500)
		src := make([]datastore.PropertyList, n)
		for i := range src {
			src[i] = props
		}
		if _, err := c.PutMulti(ctx, keys[:n], src); err != nil {
			t.Fatal(err)
		}
		keys = keys[n:]
	}
}

// deleteAll deletes the entities of keys, 500 per Commit.
func deleteAll(t *testing.T, c *datastore.Client, keys []*datastore.Key) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.DeleteMulti(ctx, keys[:n]); err != nil {
			t.Logf("deleting the test's entities: %v", err)
			return
		}
		keys = keys[n:]
	}
}

// countEntries counts the entries under parent with a keys-only ancestor
// query.
func countEntries(ctx context.Context, t *testing.T, c *datastore.Client, parent *datastore.Key) int {
	t.Helper()
	keys, err := c.GetAll(ctx, datastore.NewQuery(datastorestore.DefaultKind+"UserEntry").Namespace(parent.Namespace).Ancestor(parent).KeysOnly(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

// newSessionID returns a random id shaped like those Vishnu gives stores.
func newSessionID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

package datastorestore_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// These tests check what the conformance suite cannot see: how sessions
// are laid out in the Datastore, what each call costs, and the options.

func record(kv ...string) []byte {
	m := make(map[string][]byte, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return vishnu.EncodeRecord(m)
}

// TestEntityLayout reads a saved session straight from the Datastore: one
// entity of kind Session in the store's namespace, named by the id, its
// record unindexed (a byte string over 1500 bytes could not be indexed)
// and its expiry an indexed timestamp, rounded up to the microsecond.
func TestEntityLayout(t *testing.T) {
	c, _ := newClient(t)
	s, ns := newStore(t, c)
	ctx := context.Background()
	data := bytes.Repeat([]byte("x"), 4000)
	expires := time.Now().Add(time.Hour).Truncate(time.Microsecond).Add(1) // 1 ns past a microsecond
	if err := s.Save(ctx, "layout-id", data, expires); err != nil {
		t.Fatal(err)
	}
	var props datastore.PropertyList
	if err := c.Get(ctx, sessionKey(ns, "layout-id"), &props); err != nil {
		t.Fatalf("the entity of kind %s named layout-id in namespace %s: %v", datastorestore.DefaultKind, ns, err)
	}
	if len(props) != 2 {
		t.Fatalf("the entity has %d properties, want 2 (data, expires): %+v", len(props), props)
	}
	for _, p := range props {
		switch p.Name {
		case "data":
			if !p.NoIndex {
				t.Error("data is indexed")
			}
			if b, _ := p.Value.([]byte); !bytes.Equal(b, data) {
				t.Errorf("data holds %T of %d bytes, want the record's %d bytes", p.Value, len(b), len(data))
			}
		case "expires":
			if p.NoIndex {
				t.Error("expires is not indexed: Cleanup's query needs it")
			}
			got, ok := p.Value.(time.Time)
			if want := expires.Truncate(time.Microsecond).Add(time.Microsecond); !ok || !got.Equal(want) {
				t.Errorf("expires = %v (%T), want %v: the asked expiry rounded up to the microsecond", p.Value, p.Value, want)
			}
		default:
			t.Errorf("unexpected property %s", p.Name)
		}
	}
}

// TestNamedDatabase keeps sessions in a named database: the store works
// there as in the default one, and the two databases do not see each
// other's sessions.
func TestNamedDatabase(t *testing.T) {
	addr := emulatorAddr(t)
	named := dialEmulator(t, addr, "vishnu-sessions", nil)
	dflt := dialEmulator(t, addr, "", nil)
	ns := testNamespace()
	sNamed, err := datastorestore.New(named, datastorestore.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	sDefault, err := datastorestore.New(dflt, datastorestore.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropNamespace(t, named, ns); dropNamespace(t, dflt, ns) })
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := sNamed.Save(ctx, "id", record("db", "named"), exp); err != nil {
		t.Fatal(err)
	}
	if err := sNamed.Commit(ctx, "id", &vishnu.Change{Set: []vishnu.Field{{Key: "n", Value: []byte("1")}}, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := sNamed.Touch(ctx, "id", exp.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := sNamed.Load(ctx, "id")
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := vishnu.DecodeRecord(got)
	if string(fields["db"]) != "named" || string(fields["n"]) != "1" {
		t.Errorf("the named database's session holds %q", fields)
	}
	if _, err := sDefault.Load(ctx, "id"); !errors.Is(err, vishnu.ErrNotFound) {
		t.Errorf("Load from the default database of a session saved in the named one: %v, want ErrNotFound", err)
	}
	if err := sNamed.Save(ctx, "old", []byte("x"), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if finished, err := sNamed.Cleanup(ctx, 0, 10); err != nil || !finished {
		t.Fatalf("Cleanup in the named database: %v, %v", finished, err)
	}
	var e datastore.PropertyList
	if err := named.Get(ctx, sessionKey(ns, "old"), &e); !errors.Is(err, datastore.ErrNoSuchEntity) {
		t.Errorf("the expired session is still in the named database after Cleanup: %v", err)
	}
}

// TestRPCs counts the RPCs of each operation, as the README states them.
func TestRPCs(t *testing.T) {
	c, counter := newClient(t)
	s, _ := newStore(t, c)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	change := func(create bool) *vishnu.Change {
		return &vishnu.Change{Create: create, Set: []vishnu.Field{{Key: "k", Value: []byte("v")}}, Expires: exp}
	}
	tests := []struct {
		name string
		want string
		op   func() error
	}{
		{"Save", "Commit 1", func() error { return s.Save(ctx, "a", record("x", "1"), exp) }},
		{"Load", "Lookup 1", func() error { _, err := s.Load(ctx, "a"); return err }},
		{"Load of a missing session", "Lookup 1", func() error { _, err := s.Load(ctx, "missing"); return wantNotFound(err) }},
		{"Commit", "Lookup 1, Commit 1", func() error { return s.Commit(ctx, "a", change(false)) }},
		{"Commit creating the session", "Lookup 1, Commit 1", func() error { return s.Commit(ctx, "new", change(true)) }},
		{"Commit on a missing session", "Lookup 1, Rollback 1", func() error { return wantNotFound(s.Commit(ctx, "missing", change(false))) }},
		{"Touch", "Lookup 1, Commit 1", func() error { return s.Touch(ctx, "a", exp.Add(time.Minute)) }},
		{"Touch of a missing session", "Lookup 1, Rollback 1", func() error { return wantNotFound(s.Touch(ctx, "missing", exp)) }},
		{"Delete", "Commit 1", func() error { return s.Delete(ctx, "a") }},
		{"Cleanup with nothing to delete", "RunQuery 2", func() error { _, err := s.Cleanup(ctx, 0, 100); return err }}, // sessions, then index entries
	}
	for _, tt := range tests {
		var err error
		got := counter.during(func() { err = tt.op() })
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got.String() != tt.want {
			t.Errorf("%s: RPCs %s, want %s", tt.name, got, tt.want)
		} else {
			t.Logf("%s: %s", tt.name, got)
		}
	}

	// Cleanup: the queries, and one transaction (a Lookup and a Commit)
	// per 25 deletions.
	for i := range 600 {
		if err := s.Save(ctx, "old-"+strconv.Itoa(i), []byte("x"), time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	var finished bool
	var err error
	got := counter.during(func() { finished, err = s.Cleanup(ctx, 0, 1000) })
	if err != nil || !finished {
		t.Fatalf("Cleanup of 600: %v, %v", finished, err)
	}
	if got["Commit"] != 24 || got["Lookup"] != 24 || got["RunQuery"] < 1 || got.total() != 48+got["RunQuery"] {
		t.Errorf("Cleanup deleting 600 sessions: RPCs %s, want 24 Lookups, 24 Commits and the queries", got)
	}
	t.Logf("Cleanup deleting 600 sessions: %s", got)
}

func wantNotFound(err error) error {
	if errors.Is(err, vishnu.ErrNotFound) {
		return nil
	}
	return errors.Join(errors.New("want vishnu.ErrNotFound"), err)
}

// TestTimeout points a store at a listener that accepts connections and
// never answers, with no deadline from the caller: every call returns
// within the store's timeout (the client alone would wait up to a minute),
// with an error that is not ErrNotFound.
func TestTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() }) // after the parallel subtests, unlike a defer
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	const timeout = 500 * time.Millisecond
	s, err := datastorestore.New(dialEmulator(t, l.Addr().String(), "", nil), datastorestore.WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	calls := map[string]func() error{
		"Load":    func() error { _, err := s.Load(ctx, "id"); return err },
		"Save":    func() error { return s.Save(ctx, "id", []byte("x"), exp) },
		"Delete":  func() error { return s.Delete(ctx, "id") },
		"Commit":  func() error { return s.Commit(ctx, "id", &vishnu.Change{Create: true, Expires: exp}) },
		"Touch":   func() error { return s.Touch(ctx, "id", exp) },
		"Cleanup": func() error { _, err := s.Cleanup(ctx, 0, 10); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := call()
			took := time.Since(start)
			switch {
			case err == nil || errors.Is(err, vishnu.ErrNotFound):
				t.Errorf("on a Datastore that does not answer: %v, want an error that is not ErrNotFound", err)
			case !errors.Is(err, context.DeadlineExceeded):
				t.Errorf("%v, want an error that errors.Is context.DeadlineExceeded", err)
			case took > timeout+time.Second:
				t.Errorf("took %v with a timeout of %v", took, timeout)
			}
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
		})
	}
}

// TestNew checks New's refusals.
func TestNew(t *testing.T) {
	if _, err := datastorestore.New(nil); err == nil {
		t.Error("New(nil) returned no error")
	}
	c := dialEmulator(t, freeAddr(t), "", nil) // New makes no request
	bad := map[string]datastorestore.Option{
		"empty kind":         datastorestore.WithKind(""),
		"reserved kind":      datastorestore.WithKind("__kind__"),
		"long kind":          datastorestore.WithKind(strings.Repeat("k", 1501)),
		"namespace with /":   datastorestore.WithNamespace("a/b"),
		"long namespace":     datastorestore.WithNamespace(strings.Repeat("n", 101)),
		"reserved namespace": datastorestore.WithNamespace("__ns__"),
		"negative timeout":   datastorestore.WithTimeout(-time.Second),
		"zero attempts":      datastorestore.WithMaxAttempts(0),
		"negative attempts":  datastorestore.WithMaxAttempts(-1),
	}
	for name, opt := range bad {
		if _, err := datastorestore.New(c, opt); err == nil || !strings.HasPrefix(err.Error(), "datastorestore: ") {
			t.Errorf("New with %s: %v, want an error", name, err)
		}
	}
	good := []datastorestore.Option{
		datastorestore.WithKind("VishnuSession"), datastorestore.WithNamespace("app-1.sessions_v2"),
		datastorestore.WithTimeout(0), datastorestore.WithMaxAttempts(1), nil,
	}
	if _, err := datastorestore.New(c, good...); err != nil {
		t.Errorf("New with valid options: %v", err)
	}
}

// TestTooLarge checks that a record over MaxRecordSize is refused before
// anything is sent, by Save and by a Commit whose result would be too
// large, and that the stored session is left as it was.
func TestTooLarge(t *testing.T) {
	c, counter := newClient(t)
	s, _ := newStore(t, c)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	big := make([]byte, datastorestore.MaxRecordSize+1)
	var err error
	if got := counter.during(func() { err = s.Save(ctx, "id", big, exp) }); !errors.Is(err, datastorestore.ErrTooLarge) || got.total() != 0 {
		t.Errorf("Save of MaxRecordSize+1 bytes: %v after RPCs %s; want ErrTooLarge and no RPC", err, got)
	}
	small := record("a", "1")
	if err := s.Save(ctx, "id", small, exp); err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx, "id", &vishnu.Change{Set: []vishnu.Field{{Key: "big", Value: big[:datastorestore.MaxRecordSize-10]}}, Expires: exp})
	if !errors.Is(err, datastorestore.ErrTooLarge) {
		t.Errorf("Commit growing the record past MaxRecordSize: %v, want ErrTooLarge", err)
	}
	if got, err := s.Load(ctx, "id"); err != nil || !bytes.Equal(got, small) {
		t.Errorf("after the refused Commit the session holds %d bytes (%v), want the %d it had", len(got), err, len(small))
	}
}

package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	vishnu "github.com/vishnu-go/vishnu/core"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

func hour() time.Time { return time.Now().Add(time.Hour) }

// TestRoundTrips counts the round trips of each call on a connection that
// has prepared its statements: one each, Commit included, whatever the
// change.
func TestRoundTrips(t *testing.T) {
	var tc tripCounter
	pool := newPool(t, serverURL(t), tc.configure, func(c *pgxpool.Config) { c.MaxConns = 1 })
	f := newStore(t, pool)
	ctx := context.Background()
	big := map[string]string{}
	for i := range 100 {
		big["k"+strconv.Itoa(i)] = strings.Repeat("v", 64)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Save", func() error { return f.Save(ctx, "id", record(big), hour()) }},
		{"Load", func() error { _, err := f.Load(ctx, "id"); return err }},
		{"Commit", func() error {
			return f.Commit(ctx, "id", &vishnu.Change{Set: set("a", "1", "b", "2"), Delete: []string{"k1"}, Expires: hour()})
		}},
		{"Commit/create", func() error {
			return f.Commit(ctx, "new", &vishnu.Change{Create: true, Set: set("a", "1"), Expires: hour()})
		}},
		{"Commit/missing", func() error {
			err := f.Commit(ctx, "missing", &vishnu.Change{Set: set("a", "1"), Expires: hour()})
			if errors.Is(err, vishnu.ErrNotFound) {
				return nil
			}
			return fmt.Errorf("Commit of a missing session: %v, want ErrNotFound", err)
		}},
		{"Touch", func() error { return f.Touch(ctx, "id", hour()) }},
		{"Delete", func() error { return f.Delete(ctx, "new") }},
		{"AddUserSession", func() error { return f.AddUserSession(ctx, "alice", "id", []byte("info"), hour()) }},
		{"UserSessions", func() error { _, err := f.UserSessions(ctx, "alice"); return err }},
		{"RemoveUserSession", func() error { return f.RemoveUserSession(ctx, "alice", "id") }},
	}
	for _, c := range calls {
		_ = c.call() // prepares the statement on the connection
	}
	for _, c := range calls {
		var err error
		if n := tc.count(func() { err = c.call() }); err != nil || n != 1 {
			t.Errorf("%s: %d round trips (err %v), want 1", c.name, n, err)
		}
	}
}

// TestLayout checks the rows behind a session: a record as Vishnu writes
// it is one row per field, read back in its order, byte for byte; other
// bytes are kept whole; and a commit rewrites only the rows it changes,
// which is what makes its cost follow the change, not the session.
func TestLayout(t *testing.T) {
	f := newStore(t, newPool(t, serverURL(t)))
	ctx := context.Background()
	fields := map[string][]byte{"\x00created": {1, 2}, "a": []byte("1"), "b": {}, "c": bytes.Repeat([]byte{0xff}, 300)}
	rec := vishnu.EncodeRecord(fields)
	if err := f.Save(ctx, "rows", rec, hour()); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Load(ctx, "rows"); err != nil || !bytes.Equal(got, rec) {
		t.Fatalf("Load = %q, %v; want the saved record byte for byte %q", got, err, rec)
	}
	if n := f.count(t, `SELECT count(*) FROM %s WHERE id = 'rows'`, "_fields"); n != len(fields) {
		t.Errorf("%d field rows for a record of %d fields", n, len(fields))
	}
	// Bytes that are not a record in Vishnu's form (a name twice) stay
	// whole, and come back as they were.
	odd := []byte("\x01\x02\x01a\x011\x01a\x012")
	if err := f.Save(ctx, "raw", odd, hour()); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Load(ctx, "raw"); err != nil || !bytes.Equal(got, odd) {
		t.Fatalf("Load = %q, %v; want %q", got, err, odd)
	}
	if n := f.count(t, `SELECT count(*) FROM %s WHERE id = 'raw'`, "_fields"); n != 0 {
		t.Errorf("%d field rows for bytes kept whole", n)
	}

	// The row versions (xmin) of the fields a commit leaves alone do not
	// change: they are not rewritten.
	versions := func() map[string]string {
		rows, err := f.pool.Query(ctx, fmt.Sprintf(`SELECT name, xmin::text FROM %s WHERE id = 'rows'`, f.object("_fields")))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for rows.Next() {
			var name []byte
			var xmin string
			if err := rows.Scan(&name, &xmin); err != nil {
				t.Fatal(err)
			}
			m[string(name)] = xmin
		}
		return m
	}
	before := versions()
	if err := f.Commit(ctx, "rows", &vishnu.Change{Set: set("a", "2", "d", "4"), Delete: []string{"b"}, Expires: hour()}); err != nil {
		t.Fatal(err)
	}
	after := versions()
	for _, k := range []string{"\x00created", "c"} {
		if after[k] != before[k] {
			t.Errorf("field %q untouched by the commit was rewritten (xmin %s, was %s)", k, after[k], before[k])
		}
	}
	if _, ok := after["b"]; ok || after["a"] == before["a"] || after["d"] == "" {
		t.Errorf("rows after the commit: %v (before %v): want b gone, a rewritten, d added", after, before)
	}
	got, err := f.Load(ctx, "rows")
	if err != nil {
		t.Fatal(err)
	}
	gotFields, err := vishnu.DecodeRecord(got)
	if err != nil || len(gotFields) != 4 || string(gotFields["a"]) != "2" || string(gotFields["d"]) != "4" || !bytes.Equal(gotFields["c"], fields["c"]) {
		t.Errorf("after the commit Load decodes to %q, %v", gotFields, err)
	}
}

// object returns the quoted, qualified name of the store's object with
// this suffix.
func (f *fixture) object(suffix string) string {
	return pgx.Identifier{f.schema, pgstore.DefaultTable + suffix}.Sanitize()
}

// count runs a count query whose %s is the object with suffix.
func (f *fixture) count(t testing.TB, query, suffix string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), fmt.Sprintf(query, f.object(suffix))).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentCommits runs 100 commits on one session at once, each
// setting a key of its own, half through another store on another pool
// (a second application server): all 100 keys are kept.
func TestConcurrentCommits(t *testing.T) {
	url := serverURL(t)
	f := newStore(t, newPool(t, url))
	other, err := pgstore.New(newPool(t, url), pgstore.WithSchema(f.schema))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := f.Save(ctx, "hot", record(map[string]string{"start": "1"}), hour()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		s := vishnu.Committer(f.Store)
		if i%2 == 1 {
			s = other
		}
		wg.Go(func() {
			if err := s.Commit(ctx, "hot", &vishnu.Change{Set: set("k"+strconv.Itoa(i), "v"), Expires: hour()}); err != nil {
				t.Errorf("commit %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	rec, err := f.Load(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	fields, err := vishnu.DecodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 101 {
		t.Errorf("%d fields after 100 concurrent commits of a key each on a session of 1, want 101", len(fields))
	}
}

// TestConcurrentCreate runs commits that may create one new session at
// once: one creates it, the others merge into it, none is lost and none
// fails on the duplicate key.
func TestConcurrentCreate(t *testing.T) {
	f := newStore(t, newPool(t, serverURL(t)))
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := f.Commit(ctx, "fresh", &vishnu.Change{Create: true, Set: set("k"+strconv.Itoa(i), "v"), Expires: hour()}); err != nil {
				t.Errorf("commit %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	rec, err := f.Load(ctx, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	if fields, err := vishnu.DecodeRecord(rec); err != nil || len(fields) != 20 {
		t.Errorf("%d fields (%v) after 20 concurrent creating commits, want 20", len(fields), err)
	}
}

// TestNames: names are quoted identifiers, so odd ones work and stores
// with different names keep apart; names PostgreSQL cannot take are
// refused by New.
func TestNames(t *testing.T) {
	pool := newPool(t, serverURL(t))
	for _, bad := range []pgstore.Option{
		pgstore.WithTable(""),
		pgstore.WithTable(strings.Repeat("t", 50)),
		pgstore.WithTable("nul\x00"),
		pgstore.WithTable("\xff"),
		pgstore.WithSchema(strings.Repeat("s", 64)),
		pgstore.WithSchema("a\x00b"),
	} {
		if _, err := pgstore.New(pool, bad); !errors.Is(err, pgstore.ErrInvalidName) {
			t.Errorf("New with a bad name: %v, want ErrInvalidName", err)
		}
	}
	if _, err := pgstore.New(pool, pgstore.WithTable(strings.Repeat("t", 49))); err != nil {
		t.Errorf("New with a 49-byte table name: %v", err)
	}

	ctx := context.Background()
	a := newStore(t, pool, pgstore.WithTable(`Sessions "of" app; DROP TABLE x`))
	b, err := pgstore.New(pool, pgstore.WithSchema(a.schema), pgstore.WithTable("sessions"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(ctx, "id", []byte("a's"), hour()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(ctx, "id"); !errors.Is(err, vishnu.ErrNotFound) {
		t.Errorf("a store with another table name sees the first's session: %v", err)
	}
	if got, err := a.Load(ctx, "id"); err != nil || string(got) != "a's" {
		t.Errorf("Load = %q, %v", got, err)
	}
}

// TestMigrate runs Migrate from several pools at once on a new schema (as
// replicas starting together do), then again: no error, and a store works.
func TestMigrate(t *testing.T) {
	url := serverURL(t)
	schema := testSchema()
	pool := newPool(t, url)
	t.Cleanup(func() { dropSchema(t, pool, schema) })
	var wg sync.WaitGroup
	for i := range 4 {
		s, err := pgstore.New(newPool(t, url), pgstore.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range 2 {
				if err := s.Migrate(context.Background()); err != nil {
					t.Errorf("Migrate %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	s, _ := pgstore.New(pool, pgstore.WithSchema(schema))
	if err := s.Save(context.Background(), "id", []byte("x"), hour()); err != nil {
		t.Errorf("Save after Migrate: %v", err)
	}
}

// TestNoSchema: a store whose schema was never created fails with an
// error that says what to do, never "not found".
func TestNoSchema(t *testing.T) {
	s, err := pgstore.New(newPool(t, serverURL(t)), pgstore.WithSchema(testSchema()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(context.Background(), "id")
	if err == nil || errors.Is(err, vishnu.ErrNotFound) || !strings.Contains(err.Error(), "Migrate") {
		t.Errorf("Load without a schema: %v, want an error naming Migrate", err)
	}
}

// TestCleanupReplicas runs the cleanup of two replicas at once, each in a
// loop, over 600 dormant sessions and 50 live ones: neither waits for the
// other's locks (SKIP LOCKED), neither fails, together they delete every
// dormant session and no live one.
func TestCleanupReplicas(t *testing.T) {
	url := serverURL(t)
	f := newStore(t, newPool(t, url))
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (id, expires) SELECT 'd' || i, now() - interval '2 hours' FROM generate_series(1, 600) i`, f.object(""))); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := f.Save(ctx, "live"+strconv.Itoa(i), record(map[string]string{"a": "1"}), hour()); err != nil {
			t.Fatal(err)
		}
	}
	replicas := []vishnu.Cleaner{f.Store}
	other, _ := pgstore.New(newPool(t, url), pgstore.WithSchema(f.schema))
	replicas = append(replicas, other)
	var wg sync.WaitGroup
	for i, r := range replicas {
		wg.Go(func() {
			for calls := 1; ; calls++ {
				done, err := r.Cleanup(ctx, time.Hour, 25)
				if err != nil {
					t.Errorf("replica %d: Cleanup: %v", i, err)
					return
				}
				if done {
					return
				}
				if calls > 100 {
					t.Errorf("replica %d: not finished after %d calls", i, calls)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := f.count(t, `SELECT count(*) FROM %s WHERE id LIKE 'd%%'`, ""); n != 0 {
		t.Errorf("%d dormant sessions left", n)
	}
	if n := f.count(t, `SELECT count(*) FROM %s WHERE id LIKE 'live%%'`, ""); n != 50 {
		t.Errorf("%d live sessions left of 50", n)
	}
}

// TestCleanupSkipsLocked: a dormant session whose row another transaction
// holds (a commit bringing it back, another replica's cleanup) is skipped,
// not waited for, and stays when that transaction makes it live.
func TestCleanupSkipsLocked(t *testing.T) {
	f := newStore(t, newPool(t, serverURL(t)))
	ctx := context.Background()
	for _, id := range []string{"held", "free"} {
		if err := f.Save(ctx, id, []byte("x"), time.Now().Add(-2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET expires = now() + interval '1 hour' WHERE id = 'held'`, f.object(""))); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := f.Cleanup(cctx, time.Hour, 10); err != nil {
		t.Fatalf("Cleanup while a dormant row is held: %v (it waited for the lock?)", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Load(ctx, "held"); err != nil {
		t.Errorf("the session made live while Cleanup ran: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM %s WHERE id = 'free'`, ""); n != 0 {
		t.Errorf("the dormant session nobody held was not deleted")
	}
}

// TestUserSessionsPrunes: listing a user deletes their dead entries (past
// their expiry, or of a session that timed out) in the same statement, and
// leaves the others.
func TestUserSessionsPrunes(t *testing.T) {
	f := newStore(t, newPool(t, serverURL(t)))
	ctx := context.Background()
	if err := f.AddUserSession(ctx, "bob", "live", []byte("l"), hour()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %s SELECT 'bob', 'dead' || i, '', now() - interval '1 minute' FROM generate_series(1, 100) i`, f.object("_users"))); err != nil {
		t.Fatal(err)
	}
	// An entry of its own expiry ahead, whose session timed out.
	if err := f.Save(ctx, "timedout", []byte("x"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := f.AddUserSession(ctx, "bob", "timedout", []byte("t"), hour()); err != nil {
		t.Fatal(err)
	}
	// An entry whose session is not (yet) written is listed.
	if err := f.AddUserSession(ctx, "bob", "unwritten", []byte("u"), hour()); err != nil {
		t.Fatal(err)
	}
	got, err := f.UserSessions(ctx, "bob")
	if err != nil || len(got) != 2 || string(got["live"]) != "l" || string(got["unwritten"]) != "u" {
		t.Fatalf("UserSessions = %q, %v; want the live and the unwritten entries alone", got, err)
	}
	if n := f.count(t, `SELECT count(*) FROM %s WHERE user_name = 'bob'`, "_users"); n != 2 {
		t.Errorf("%d entries left after listing, want 2: the dead ones were not pruned", n)
	}
}

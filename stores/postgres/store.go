package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	vishnu "github.com/vishnu-go/vishnu/core"
)

var (
	_ vishnu.Store     = (*Store)(nil)
	_ vishnu.Committer = (*Store)(nil)
	_ vishnu.Toucher   = (*Store)(nil)
)

// Store keeps Vishnu sessions in PostgreSQL. It implements vishnu.Store,
// vishnu.Committer, vishnu.Toucher, vishnu.Cleaner and vishnu.UserIndex.
// It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	schema string // the schema's SQL, with the store's names
	sql    statements
}

// statements are the SQL of the store's calls, with its names.
type statements struct {
	load, save, commit, touch, del string
	cleanup, cleanupUsers          string
	addUser, removeUser, listUser  string
}

// New returns a Store that keeps sessions through pool, in the tables
// named by the options (see WithSchema, WithTable), which Migrate creates.
// It checks the options and makes no connection: a server that is down
// shows as errors from the store's methods, which Vishnu turns into its
// error response.
func New(pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: nil pool")
	}
	o := options{table: DefaultTable}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	n := newNames(o)
	schema, err := n.render()
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool, schema: schema, sql: n.statements()}, nil
}

func (n names) statements() statements {
	return statements{
		// One statement, one snapshot: the fields are those of the row.
		load: `SELECT s.raw, f.name, f.value FROM ` + n.Sessions + ` s LEFT JOIN ` + n.Fields + ` f ON f.id = s.id
			WHERE s.id = $1 AND s.expires > $2 ORDER BY f.ord`,
		save:   `SELECT ` + n.Save + `($1, $2, $3, $4, $5)`,
		commit: `SELECT ` + n.Commit + `($1, $2, $3, $4, $5, $6, $7, $8)`,
		touch:  `UPDATE ` + n.Sessions + ` SET expires = $2 WHERE id = $1 AND expires > $3`,
		del:    `DELETE FROM ` + n.Sessions + ` WHERE id = $1`,
		// Cleanup's candidates are locked as they are found, skipping rows
		// another transaction holds (another replica's cleanup, a commit),
		// and the lock re-checks the expiry of a row changed since the
		// scan began: a session re-saved live is no candidate. One more
		// than the limit is taken, to know without another query whether
		// the call leaves any; the deletion takes limit of them.
		cleanup: `WITH candidate AS (
				SELECT id FROM ` + n.Sessions + ` WHERE expires <= $1 ORDER BY expires LIMIT $2 + 1 FOR UPDATE SKIP LOCKED
			), deleted AS (
				DELETE FROM ` + n.Sessions + ` WHERE id IN (SELECT id FROM candidate LIMIT $2) RETURNING 1
			)
			SELECT (SELECT count(*) FROM candidate), (SELECT count(*) FROM deleted)`,
		cleanupUsers: `WITH candidate AS (
				SELECT user_name, session_id FROM ` + n.Users + ` WHERE expires <= $1 ORDER BY expires LIMIT $2 + 1 FOR UPDATE SKIP LOCKED
			), deleted AS (
				DELETE FROM ` + n.Users + ` WHERE (user_name, session_id) IN (SELECT user_name, session_id FROM candidate LIMIT $2) RETURNING 1
			)
			SELECT (SELECT count(*) FROM candidate), (SELECT count(*) FROM deleted)`,
		addUser: `INSERT INTO ` + n.Users + ` (user_name, session_id, info, expires) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_name, session_id) DO UPDATE SET info = EXCLUDED.info, expires = EXCLUDED.expires`,
		removeUser: `DELETE FROM ` + n.Users + ` WHERE user_name = $1 AND session_id = $2`,
		// Dead entries go as the live ones are read, in the same
		// statement: those past their own expiry, and those whose session
		// is there but expired (it timed out). Both parts see the same
		// snapshot, so each takes the other's condition negated. An entry
		// whose session row is missing stays: the index may list a session
		// before its record is written, and Vishnu checks each entry.
		listUser: `WITH dead AS (
				DELETE FROM ` + n.Users + ` u WHERE u.user_name = $1 AND (u.expires <= $2
					OR EXISTS (SELECT 1 FROM ` + n.Sessions + ` s WHERE s.id = u.session_id AND s.expires <= $2))
			)
			SELECT u.session_id, u.info FROM ` + n.Users + ` u WHERE u.user_name = $1 AND u.expires > $2
				AND NOT EXISTS (SELECT 1 FROM ` + n.Sessions + ` s WHERE s.id = u.session_id AND s.expires <= $2)`,
	}
}

// Load implements vishnu.Store with one query, which reads the session's
// row and its fields. It returns vishnu.ErrNotFound when there is no
// session or it has expired.
func (s *Store) Load(ctx context.Context, id string) ([]byte, error) {
	rows, err := s.pool.Query(ctx, s.sql.load, id, time.Now())
	if err != nil {
		return nil, fail("load", err)
	}
	defer rows.Close()
	var raw []byte
	var keys, vals [][]byte
	found := false
	for rows.Next() {
		var name, value []byte
		if err := rows.Scan(&raw, &name, &value); err != nil {
			return nil, fail("load", err)
		}
		found = true
		if name != nil { // nil for a session without fields (the outer join's NULL)
			keys, vals = append(keys, name), append(vals, value)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fail("load", err)
	}
	switch {
	case !found:
		return nil, vishnu.ErrNotFound
	case raw != nil:
		return raw, nil
	}
	return joinRecord(keys, vals), nil
}

// Save implements vishnu.Store with one call of the save function, which
// replaces the session's row and fields. A record as Vishnu writes it goes
// one field per row; other bytes are kept whole.
func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	var raw []byte
	keys, vals, ok := splitRecord(data)
	if !ok {
		raw = nonNil(data)
	}
	if _, err := s.pool.Exec(ctx, s.sql.save, id, storedExpiry(expires), raw, keys, vals); err != nil {
		return fail("save", err)
	}
	return nil
}

// Commit implements vishnu.Committer with one call of the commit function,
// which applies the change inside PostgreSQL, atomically, as
// vishnu.Change.Apply would: one round trip, whatever the change, in which
// only the fields set and the names deleted travel. It returns
// vishnu.ErrNotFound, having changed nothing, when the session does not
// exist (or has expired) and c.Create is false.
func (s *Store) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	del := make([][]byte, len(c.Delete))
	for i, k := range c.Delete {
		del[i] = []byte(k)
	}
	keys, vals := lastSet(c.Set)
	var ok bool
	err := s.pool.QueryRow(ctx, s.sql.commit, id, c.Create, c.Replace, storedExpiry(c.Expires), time.Now(), del, keys, vals).Scan(&ok)
	if err != nil {
		return fail("commit", err)
	}
	if !ok {
		return vishnu.ErrNotFound
	}
	return nil
}

// lastSet returns the names and values of the fields set, each name once
// with its last value, as Change.Apply keeps it: one INSERT cannot write a
// row twice.
func lastSet(set []vishnu.Field) (keys, vals [][]byte) {
	isLast := func(i int) bool {
		for _, later := range set[i+1:] {
			if later.Key == set[i].Key {
				return false
			}
		}
		return true
	}
	if len(set) > 16 { // many names: a map rather than comparing each pair
		last := make(map[string]int, len(set))
		for i, f := range set {
			last[f.Key] = i
		}
		isLast = func(i int) bool { return last[set[i].Key] == i }
	}
	keys, vals = make([][]byte, 0, len(set)), make([][]byte, 0, len(set))
	for i, f := range set {
		if isLast(i) {
			keys, vals = append(keys, []byte(f.Key)), append(vals, nonNil(f.Value))
		}
	}
	return keys, vals
}

// Touch implements vishnu.Toucher with one UPDATE of the session's expiry,
// which leaves its fields alone. It returns vishnu.ErrNotFound when there
// is no session or it has expired.
func (s *Store) Touch(ctx context.Context, id string, expires time.Time) error {
	tag, err := s.pool.Exec(ctx, s.sql.touch, id, storedExpiry(expires), time.Now())
	if err != nil {
		return fail("touch", err)
	}
	if tag.RowsAffected() == 0 {
		return vishnu.ErrNotFound
	}
	return nil
}

// Delete implements vishnu.Store with one DELETE; the session's fields go
// with it. Deleting a missing session is not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, s.sql.del, id); err != nil {
		return fail("delete", err)
	}
	return nil
}

// storedExpiry returns t rounded up to the microsecond, PostgreSQL's
// resolution, so that no session expires before the time Vishnu asked for.
func storedExpiry(t time.Time) time.Time {
	t = t.Round(0) // no monotonic reading
	if u := t.Truncate(time.Microsecond); !u.Equal(t) {
		return u.Add(time.Microsecond)
	}
	return t
}

// nonNil returns b, or an empty slice for nil: pgx sends a nil slice as
// NULL, and an empty value is a value.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// fail wraps err from the operation op, adding a hint when the schema is
// missing.
func fail(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "42883") { // undefined table, undefined function
		return fmt.Errorf("pgstore: %s: %w (has Store.Migrate run?)", op, err)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

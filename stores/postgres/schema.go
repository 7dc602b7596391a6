package pgstore

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"text/template"
)

// schemaSQL is the schema, with the names of its objects left to fill in.
//
//go:embed schema.sql
var schemaSQL string

var schemaTemplate = template.Must(template.New("schema.sql").Parse(schemaSQL))

// migrateLock is the key of the advisory lock Migrate holds, the same for
// every store, so that two processes creating the schema (of any store) in
// one database take turns: concurrent CREATE … IF NOT EXISTS of one table
// can otherwise fail on the catalog's unique indexes.
const migrateLock int64 = 0x7669_7368_6e75_0001 // "vishnu", 1

// names are the store's objects as quoted identifiers, qualified by the
// schema when there is one (index names never are: an index lives in its
// table's schema).
type names struct {
	Schema               string
	Sessions             string
	Fields               string
	Users                string
	Uvarint              string
	Split                string
	Save                 string
	Commit               string
	SessionsExpiresIndex string
	UsersExpiresIndex    string
}

func newNames(o options) names {
	qualify := func(suffix string) string {
		if o.schema == "" {
			return quote(o.table + suffix)
		}
		return quote(o.schema) + "." + quote(o.table+suffix)
	}
	n := names{
		Sessions:             qualify(""),
		Fields:               qualify("_fields"),
		Users:                qualify("_users"),
		Uvarint:              qualify("_uvarint"),
		Split:                qualify("_split"),
		Save:                 qualify("_save"),
		Commit:               qualify("_commit"),
		SessionsExpiresIndex: quote(o.table + "_expires"),
		UsersExpiresIndex:    quote(o.table + "_users_expires"),
	}
	if o.schema != "" {
		n.Schema = quote(o.schema)
	}
	return n
}

// SchemaSQL returns the SQL that creates the store's tables, indexes and
// functions, with the names the store was configured with: what Migrate
// runs, for a migration tool that should run it instead. Every statement
// may run again (IF NOT EXISTS, CREATE OR REPLACE). The file it comes from,
// schema.sql, documents each object.
func (s *Store) SchemaSQL() string { return s.schema }

// render returns the schema with n's names.
func (n names) render() (string, error) {
	var b bytes.Buffer
	if err := schemaTemplate.Execute(&b, n); err != nil {
		return "", fmt.Errorf("pgstore: schema: %w", err)
	}
	return b.String(), nil
}

// Migrate creates the store's schema (see SchemaSQL) if it is not there,
// and brings its functions up to date: run it at start-up, before the
// store serves requests, or run SchemaSQL with a migration tool instead. It
// is safe to run from several processes at once: each holds an advisory
// lock while it runs the schema in one transaction, so they take turns,
// and those that come after find everything in place.
func (s *Store) Migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // after Commit, a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
		return fmt.Errorf("pgstore: migrate: take the lock: %w", err)
	}
	// Without arguments, Exec sends the text as it is, several statements
	// at once.
	if _, err := tx.Exec(ctx, s.schema); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	return nil
}

package pgstore

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultTable is the name of the sessions table unless WithTable sets
// another; the store's other tables, functions and indexes take it as the
// start of their names (see WithTable).
const DefaultTable = "vishnu_sessions"

// ErrInvalidName is wrapped by the error New returns for a schema or table
// name PostgreSQL cannot take.
var ErrInvalidName = errors.New("pgstore: invalid name")

// maxIdentifier is PostgreSQL's longest identifier (NAMEDATALEN - 1 bytes);
// it silently truncates longer ones, which would make two stores' objects
// collide, so New refuses them instead.
const maxIdentifier = 63

// An Option configures a Store in New.
type Option func(*options)

type options struct {
	schema string
	table  string
}

// WithSchema puts the store's tables and functions in schema, which
// Migrate creates if it does not exist. Optional. Default is "", the first
// schema of the connection's search_path (usually public), where
// unqualified names go.
func WithSchema(schema string) Option {
	return func(o *options) { o.schema = schema }
}

// WithTable sets the name of the sessions table, so that several
// applications, or several managers with different cookie names, can keep
// their sessions in one database. The store's other objects are named after
// it: table+"_fields" (the sessions' fields), table+"_users" (the index of
// sessions per user), table+"_commit", table+"_save" and table+"_split"
// (functions), and indexes ending in "_expires". Optional. Default is
// DefaultTable, "vishnu_sessions".
//
// Names are used as quoted identifiers, so any character but NUL is
// allowed and letter case is kept ("Sessions" and "sessions" are two
// tables); a name must leave room for the longest suffix within
// PostgreSQL's 63 bytes, so it has at most 49.
func WithTable(table string) Option {
	return func(o *options) { o.table = table }
}

// longestSuffix is the longest suffix added to the table name (see names).
const longestSuffix = len("_users_expires")

func (o *options) validate() error {
	if err := checkName("table", o.table, maxIdentifier-longestSuffix); err != nil {
		return err
	}
	if o.schema != "" {
		return checkName("schema", o.schema, maxIdentifier)
	}
	return nil
}

func checkName(what, name string, most int) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s name", ErrInvalidName, what)
	case len(name) > most:
		return fmt.Errorf("%w: %s name %q is %d bytes, at most %d allowed", ErrInvalidName, what, name, len(name), most)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%w: %s name %q holds a NUL byte", ErrInvalidName, what, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %s name %q is not valid UTF-8", ErrInvalidName, what, name)
	}
	return nil
}

// quote returns name as a PostgreSQL quoted identifier.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

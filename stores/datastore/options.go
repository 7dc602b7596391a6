package datastorestore

import (
	"fmt"
	"regexp"
	"time"
)

const (
	// DefaultKind is the kind of the session entities unless WithKind
	// sets another.
	DefaultKind = "Session"

	// DefaultTimeout bounds each store call unless WithTimeout sets
	// another bound.
	DefaultTimeout = 5 * time.Second

	// DefaultMaxAttempts is how many times a Commit or Touch transaction
	// is tried before it gives up on contention, unless WithMaxAttempts
	// sets another number.
	DefaultMaxAttempts = 30
)

// An Option configures a Store in New.
type Option func(*options)

type options struct {
	kind        string
	namespace   string
	timeout     time.Duration
	maxAttempts int
}

func defaultOptions() options {
	return options{kind: DefaultKind, timeout: DefaultTimeout, maxAttempts: DefaultMaxAttempts}
}

// WithKind sets the kind of the session entities. Optional. Default is
// DefaultKind, "Session". Kinds whose names start and end with two
// underscores are reserved by the Datastore and refused.
func WithKind(kind string) Option {
	return func(o *options) { o.kind = kind }
}

// WithNamespace puts the session entities in a namespace, so that several
// applications, or several managers with different cookie names, can share
// one database. Optional. Default is the default namespace, "". A namespace
// has at most 100 letters, digits, dots, underscores and hyphens.
func WithNamespace(namespace string) Option {
	return func(o *options) { o.namespace = namespace }
}

// WithTimeout bounds each call of the store (each request of Cleanup)
// when the caller's context has no earlier deadline. The client retries an
// unreachable backend for up to a minute by itself, so without this bound a
// Datastore outage would hold every request that long instead of getting
// Vishnu's error response. Optional. Default is DefaultTimeout, 5 seconds;
// 0 means no bound but the caller's.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithMaxAttempts sets how many times Commit and Touch run their
// transaction when it keeps conflicting with concurrent writes of the same
// session from other application servers (those of one Store wait for each
// other instead: see [Store.Commit]). When the attempts are used up, the
// call returns an error wrapping [ErrTooMuchContention] and Vishnu answers
// with its error response: the change is refused, never lost silently.
// Optional. Default is DefaultMaxAttempts, 30; at least 1.
func WithMaxAttempts(n int) Option {
	return func(o *options) { o.maxAttempts = n }
}

// namespacePattern is what the Datastore accepts as a namespace name.
var namespacePattern = regexp.MustCompile(`^[0-9A-Za-z._-]{0,100}$`)

func (o *options) validate() error {
	switch {
	case o.kind == "":
		return fmt.Errorf("datastorestore: empty kind")
	case len(o.kind) > 1500:
		return fmt.Errorf("datastorestore: kind is %d bytes; the Datastore allows at most 1500", len(o.kind))
	case reserved(o.kind):
		return fmt.Errorf("datastorestore: kind %q is reserved by the Datastore (it starts and ends with __)", o.kind)
	case !namespacePattern.MatchString(o.namespace) || reserved(o.namespace):
		return fmt.Errorf("datastorestore: namespace %q is not a valid Datastore namespace (at most 100 letters, digits, '.', '_' and '-', not __reserved__)", o.namespace)
	case o.timeout < 0:
		return fmt.Errorf("datastorestore: timeout must not be negative, got %v", o.timeout)
	case o.maxAttempts < 1:
		return fmt.Errorf("datastorestore: max attempts must be at least 1, got %d", o.maxAttempts)
	}
	return nil
}

// reserved reports whether name has the form the Datastore keeps for its
// own kinds and namespaces, __name__.
func reserved(name string) bool {
	return len(name) >= 4 && name[:2] == "__" && name[len(name)-2:] == "__"
}

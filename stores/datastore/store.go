package datastorestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
)

var (
	_ vishnu.Store     = (*Store)(nil)
	_ vishnu.Committer = (*Store)(nil)
	_ vishnu.Toucher   = (*Store)(nil)
	_ vishnu.Cleaner   = (*Store)(nil)
)

var (
	// ErrTooLarge is wrapped by the error of a Save or Commit whose record
	// is larger than MaxRecordSize. Nothing is written.
	ErrTooLarge = errors.New("datastorestore: session record too large for a Datastore entity")

	// ErrTooMuchContention is wrapped by the error of a Commit or Touch
	// whose transaction conflicted with concurrent writes of the same
	// session at every attempt (see WithMaxAttempts). Nothing is written.
	ErrTooMuchContention = errors.New("datastorestore: session changed by other writers at every attempt; transaction given up")
)

// Store keeps Vishnu sessions in Cloud Datastore (Firestore in Datastore
// mode, or legacy Datastore): one entity per session, of the configured
// kind and namespace, named by the session's id. It implements
// vishnu.Store, vishnu.Committer, vishnu.Toucher and vishnu.Cleaner, and is
// safe for concurrent use.
type Store struct {
	client      *datastore.Client
	kind        string
	namespace   string
	timeout     time.Duration
	maxAttempts int
	queue       queue
}

// New returns a Store that keeps sessions through client, which may be of
// any database (datastore.NewClientWithDatabase for a named one). New makes
// no request: a Datastore that cannot be reached shows as errors from the
// store's methods, which Vishnu turns into its error response. It returns
// an error for a nil client or an invalid option.
func New(client *datastore.Client, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("datastorestore: nil client")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Store{
		client:      client,
		kind:        o.kind,
		namespace:   o.namespace,
		timeout:     o.timeout,
		maxAttempts: o.maxAttempts,
	}, nil
}

// key returns the key of the session entity with this id.
func (s *Store) key(id string) *datastore.Key {
	k := datastore.NameKey(s.kind, id, nil)
	k.Namespace = s.namespace
	return k
}

// bound returns ctx with the store's timeout as its deadline, unless the
// caller's is earlier.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout == 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

// fail returns the error of operation op that failed with err. When ctx
// has ended (the caller's deadline, the store's timeout, a cancellation),
// the error also wraps ctx.Err(): the client reports it as a gRPC status,
// which errors.Is(err, context.DeadlineExceeded) would not see. gRPC may
// report a deadline a moment before ctx's own timer fires, hence the look
// at the clock.
func fail(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("datastorestore: %s: %w (%w)", op, err, cerr)
	}
	return fmt.Errorf("datastorestore: %s: %w", op, err)
}

// Load implements vishnu.Store with one Lookup. It returns
// vishnu.ErrNotFound when the session has no entity, or when the entity
// has expired and is waiting for Cleanup.
func (s *Store) Load(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var e entity
	err := s.client.Get(ctx, s.key(id), &e)
	if errors.Is(err, datastore.ErrNoSuchEntity) {
		return nil, vishnu.ErrNotFound
	}
	if err != nil {
		return nil, fail(ctx, "load", err)
	}
	if !e.live(time.Now()) {
		return nil, vishnu.ErrNotFound
	}
	if e.Data == nil {
		e.Data = []byte{} // an empty record is still a record
	}
	return e.Data, nil
}

// Save implements vishnu.Store with one non-transactional Commit that
// replaces the entity, record and expiry together.
func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := checkSize(len(data)); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// The client encodes data into the request before Put returns, so
	// the caller may reuse it afterwards.
	if _, err := s.client.Put(ctx, s.key(id), &entity{Data: data, Expires: storedExpiry(expires)}); err != nil {
		return fail(ctx, "save", err)
	}
	return nil
}

// Delete implements vishnu.Store with one non-transactional Commit.
// Deleting a missing session is not an error. A Commit or Touch in flight
// on the same session conflicts with the deletion and, retried, finds the
// session gone: a logout stays a logout.
func (s *Store) Delete(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.client.Delete(ctx, s.key(id)); err != nil {
		return fail(ctx, "delete", err)
	}
	return nil
}

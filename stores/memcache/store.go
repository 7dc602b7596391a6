package memcachestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	vishnu "github.com/vishnu-go/vishnu/core"
)

var (
	// ErrTooLarge is wrapped by the error of a Save or Commit whose record
	// would not fit in a memcached item (see [WithMaxItemSize]). Nothing is
	// written. The message gives the sizes and the limit.
	ErrTooLarge = errors.New("memcachestore: session record too large for a memcached item")

	// ErrTooMuchContention is wrapped by the error of a Commit that lost its
	// compare-and-swap race more times than allowed (see [WithMaxRetries]):
	// other requests kept changing the same session. Nothing is written.
	ErrTooMuchContention = errors.New("memcachestore: session changed by other requests at every attempt; commit given up")
)

// itemOverhead is what memcached adds to a record and its key to make an
// item: its item header with the CAS value, and the value's CRLF. It is
// 59 bytes in memcached 1.6 (measured: with -I 1m the largest value under
// a k-byte key is 1048517-k bytes), rounded up here.
const itemOverhead = 64

// minItemSize is the smallest item size limit memcached accepts (-I 1k).
const minItemSize = 1024

// Store keeps session records in memcached, one item per session, through
// a [memcache.Client]: with several servers, records are spread over them
// by the client's server selector.
//
// A record is stored as it comes from Vishnu, under the key prefix+id; an
// id that would make an invalid memcached key (too long, with spaces or
// control characters) is replaced by its SHA-256, so every id works with
// every valid prefix. Vishnu's own ids are always used as they are.
//
// Store implements [vishnu.Committer] with memcached's gets and cas, and
// [vishnu.Toucher] with touch, so that concurrent requests on one session
// lose no change and expiry is pushed back without resending the data, and
// [vishnu.UserGenerations], so that a user's sessions can be ended without
// an index.
//
// Errors: a missing item is [vishnu.ErrNotFound], and only that. Every
// other failure (a server down, a timeout, a cancelled context) is returned
// wrapped, so that Vishnu shows its error response rather than taking the
// visitor for logged out. Note that a client with several servers keeps
// sending a key to its server when that server is down: the sessions held
// there fail until it is back, rather than silently starting afresh on
// another server; and since memcached keeps nothing on disk, they are gone
// when it comes back, and their visitors get new sessions.
//
// Contexts: the memcache client takes no context, so Store checks ctx
// before every call to memcached and while waiting between commit retries;
// a call already sent runs until it finishes or the client's Timeout
// (memcache.Client.Timeout, 500 ms by default) passes.
type Store struct {
	client      *memcache.Client
	prefix      string
	maxItemSize int
	maxRetries  int
	now         func() time.Time
}

var (
	_ vishnu.Store     = (*Store)(nil)
	_ vishnu.Committer = (*Store)(nil)
	_ vishnu.Toucher   = (*Store)(nil)
)

// New returns a Store that keeps records in the memcached servers of
// client. It does not contact them: a server that is down makes calls
// fail, not New. It returns an error for a nil client or an invalid option.
func New(client *memcache.Client, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("memcachestore: New needs a *memcache.Client, got nil; for a local server use memcache.New(memcachestore.DefaultServer)")
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Store{
		client:      client,
		prefix:      o.prefix,
		maxItemSize: o.maxItemSize,
		maxRetries:  o.maxRetries,
		now:         time.Now,
	}, nil
}

// Load implements [vishnu.Store].
func (s *Store) Load(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memcachestore: load: %w", err)
	}
	it, err := s.client.Get(s.key(id))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, vishnu.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("memcachestore: load: %w", err)
	}
	return it.Value, nil
}

// Save implements [vishnu.Store]. A record whose expiry is already past is
// deleted instead.
func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memcachestore: save: %w", err)
	}
	key := s.key(id)
	exp, live := expiration(s.now(), expires)
	if !live {
		if err := s.client.Delete(key); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			return fmt.Errorf("memcachestore: save: delete an expired record: %w", err)
		}
		return nil
	}
	if err := s.checkSize(data); err != nil {
		return err
	}
	if err := s.client.Set(&memcache.Item{Key: key, Value: data, Expiration: exp}); err != nil {
		return s.writeError("save", key, data, err)
	}
	return nil
}

// Delete implements [vishnu.Store].
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memcachestore: delete: %w", err)
	}
	if err := s.client.Delete(s.key(id)); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return fmt.Errorf("memcachestore: delete: %w", err)
	}
	return nil
}

// Touch implements [vishnu.Toucher] with memcached's touch, which moves the
// expiry without sending the data. An expiry already past deletes the
// record.
func (s *Store) Touch(ctx context.Context, id string, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memcachestore: touch: %w", err)
	}
	key := s.key(id)
	var err error
	if exp, live := expiration(s.now(), expires); live {
		err = s.client.Touch(key, exp)
	} else {
		err = s.client.Delete(key)
	}
	if errors.Is(err, memcache.ErrCacheMiss) {
		return vishnu.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("memcachestore: touch: %w", err)
	}
	return nil
}

// MaxRecordSize returns the largest record the store accepts: the item
// size limit (see [WithMaxItemSize]) less room for the longest key and
// memcached's item header, so that the limit is the same for every id.
// It is 1,048,262 bytes by default.
func (s *Store) MaxRecordSize() int {
	return s.maxItemSize - maxKeyLen - itemOverhead
}

// checkSize returns an error wrapping ErrTooLarge for a record over
// MaxRecordSize.
func (s *Store) checkSize(data []byte) error {
	if len(data) > s.MaxRecordSize() {
		return fmt.Errorf("%w: the record is %d bytes, over the limit of %d: the item size limit of %d bytes (memcached -I; see WithMaxItemSize) less %d for the key and memcached's item header",
			ErrTooLarge, len(data), s.MaxRecordSize(), s.maxItemSize, maxKeyLen+itemOverhead)
	}
	return nil
}

// writeError wraps the error of a write. memcached's refusal of an item
// too large for it (its -I limit being lower than the one configured here)
// becomes ErrTooLarge.
func (s *Store) writeError(op, key string, data []byte, err error) error {
	// gomemcache reports the line verbatim: "SERVER_ERROR object too large for cache".
	if strings.Contains(err.Error(), "object too large") {
		return fmt.Errorf("%w: the record is %d bytes with a %d-byte key, and the server refused it as over its item size limit (memcached -I), which is lower than the %d bytes configured with WithMaxItemSize: %w",
			ErrTooLarge, len(data), len(key), s.maxItemSize, err)
	}
	return fmt.Errorf("memcachestore: %s: %w", op, err)
}

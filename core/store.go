package vishnu

import (
	"context"
	"encoding/binary"
	"errors"
	"time"
)

// ErrNotFound is returned by a Store when it holds no record for an id:
// never saved, deleted, or expired. Any other error means the store could not
// answer, and Vishnu never takes it for "no session".
var ErrNotFound = errors.New("vishnu: session record not found")

// Store keeps session records. A record is an opaque byte slice (see
// EncodeRecord) with an expiry time; the id is derived from the session token
// by a one-way hash, so a dump of the store cannot be replayed as cookies.
//
// These three methods are all a store must have; a few dozen lines over any
// key-value backend will do. Such a minimal store is committed by
// load-change-save, which is correct for one request at a time but can lose
// a concurrent request's changes; implement [Committer] to remove that window.
// The conformance module tests every guarantee listed here.
//
// Implementations must be safe for concurrent use and honour ctx.
type Store interface {
	// Load returns the record saved under id, or ErrNotFound when there is
	// none or it has expired. The caller keeps the slice but never modifies
	// it, so a store may return memory it shares, as long as the store
	// itself never modifies it afterwards.
	Load(ctx context.Context, id string) ([]byte, error)

	// Save writes the record under id, replacing any previous one, to expire
	// at expires. The store must not keep a reference to data.
	Save(ctx context.Context, id string, data []byte, expires time.Time) error

	// Delete removes the record. Deleting a missing record is not an error.
	Delete(ctx context.Context, id string) error
}

// Committer is the optional capability that makes concurrent requests on one
// session lose nothing: instead of writing a whole record it applies a
// [Change] (the keys a request set and deleted) to the record as it is now,
// atomically. A store that can, does it in one round trip (a Redis script, a
// memcached CAS loop, a lock in memory).
type Committer interface {
	// Commit applies c to the record under id atomically with respect to
	// other Commit, Save and Delete calls on that id. When the record does
	// not exist and c.Create is false it must change nothing and return
	// ErrNotFound: that is how a session destroyed by one request stays
	// destroyed when another request that loaded it commits afterwards.
	Commit(ctx context.Context, id string, c *Change) error
}

// Toucher is the optional capability to push a record's expiry back without
// rewriting its data. Without it, Vishnu refreshes expiry with Commit or Save.
type Toucher interface {
	// Touch sets the record's expiry to expires, or returns ErrNotFound when
	// there is no record.
	Touch(ctx context.Context, id string, expires time.Time) error
}

// Cleaner is the optional capability of stores whose backend does not expire
// records by itself (a database table, the Datastore): it deletes records
// that expired at least dormantFor ago, at most limit of them per call, and
// reports whether none such remain, so a periodic job can call it in a loop:
//
//	for done := false; !done; {
//		if done, err = store.Cleanup(ctx, 24*time.Hour, 500); err != nil { ... }
//	}
type Cleaner interface {
	Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (finished bool, err error)
}

// Field is one named value of a record. Values are opaque to stores.
type Field struct {
	Key   string
	Value []byte
}

// Change is what one request did to a session: the fields it set and
// deleted, and the record's new expiry. Field names are opaque to stores;
// Vishnu keeps its own bookkeeping (creation time, per-session timeout) in
// fields whose names start with a NUL byte, which application keys cannot.
type Change struct {
	// Create allows the record to be created when it does not exist. It is
	// true only for a session whose token was minted in this request.
	Create bool
	// Replace drops every existing field before Set is applied.
	Replace bool
	// Set holds the fields to write, Delete the names to remove. A name
	// never appears in both.
	Set    []Field
	Delete []string
	// Expires is the record's new expiry.
	Expires time.Time
}

// Apply returns the record that results from applying c to current, the
// record as stored (nil when there is none). It is the whole merge logic of a
// Committer over a byte store: load with a version, Apply, write back only if
// the version is unchanged. It returns ErrNotFound when current is nil and
// c.Create is false, and an error when current is not a valid record. The
// fields that stay are copied as they are, without decoding their values; a
// name set twice keeps its last value.
func (c *Change) Apply(current []byte) ([]byte, error) {
	if current == nil && !c.Create {
		return nil, ErrNotFound
	}
	drops, isLast := c.dropSet(), c.lastSet()
	keep := current != nil && !c.Replace
	// First pass: check the record and size what stays.
	kept, size := 0, 1+binary.MaxVarintLen64
	if keep {
		it, err := newFieldIter(current)
		if err != nil {
			return nil, err
		}
		for {
			k, _, raw, ok, err := it.next()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if !drops(k) {
				kept++
				size += len(raw)
			}
		}
	}
	set := 0
	for i, f := range c.Set {
		if isLast(i) {
			set++
			size += 2*binary.MaxVarintLen64 + len(f.Key) + len(f.Value)
		}
	}
	out := make([]byte, 0, size)
	out = append(out, recordVersion)
	out = binary.AppendUvarint(out, uint64(kept+set))
	if keep {
		it, _ := newFieldIter(current)
		for {
			k, _, raw, ok, _ := it.next()
			if !ok {
				break
			}
			if !drops(k) {
				out = append(out, raw...)
			}
		}
	}
	for i, f := range c.Set {
		if isLast(i) {
			out = appendField(out, f.Key, f.Value)
		}
	}
	return out, nil
}

// dropSet returns whether a stored field goes: deleted or set anew. A few
// names are compared one by one; many get a map.
func (c *Change) dropSet() func(k []byte) bool {
	if len(c.Delete)+len(c.Set) > 16 {
		m := make(map[string]struct{}, len(c.Delete)+len(c.Set))
		for _, k := range c.Delete {
			m[k] = struct{}{}
		}
		for _, f := range c.Set {
			m[f.Key] = struct{}{}
		}
		return func(k []byte) bool { _, ok := m[string(k)]; return ok }
	}
	return func(k []byte) bool {
		for _, d := range c.Delete {
			if d == string(k) {
				return true
			}
		}
		for _, f := range c.Set {
			if f.Key == string(k) {
				return true
			}
		}
		return false
	}
}

// lastSet returns whether c.Set[i] is the last entry for its name.
func (c *Change) lastSet() func(i int) bool {
	if len(c.Set) > 16 {
		last := make(map[string]int, len(c.Set))
		for i, f := range c.Set {
			last[f.Key] = i
		}
		return func(i int) bool { return last[c.Set[i].Key] == i }
	}
	return func(i int) bool {
		for _, f := range c.Set[i+1:] {
			if f.Key == c.Set[i].Key {
				return false
			}
		}
		return true
	}
}

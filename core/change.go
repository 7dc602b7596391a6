package vishnu

import (
	"encoding/binary"
	"time"
)

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
	// SameExpiry says that Expires is the expiry the record was last given
	// (to the second): this commit does not move it (Vishnu pushes expiry
	// back only once a tenth of the session's lifetime has passed), so a
	// store may leave the record's expiry as it is rather than write it
	// again. A store that writes Expires anyway is just as correct. A
	// record that the commit creates, or that a store rewrites in a way
	// that drops its expiry, must still get Expires.
	SameExpiry bool
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

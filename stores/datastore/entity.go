package datastorestore

import (
	"fmt"
	"time"

	"cloud.google.com/go/datastore"
)

// MaxRecordSize is the largest record, in bytes, that the store keeps. The
// Datastore limits an entity to 1,048,572 bytes, key and property names
// included (the emulator limits a property value to 1,048,487 bytes); the
// 4 KiB kept back cover the longest key the Datastore allows (kind, name
// and namespace) and the expiry. A larger record fails with an error
// wrapping [ErrTooLarge] before anything is sent.
const MaxRecordSize = 1<<20 - 4<<10

// Property names of a session entity. They are short because the
// Datastore counts them in every entity's size, and stable because stored
// sessions and TTL policies refer to them.
const (
	propData    = "data"
	propExpires = "expires"
)

// entity is the stored form of a session: its record, unindexed (byte
// strings over 1500 bytes cannot be indexed, and nothing ever queries
// them), and its expiry, indexed for Cleanup and usable by a Firestore TTL
// policy. It loads and saves itself (datastore.PropertyLoadSaver) rather
// than through struct tags, which spares the client's reflection and lets
// an entity that has gained other properties (from another tool, or a
// later version) still load.
type entity struct {
	Data    []byte
	Expires time.Time
}

var _ datastore.PropertyLoadSaver = (*entity)(nil)

// Load implements datastore.PropertyLoadSaver. It ignores properties it
// does not know, and a known one of an unexpected type, which leaves the
// entity without data or, for the expiry, expired.
func (e *entity) Load(ps []datastore.Property) error {
	for _, p := range ps {
		switch p.Name {
		case propData:
			e.Data, _ = p.Value.([]byte)
		case propExpires:
			e.Expires, _ = p.Value.(time.Time)
		}
	}
	return nil
}

// Save implements datastore.PropertyLoadSaver.
func (e *entity) Save() ([]datastore.Property, error) {
	return []datastore.Property{
		{Name: propData, Value: e.Data, NoIndex: true},
		{Name: propExpires, Value: e.Expires},
	}, nil
}

// live reports whether the entity has not expired at now. The Datastore
// keeps sessions past their expiry until Cleanup (or a TTL policy) deletes
// them, so every read checks.
func (e *entity) live(now time.Time) bool { return now.Before(e.Expires) }

// Timestamps the Datastore accepts: years 1 to 9999, in microseconds.
var (
	minExpiry = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxExpiry = time.Date(9999, time.December, 31, 23, 59, 59, 999999000, time.UTC)
)

// storedExpiry returns t as the Datastore can keep it. The Datastore keeps
// microseconds and drops the rest, which would make a record expire up to
// a microsecond before the time Vishnu asked for: the time is rounded up to
// the next microsecond instead, so that a record never expires early. Times
// outside the Datastore's range are clamped: before year 1 means expired
// anyway, and no session lives to year 10000.
func storedExpiry(t time.Time) time.Time {
	if t.Before(minExpiry) {
		return minExpiry
	}
	if t.After(maxExpiry) {
		return maxExpiry
	}
	u := t.Truncate(time.Microsecond)
	if u.Before(t) {
		u = u.Add(time.Microsecond)
	}
	return u.UTC()
}

// checkSize returns an error wrapping ErrTooLarge for a record the
// Datastore would refuse.
func checkSize(n int) error {
	if n > MaxRecordSize {
		return fmt.Errorf("%w (%d bytes, at most %d)", ErrTooLarge, n, MaxRecordSize)
	}
	return nil
}

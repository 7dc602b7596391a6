package redisstore

import (
	"errors"
	"strings"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A session is a Redis hash (see the package doc). Its fields:
const (
	// fieldLive is in every hash that holds a record, with an empty value.
	// Each commit writes it, and learns from HSET's count of new fields
	// whether it was there: that is the commit's existence check.
	fieldLive = "#"
	// fieldBase holds the record as Save was last given it, byte for byte.
	// A hash with fieldBase and without fieldLive holds bytes that are not
	// a record, saved whole: a commit that does not replace them fails.
	fieldBase = "@"
	// fieldPrefix precedes the name of each record field written by a
	// commit since, so that no name can meet fieldLive or fieldBase.
	fieldPrefix = "."
	// tagSet precedes the value of a field set by a commit; a field deleted
	// by a commit has an empty value instead, which hides the base's.
	tagSet = '='
)

// errNotSession is returned for a hash that this store did not write.
var errNotSession = errors.New("not a session written by redisstore")

// commitArgs returns the commit script's arguments for a commit of c: only the
// fields c sets and deletes, each named once, as Change.Apply reads them (a
// name set twice keeps its last value, a name both set and deleted is set).
// With Replace, deleted names are left out: nothing is left to hide.
func commitArgs(c *vishnu.Change) []any {
	size, names := 0, len(c.Set)
	for _, f := range c.Set {
		size += len(fieldPrefix) + len(f.Key) + 1 + len(f.Value)
	}
	if !c.Replace {
		names += len(c.Delete)
		for _, k := range c.Delete {
			size += len(fieldPrefix) + len(k)
		}
	}
	args := append(make([]any, 0, 6+2*names),
		flag(c.Create), flag(c.Replace), flag(c.SameExpiry), unixMilli(c.Expires), fieldLive, "")
	// Every name and value is a slice of one buffer, sized to hold them all
	// so that appending never moves it.
	buf := make([]byte, 0, size)
	seen := newNameSet(names)
	for i := len(c.Set) - 1; i >= 0; i-- {
		f := c.Set[i]
		if !seen.add(f.Key) {
			continue
		}
		start := len(buf)
		buf = append(append(buf, fieldPrefix...), f.Key...)
		mid := len(buf)
		buf = append(append(buf, tagSet), f.Value...)
		args = append(args, buf[start:mid:mid], buf[mid:len(buf):len(buf)])
	}
	if !c.Replace {
		for _, k := range c.Delete {
			if !seen.add(k) {
				continue
			}
			start := len(buf)
			buf = append(append(buf, fieldPrefix...), k...)
			args = append(args, buf[start:len(buf):len(buf)], "")
		}
	}
	return args
}

// saveFields returns the hash fields that Save writes: the base, marked as
// a record if it is one. The check is vishnu.DecodeRecord's, which is
// Change.Apply's.
func saveFields(data []byte) []any {
	if _, err := vishnu.DecodeRecord(data); err != nil {
		return []any{fieldBase, data}
	}
	return []any{fieldLive, "", fieldBase, data}
}

// decodeHash returns the record that a session's hash holds: the base as it
// was saved, with the fields committed since applied to it by
// Change.Apply, which is what the commits would have done to a record
// written whole.
func decodeHash(h map[string]string) ([]byte, error) {
	base, hasBase := h[fieldBase]
	if _, ok := h[fieldLive]; !ok {
		if !hasBase || len(h) != 1 {
			return nil, errNotSession
		}
		return []byte(base), nil // not a record: saved whole, never committed to
	}
	committed := len(h) - 1
	if hasBase {
		committed--
	}
	switch {
	case committed == 0 && hasBase:
		return []byte(base), nil
	case committed == 0:
		return vishnu.EncodeRecord(nil), nil // a record without fields
	}
	c := vishnu.Change{Create: true}
	for name, v := range h {
		k, ok := strings.CutPrefix(name, fieldPrefix)
		switch {
		case !ok && (name == fieldLive || name == fieldBase):
		case !ok:
			return nil, errNotSession
		case v == "":
			c.Delete = append(c.Delete, k)
		case v[0] == tagSet:
			c.Set = append(c.Set, vishnu.Field{Key: k, Value: []byte(v[1:])})
		default:
			return nil, errNotSession
		}
	}
	var cur []byte
	if hasBase {
		cur = []byte(base)
	}
	return c.Apply(cur)
}

// A nameSet tells names seen before from new ones: by comparing them one by
// one when there are few, with a map when there are many.
type nameSet struct {
	few  []string
	many map[string]struct{}
}

func newNameSet(n int) nameSet {
	if n > 16 {
		return nameSet{many: make(map[string]struct{}, n)}
	}
	return nameSet{few: make([]string, 0, n)}
}

// add adds k and reports whether it is new.
func (s *nameSet) add(k string) bool {
	if s.many != nil {
		if _, ok := s.many[k]; ok {
			return false
		}
		s.many[k] = struct{}{}
		return true
	}
	for _, seen := range s.few {
		if seen == k {
			return false
		}
	}
	s.few = append(s.few, k)
	return true
}

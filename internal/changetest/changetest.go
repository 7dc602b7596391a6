// Package changetest holds what the stores' differential tests of Commit
// against core's Change.Apply share: the seed corpus of their fuzz target,
// the decoding of its input into a Change, and the check that a record
// names no field twice. It is test support for the modules of this
// repository.
package changetest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// AddSeeds adds the seed corpus of a fuzz target that takes
// (current []byte, create, replace bool, ops []byte), as Change decodes them.
func AddSeeds(f *testing.F) {
	f.Add([]byte(nil), false, false, []byte("a\xff1\xffb"))
	f.Add(record("a", "1", "b", "2"), false, false, []byte("a\xff\xfeb\xff3"))
	f.Add(record("a", "1"), false, true, []byte("c\xff3"))
	f.Add([]byte("\x01\x01\x01a"), true, false, []byte("a\xff"))
	f.Add([]byte{}, true, true, []byte{})
}

// record returns the record of name, value pairs.
func record(kv ...string) []byte {
	m := make(map[string][]byte, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return vishnu.EncodeRecord(m)
}

// Change decodes a fuzz input into the record to start from and the Change
// to commit. ops is name \xff value \xff ... for the fields set; a name that
// starts with \xfe deletes the rest of it instead, taking no value. A name
// counts once, the first time it comes. An empty current without create
// becomes a missing record (nil), so that both are tried.
func Change(current []byte, create, replace bool, ops []byte) ([]byte, *vishnu.Change) {
	c := &vishnu.Change{Create: create, Replace: replace, Expires: time.Now().Add(time.Minute)}
	seen := make(map[string]bool)
	parts := bytes.Split(ops, []byte{0xff})
	for i := 0; i < len(parts); i++ {
		k := string(parts[i])
		if del, ok := bytes.CutPrefix(parts[i], []byte{0xfe}); ok {
			if k = string(del); !seen[k] {
				seen[k] = true
				c.Delete = append(c.Delete, k)
			}
			continue
		}
		var v []byte
		if i+1 < len(parts) {
			i++
			v = parts[i]
		}
		if !seen[k] {
			seen[k] = true
			c.Set = append(c.Set, vishnu.Field{Key: k, Value: v})
		}
	}
	if len(current) == 0 && !create {
		current = nil
	}
	return current, c
}

// Distinct returns an error if the valid record rec holds a name twice.
func Distinct(rec []byte) error {
	fields, err := vishnu.DecodeRecord(rec)
	if err != nil {
		return err
	}
	if n, _ := binary.Uvarint(rec[1:]); n != uint64(len(fields)) {
		return fmt.Errorf("%d fields, of which %d distinct", n, len(fields))
	}
	return nil
}

package vishnu

import (
	"encoding/binary"
	"errors"
)

// A record is the byte form of a session's fields, the unit that a Store
// keeps: a version byte, the number of fields, then each field's name and
// value, each preceded by its length (unsigned varints). The format is
// deliberately simple so that a store can merge fields without understanding
// values (see Change.Apply), and so that decoding is a single pass.

const recordVersion = 1

// errBadRecord is wrapped by every error DecodeRecord returns.
var errBadRecord = errors.New("vishnu: malformed session record")

// EncodeRecord returns the record form of fields. Stores that keep fields
// natively (a Redis hash) use it to hand a loaded record back to Vishnu.
func EncodeRecord(fields map[string][]byte) []byte {
	n := 1 + binary.MaxVarintLen64
	for k, v := range fields {
		n += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	b := make([]byte, 0, n)
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for k, v := range fields {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// DecodeRecord parses a record made by EncodeRecord. The values alias b.
func DecodeRecord(b []byte) (map[string][]byte, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return nil, errBadRecord
	}
	b = b[1:]
	n, b, ok := readUvarint(b)
	// Each field takes at least two bytes, which bounds n before allocating.
	if !ok || n > uint64(len(b)/2) {
		return nil, errBadRecord
	}
	fields := make(map[string][]byte, n)
	for range n {
		var k, v []byte
		if k, b, ok = readBytes(b); !ok {
			return nil, errBadRecord
		}
		if v, b, ok = readBytes(b); !ok {
			return nil, errBadRecord
		}
		fields[internKey(k)] = v
	}
	if len(b) != 0 {
		return nil, errBadRecord
	}
	return fields, nil
}

// internKey returns k as a string, without allocating for Vishnu's own
// field names, which every record holds.
func internKey(k []byte) string {
	switch string(k) {
	case fieldCreated:
		return fieldCreated
	case fieldTimeout:
		return fieldTimeout
	}
	return string(k)
}

func readUvarint(b []byte) (uint64, []byte, bool) {
	n, size := binary.Uvarint(b)
	if size <= 0 {
		return 0, nil, false
	}
	return n, b[size:], true
}

func readBytes(b []byte) (field, rest []byte, ok bool) {
	n, b, ok := readUvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n:n], b[n:], true
}

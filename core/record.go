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

// EncodeRecord returns the record form of fields, in no particular order.
func EncodeRecord(fields map[string][]byte) []byte {
	if len(fields) <= smallRecord {
		return encodeSmallRecord(fields)
	}
	n := 1 + binary.MaxVarintLen64
	for k, v := range fields {
		n += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	b := make([]byte, 0, n)
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for k, v := range fields {
		b = appendField(b, k, v)
	}
	return b
}

// smallRecord is the most fields encodeSmallRecord takes.
const smallRecord = 8

// encodeSmallRecord is EncodeRecord of a few fields, which reads the map
// once, where sizing the record first would read it twice.
func encodeSmallRecord(fields map[string][]byte) []byte {
	var ks [smallRecord]string
	var vs [smallRecord][]byte
	n, size := 0, 1+binary.MaxVarintLen64
	for k, v := range fields {
		ks[n], vs[n] = k, v
		n++
		size += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	b := make([]byte, 0, size)
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(n))
	for i := range n {
		b = appendField(b, ks[i], vs[i])
	}
	return b
}

func appendField(b []byte, k string, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// DecodeRecord parses a record made by EncodeRecord. The values alias b.
func DecodeRecord(b []byte) (map[string][]byte, error) {
	it, err := newFieldIter(b)
	if err != nil {
		return nil, err
	}
	fields := make(map[string][]byte, it.n)
	for {
		k, v, _, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return fields, nil
		}
		fields[internKey(k)] = v
	}
}

// fieldIter walks the fields of a record, checking its form as it goes.
type fieldIter struct {
	rest []byte
	n    uint64 // fields not yet read
}

func newFieldIter(b []byte) (fieldIter, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return fieldIter{}, errBadRecord
	}
	n, rest, ok := readUvarint(b[1:])
	// Each field takes at least two bytes, which bounds n before allocating.
	if !ok || n > uint64(len(rest)/2) {
		return fieldIter{}, errBadRecord
	}
	return fieldIter{rest: rest, n: n}, nil
}

// next returns the next field's name and value, and raw, the field as it is
// encoded; ok is false after the last field.
func (it *fieldIter) next() (k, v, raw []byte, ok bool, err error) {
	if it.n == 0 {
		if len(it.rest) != 0 {
			return nil, nil, nil, false, errBadRecord
		}
		return nil, nil, nil, false, nil
	}
	start := it.rest
	if k, it.rest, ok = readBytes(it.rest); !ok {
		return nil, nil, nil, false, errBadRecord
	}
	if v, it.rest, ok = readBytes(it.rest); !ok {
		return nil, nil, nil, false, errBadRecord
	}
	it.n--
	return k, v, start[:len(start)-len(it.rest)], true, nil
}

// internKey returns k as a string, without allocating for Vishnu's own
// field names, which every record holds.
func internKey(k []byte) string {
	switch string(k) {
	case fieldCreated:
		return fieldCreated
	case fieldTimeout:
		return fieldTimeout
	case fieldUser:
		return fieldUser
	case fieldLogin:
		return fieldLogin
	case fieldRefreshed:
		return fieldRefreshed
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

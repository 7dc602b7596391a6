package pgstore

import (
	"encoding/binary"
)

// A record Vishnu writes (vishnu.EncodeRecord) is kept one field per row;
// any other bytes a caller saves are kept whole, so that Load gives back
// exactly what Save was given. These two functions move between the two
// forms. The format is vishnu's: a version byte (1), the number of fields,
// then each field's name and value, each preceded by its length, all
// numbers unsigned varints.

const recordVersion = 1

// splitRecord returns the fields of rec, in order, when rec is a record in
// the exact form joinRecord gives back: the version, every varint in its
// shortest form, no name twice, nothing after the last field. Otherwise ok
// is false and rec is to be kept whole. The slices alias rec.
func splitRecord(rec []byte) (names, values [][]byte, ok bool) {
	if len(rec) == 0 || rec[0] != recordVersion {
		return nil, nil, false
	}
	n, rest, ok := uvarint(rec[1:])
	// Each field takes at least two bytes, which bounds n before allocating.
	if !ok || n > uint64(len(rest)/2) {
		return nil, nil, false
	}
	names, values = make([][]byte, n), make([][]byte, n)
	for i := range names {
		if names[i], rest, ok = lengthPrefixed(rest); !ok {
			return nil, nil, false
		}
		if values[i], rest, ok = lengthPrefixed(rest); !ok {
			return nil, nil, false
		}
	}
	if len(rest) != 0 || !distinct(names) {
		return nil, nil, false
	}
	return names, values, true
}

// joinRecord returns the record of these fields, in this order.
func joinRecord(names, values [][]byte) []byte {
	size := 1 + binary.MaxVarintLen64
	for i := range names {
		size += 2*binary.MaxVarintLen64 + len(names[i]) + len(values[i])
	}
	b := make([]byte, 0, size)
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for i := range names {
		b = binary.AppendUvarint(b, uint64(len(names[i])))
		b = append(b, names[i]...)
		b = binary.AppendUvarint(b, uint64(len(values[i])))
		b = append(b, values[i]...)
	}
	return b
}

// uvarint reads a varint in its shortest form.
func uvarint(b []byte) (uint64, []byte, bool) {
	n, size := binary.Uvarint(b)
	if size <= 0 || size != uvarintLen(n) {
		return 0, nil, false
	}
	return n, b[size:], true
}

func uvarintLen(n uint64) int {
	size := 1
	for ; n >= 0x80; n >>= 7 {
		size++
	}
	return size
}

func lengthPrefixed(b []byte) (field, rest []byte, ok bool) {
	n, b, ok := uvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n:n], b[n:], true
}

// distinct reports whether no name appears twice: a few are compared one
// by one, many go through a map.
func distinct(names [][]byte) bool {
	if len(names) > 16 {
		seen := make(map[string]struct{}, len(names))
		for _, k := range names {
			if _, dup := seen[string(k)]; dup {
				return false
			}
			seen[string(k)] = struct{}{}
		}
		return true
	}
	for i, k := range names {
		for _, other := range names[i+1:] {
			if string(k) == string(other) {
				return false
			}
		}
	}
	return true
}

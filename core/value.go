package vishnu

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Values are stored one per field, each a tag byte and a payload. Common
// types get a compact payload of their own; everything else is JSON. Since
// Get names the type it wants, values come back with their types and no
// registration (as gob needs) is ever required.

const (
	tagJSON byte = iota + 1
	tagString
	tagBytes
	tagInt
	tagInt64
	tagBool

	tagFlash byte = 0x80 // set on values that are deleted once read
)

var errValueType = errors.New("vishnu: stored value has another type")

func encodeValue(v any, flash bool) ([]byte, error) {
	var b []byte
	switch x := v.(type) {
	case string:
		b = append(make([]byte, 0, 1+len(x)), tagString)
		b = append(b, x...)
	case []byte:
		b = append(make([]byte, 0, 1+len(x)), tagBytes)
		b = append(b, x...)
	case int:
		b = binary.AppendVarint([]byte{tagInt}, int64(x))
	case int64:
		b = binary.AppendVarint([]byte{tagInt64}, x)
	case bool:
		b = []byte{tagBool, 0}
		if x {
			b[1] = 1
		}
	default:
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("vishnu: value of type %T cannot be stored: %w", v, err)
		}
		b = append([]byte{tagJSON}, j...)
	}
	if flash {
		b[0] |= tagFlash
	}
	return b, nil
}

func isFlash(raw []byte) bool { return len(raw) > 0 && raw[0]&tagFlash != 0 }

// decodeValue decodes raw into a T. A T of interface type receives the value
// as it was stored for the compact types, and JSON's generic form otherwise.
func decodeValue[T any](raw []byte) (T, error) {
	var out T
	if len(raw) == 0 {
		return out, errValueType
	}
	tag, p := raw[0]&^tagFlash, raw[1:]
	if tag == tagJSON {
		err := json.Unmarshal(p, &out)
		return out, err
	}
	// The common case without boxing the value in an interface.
	if sp, ok := any(&out).(*string); ok && tag == tagString {
		*sp = string(p)
		return out, nil
	}
	v, err := decodeCompact(tag, p)
	if err != nil {
		return out, err
	}
	if n, isInt := v.(int64); isInt || tag == tagInt {
		if !isInt {
			n = int64(v.(int))
		}
		if convertInt(&out, n) {
			return out, nil
		}
	}
	out, ok := v.(T)
	if !ok {
		return out, errValueType
	}
	return out, nil
}

func decodeCompact(tag byte, p []byte) (any, error) {
	switch tag {
	case tagString:
		return string(p), nil
	case tagBytes:
		return append([]byte(nil), p...), nil
	case tagInt, tagInt64:
		n, size := binary.Varint(p)
		if size <= 0 || size != len(p) {
			return nil, errValueType
		}
		if tag == tagInt {
			return int(n), nil
		}
		return n, nil
	case tagBool:
		if len(p) != 1 {
			return nil, errValueType
		}
		return p[0] == 1, nil
	}
	return nil, errValueType
}

// convertInt stores n in *out when out points to an integer or float type
// that holds n exactly: Set("n", 5) then Get[int64] (or Get[uint8]) works.
// Anything else (a type that cannot hold n, or not a number) reports false.
func convertInt[T any](out *T, n int64) bool {
	switch p := any(out).(type) {
	case *int:
		return set(p, int(n), int64(int(n)) == n)
	case *int8:
		return set(p, int8(n), int64(int8(n)) == n)
	case *int16:
		return set(p, int16(n), int64(int16(n)) == n)
	case *int32:
		return set(p, int32(n), int64(int32(n)) == n)
	case *int64:
		return set(p, n, true)
	case *uint:
		return set(p, uint(n), n >= 0 && uint64(uint(n)) == uint64(n))
	case *uint8:
		return set(p, uint8(n), n >= 0 && int64(uint8(n)) == n)
	case *uint16:
		return set(p, uint16(n), n >= 0 && int64(uint16(n)) == n)
	case *uint32:
		return set(p, uint32(n), n >= 0 && int64(uint32(n)) == n)
	case *uint64:
		return set(p, uint64(n), n >= 0)
	case *float64:
		return set(p, float64(n), n >= -1<<53 && n <= 1<<53)
	case *float32:
		return set(p, float32(n), n >= -1<<24 && n <= 1<<24)
	}
	return false
}

func set[V any](p *V, v V, ok bool) bool {
	if ok {
		*p = v
	}
	return ok
}

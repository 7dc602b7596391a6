package vishnu

import (
	"testing"
	"time"
)

// FuzzDecodeCookie feeds arbitrary cookie values to the codec: it must never
// panic, and must accept nothing but the genuine values it made.
func FuzzDecodeCookie(f *testing.F) {
	signed, sealed := testCodec(f, false), testCodec(f, true)
	// Every fuzzing process must make the same genuine values.
	sealed.random = zeroReader{}
	tok := token{1, 2, 3}
	genuine := map[string]bool{}
	for _, c := range []*codec{signed, sealed} {
		for _, payload := range [][]byte{nil, []byte("data"), EncodeRecord(map[string][]byte{"k": []byte("v")})} {
			v, err := c.encode(&tok, testNow.Add(time.Hour), testNow, payload)
			if err != nil {
				f.Fatal(err)
			}
			genuine[v] = true
			f.Add(v)
		}
	}
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, value string) {
		for _, c := range []*codec{signed, sealed} {
			if _, ok := c.decode(value, testNow); ok && !genuine[value] {
				t.Fatalf("accepted a value it did not make: %q", value)
			}
		}
	})
}

// FuzzDecodeRecord feeds arbitrary bytes to the record decoder, which reads
// what a store returns: no panic, and what decodes re-encodes to the same
// fields.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(EncodeRecord(map[string][]byte{"a": []byte("1"), "\x00created": {2}}))
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := DecodeRecord(b)
		if err != nil {
			return
		}
		again, err := DecodeRecord(EncodeRecord(fields))
		if err != nil || len(again) != len(fields) {
			t.Fatalf("re-encoding changed the record: %v %v", again, err)
		}
		for k, v := range fields {
			if string(again[k]) != string(v) {
				t.Fatalf("field %q changed", k)
			}
		}
	})
}

// FuzzDecodeValue feeds arbitrary stored values to the typed decoder.
func FuzzDecodeValue(f *testing.F) {
	for _, v := range []any{"s", []byte{1}, 3, int64(4), true, map[string]int{"a": 1}} {
		raw, _ := encodeValue(v, false)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		decodeValue[string](raw)
		decodeValue[int](raw)
		decodeValue[any](raw)
		decodeValue[map[string]any](raw)
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

package vishnu

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestEncoderAllocations: what writes a record, a change to one or a
// Set-Cookie line sizes its output up front, for a few fields and for
// many, so that its allocations are these and no more: a buffer sized short
// would grow, one more each time. (Cookie values are left out: the race
// detector, which the tests run under, changes the allocations of the
// hashes and ciphers that make them.)
func TestEncoderAllocations(t *testing.T) {
	small := map[string][]byte{"user": []byte("ann"), "visits": []byte("12"), "theme": []byte("dark")}
	large := make(map[string][]byte, 40)
	for i := range 40 {
		large[fmt.Sprintf("key-%02d", i)] = []byte(fmt.Sprintf("a value of field %d", i))
	}
	many := &Change{Delete: []string{"key-00"}}
	for i := range 20 {
		many.Set = append(many.Set, Field{Key: fmt.Sprintf("key-%02d", 2*i+1), Value: []byte(strings.Repeat("v", 64))})
	}
	smallRec, largeRec := EncodeRecord(small), EncodeRecord(large)
	m, err := New(Config{Store: NewMemoryStore(), Secret: testSecretA})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name string
		f    func()
		want float64
	}{
		{"EncodeRecord, 3 fields", func() { EncodeRecord(small) }, 1},
		{"EncodeRecord, 40 fields", func() { EncodeRecord(large) }, 1},
		{"Apply, 1 field set into 3", func() { _, _ = (&Change{Set: []Field{{Key: "visits", Value: []byte("13")}}}).Apply(smallRec) }, 5},
		{"Apply, 20 set and 1 deleted in 40", func() { _, _ = many.Apply(largeRec) }, 9},
		{"named cookie line", func() { _ = m.namedCookieLine("vishnu.1", "a-value-of-forty-bytes-as-a-part-has-it", time.Hour, exp) }, 1},
	} {
		if got := testing.AllocsPerRun(50, tc.f); got != tc.want {
			t.Errorf("%s: %v allocations, want %v", tc.name, got, tc.want)
		}
	}
}

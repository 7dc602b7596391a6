package vishnu_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// convertsTo reports whether the integer n, stored with Set, reads back
// with Get[T] (as the same number) or not.
func convertsTo[T int | int8 | int16 | int32 | int64 | uint | uint8 | uint16 | uint32 | uint64 | float32 | float64](t *testing.T, s *vishnu.Session, n int64) bool {
	t.Helper()
	if err := s.Set("n", n); err != nil {
		t.Fatal(err)
	}
	got, ok := vishnu.Get[T](s, "n")
	if ok && fmt.Sprint(got) != fmt.Sprint(n) && float64(got) != float64(n) {
		t.Errorf("Get[%T] of %d = %v", got, n, got)
	}
	var zero T
	if !ok && got != zero {
		t.Errorf("Get[%T] of %d failed but returned %v", got, n, got)
	}
	return ok
}

// An integer reads back as any integer or float type that holds it exactly,
// up to each type's edges, and as none that does not.
func TestIntegerConversionEdges(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	s := m.Adapter().Open(t.Context(), m.Adapter().HTTPTransport(nil, &http.Request{Header: http.Header{}}))
	type edge struct {
		n  int64
		ok bool
	}
	cases := []struct {
		typ   string
		conv  func(int64) bool
		edges []edge
	}{
		{"int8", func(n int64) bool { return convertsTo[int8](t, s, n) }, []edge{{math.MinInt8 - 1, false}, {math.MinInt8, true}, {math.MaxInt8, true}, {math.MaxInt8 + 1, false}}},
		{"int16", func(n int64) bool { return convertsTo[int16](t, s, n) }, []edge{{math.MinInt16 - 1, false}, {math.MinInt16, true}, {math.MaxInt16, true}, {math.MaxInt16 + 1, false}}},
		{"int32", func(n int64) bool { return convertsTo[int32](t, s, n) }, []edge{{math.MinInt32 - 1, false}, {math.MinInt32, true}, {math.MaxInt32, true}, {math.MaxInt32 + 1, false}}},
		{"int", func(n int64) bool { return convertsTo[int](t, s, n) }, []edge{{math.MinInt64, true}, {math.MaxInt64, true}}},
		{"int64", func(n int64) bool { return convertsTo[int64](t, s, n) }, []edge{{math.MinInt64, true}, {-1, true}, {math.MaxInt64, true}}},
		{"uint", func(n int64) bool { return convertsTo[uint](t, s, n) }, []edge{{-1, false}, {0, true}, {math.MaxInt64, true}}},
		{"uint8", func(n int64) bool { return convertsTo[uint8](t, s, n) }, []edge{{-1, false}, {0, true}, {math.MaxUint8, true}, {math.MaxUint8 + 1, false}}},
		{"uint16", func(n int64) bool { return convertsTo[uint16](t, s, n) }, []edge{{-1, false}, {0, true}, {math.MaxUint16, true}, {math.MaxUint16 + 1, false}}},
		{"uint32", func(n int64) bool { return convertsTo[uint32](t, s, n) }, []edge{{-1, false}, {0, true}, {math.MaxUint32, true}, {math.MaxUint32 + 1, false}}},
		{"uint64", func(n int64) bool { return convertsTo[uint64](t, s, n) }, []edge{{math.MinInt64, false}, {-1, false}, {0, true}, {math.MaxInt64, true}}},
		{"float64", func(n int64) bool { return convertsTo[float64](t, s, n) }, []edge{{-1<<53 - 1, false}, {-1 << 53, true}, {0, true}, {1 << 53, true}, {1<<53 + 1, false}}},
		{"float32", func(n int64) bool { return convertsTo[float32](t, s, n) }, []edge{{-1<<24 - 1, false}, {-1 << 24, true}, {0, true}, {1 << 24, true}, {1<<24 + 1, false}}},
	}
	for _, tc := range cases {
		for _, e := range tc.edges {
			if got := tc.conv(e.n); got != e.ok {
				t.Errorf("%d as %s: ok %v, want %v", e.n, tc.typ, got, e.ok)
			}
		}
	}
	// Stored as an int (not int64), the same rules hold.
	if err := s.Set("i", -1); err != nil {
		t.Fatal(err)
	}
	if _, ok := vishnu.Get[uint8](s, "i"); ok {
		t.Error("an int -1 read as uint8")
	}
	if v, ok := vishnu.Get[int8](s, "i"); !ok || v != -1 {
		t.Errorf("an int -1 as int8: %v, %v", v, ok)
	}
	// A bool is no number.
	if err := s.Set("b", true); err != nil {
		t.Fatal(err)
	}
	if _, ok := vishnu.Get[int](s, "b"); ok {
		t.Error("a bool read as int")
	}
	if v, ok := vishnu.Get[bool](s, "b"); !ok || !v {
		t.Errorf("a bool true: %v, %v", v, ok)
	}
	if err := s.Set("b", false); err != nil {
		t.Fatal(err)
	}
	if v, ok := vishnu.Get[bool](s, "b"); !ok || v {
		t.Errorf("a bool false: %v, %v", v, ok)
	}
}

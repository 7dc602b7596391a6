package vishnu_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

type profile struct {
	Name  string
	Roles []string
	Since time.Time
	Limit *int
}

type role string

// TestTypedValuesRoundTrip stores values of many types in one request and
// reads them back, with their types, in the next; no type is registered.
func TestTypedValuesRoundTrip(t *testing.T) {
	limit := 7
	want := map[string]any{
		"string":  "héllo\x00world",
		"bytes":   []byte{0, 1, 2, 255},
		"int":     -42,
		"int64":   int64(1) << 62,
		"bool":    true,
		"float":   3.25,
		"struct":  profile{Name: "ann", Roles: []string{"admin"}, Since: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), Limit: &limit},
		"pointer": &profile{Name: "bob"},
		"map":     map[string]int{"a": 1},
		"slice":   []int{3, 1, 2},
		"named":   role("editor"),
		"time":    time.Date(2021, 6, 7, 8, 9, 10, 11, time.UTC),
	}
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	got := map[string]any{}
	var mismatch bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if r.URL.Path == "/set" {
			for k, v := range want {
				if err := s.Set(k, v); err != nil {
					t.Errorf("Set(%q): %v", k, err)
				}
			}
			return
		}
		got["string"], _ = vishnu.Get[string](s, "string")
		got["bytes"], _ = vishnu.Get[[]byte](s, "bytes")
		got["int"], _ = vishnu.Get[int](s, "int")
		got["int64"], _ = vishnu.Get[int64](s, "int64")
		got["bool"], _ = vishnu.Get[bool](s, "bool")
		got["float"], _ = vishnu.Get[float64](s, "float")
		got["struct"], _ = vishnu.Get[profile](s, "struct")
		got["pointer"], _ = vishnu.Get[*profile](s, "pointer")
		got["map"], _ = vishnu.Get[map[string]int](s, "map")
		got["slice"], _ = vishnu.Get[[]int](s, "slice")
		got["named"], _ = vishnu.Get[role](s, "named")
		got["time"], _ = vishnu.Get[time.Time](s, "time")
		_, ok := vishnu.Get[int](s, "string")
		mismatch = ok
	})
	b := newBrowser(t, serve(t, m, h))
	b.get("/set")
	b.get("/get")
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s: got %#v, want %#v", k, got[k], v)
		}
	}
	if mismatch {
		t.Error("Get with another type than the stored one must report false")
	}
}

func TestUnencodableValueIsAnError(t *testing.T) {
	cfg, _ := testConfig(newClock())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Set("ch", make(chan int)); err == nil {
			t.Error("Set of a channel must fail")
		}
	})
	newBrowser(t, serve(t, newManager(t, cfg), h)).get("/")
}

// Integers come back as any integer or float type that holds them exactly,
// whatever integer type they were Set with; a type too small is no match.
func TestIntegersConvertLosslessly(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	s := m.Adapter().Open(t.Context(), m.Adapter().HTTPTransport(nil, &http.Request{Header: http.Header{}}))
	s.Set("five", 5)
	s.Set("big", int64(1)<<40)
	s.Set("neg", -1)
	check := func(name string, got any, ok, wantOK bool, want any) {
		t.Helper()
		if ok != wantOK || (ok && got != want) {
			t.Errorf("%s: got %v (%T), %v; want %v, %v", name, got, got, ok, want, wantOK)
		}
	}
	v64, ok := vishnu.Get[int64](s, "five")
	check("int as int64", v64, ok, true, int64(5))
	v8, ok := vishnu.Get[uint8](s, "five")
	check("int as uint8", v8, ok, true, uint8(5))
	vf, ok := vishnu.Get[float64](s, "five")
	check("int as float64", vf, ok, true, 5.0)
	vi, ok := vishnu.Get[int](s, "big")
	check("int64 as int", vi, ok, true, 1<<40)
	v32, ok := vishnu.Get[int32](s, "big")
	check("int64 too big for int32", v32, ok, false, int32(0))
	vu, ok := vishnu.Get[uint](s, "neg")
	check("negative as uint", vu, ok, false, uint(0))
	vs, ok := vishnu.Get[string](s, "five")
	check("int as string", vs, ok, false, "")
}

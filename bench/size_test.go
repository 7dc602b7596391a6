package bench

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	gorilla "github.com/gorilla/sessions"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// How cost grows with the session (this file) and with the store's
// population (population_test.go). These benchmarks run only when
// VISHNU_BENCH_GROWTH=1 (growth.sh sets it): they are slow, and run.sh's
// tables and chart are of the per-request scenarios alone.

const growthEnv = "VISHNU_BENCH_GROWTH"

func needGrowth(b *testing.B) {
	if os.Getenv(growthEnv) != "1" {
		b.Skipf("set %s=1 to run (see growth.sh)", growthEnv)
	}
}

// The session sizes measured: every combination of a number of keys and a
// value size. All the keys hold a string of the same size.
var (
	sizeKeys   = []int{1, 10, 100}
	sizeValues = []int{64, 4 << 10, 64 << 10}
)

// A sizeApp serves a session of keys string values of size bytes each,
// named k0, k1, ...: seed makes it, read reads k0 and writes its first byte
// and length ("a64"), write sets k0 to a new value of the same size,
// alternately all "b" and all "c", and writes "ok".
type sizeApp struct {
	cookieName        string
	seed, read, write endpoint
}

// sizeValue is the value of k-th key of a seeded session, and, for k < 0,
// the value written by write's n-th request.
func sizeValue(size, k, n int) string {
	switch {
	case k >= 0:
		return strings.Repeat("a", size)
	case n%2 == 0:
		return strings.Repeat("b", size)
	}
	return strings.Repeat("c", size)
}

func sizeKey(k int) string { return "k" + strconv.Itoa(k) }

func readBody(v string) string {
	if v == "" {
		return "none"
	}
	return v[:1] + strconv.Itoa(len(v))
}

var sizeLibs = []struct {
	name string
	app  func(tb testing.TB, keys, size int) sizeApp
}{
	{"vishnu", vishnuSizeApp},
	{"scs", scsSizeApp},
	{"gorilla", gorillaSizeApp},
}

// vishnuSizeApp: Vishnu's memory store, as vishnuApp sets it up.
func vishnuSizeApp(tb testing.TB, keys, size int) sizeApp {
	m, err := vishnu.New(vishnu.Config{
		Store: vishnu.NewMemoryStore(), Secret: signKey, AutoSave: true,
		Cookie: vishnu.CookieConfig{Insecure: true},
	})
	if err != nil {
		tb.Fatal(err)
	}
	handle := func(f http.HandlerFunc) endpoint { return endpoint{h: m.Handler(f)} }
	values := [2]string{sizeValue(size, -1, 0), sizeValue(size, -1, 1)}
	n := 0
	return sizeApp{
		cookieName: m.CookieName(),
		seed: handle(func(w http.ResponseWriter, r *http.Request) {
			s := vishnu.FromContext(r.Context())
			for k := range keys {
				if err := s.Set(sizeKey(k), sizeValue(size, k, 0)); err != nil {
					tb.Error(err)
				}
			}
			writeOK(w)
		}),
		read: handle(func(w http.ResponseWriter, r *http.Request) {
			v, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "k0")
			w.Write([]byte(readBody(v)))
		}),
		write: handle(func(w http.ResponseWriter, r *http.Request) {
			n++
			if err := vishnu.FromContext(r.Context()).Set("k0", values[n%2]); err != nil {
				tb.Error(err)
			}
			writeOK(w)
		}),
	}
}

// scsSizeApp: scs's memory store, as scsApp sets it up.
func scsSizeApp(tb testing.TB, keys, size int) sizeApp {
	sm := scs.New()
	sm.Store = memstore.New()
	handle := func(f http.HandlerFunc) endpoint { return endpoint{h: sm.LoadAndSave(f)} }
	values := [2]string{sizeValue(size, -1, 0), sizeValue(size, -1, 1)}
	n := 0
	return sizeApp{
		cookieName: sm.Cookie.Name,
		seed: handle(func(w http.ResponseWriter, r *http.Request) {
			for k := range keys {
				sm.Put(r.Context(), sizeKey(k), sizeValue(size, k, 0))
			}
			writeOK(w)
		}),
		read: handle(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(readBody(sm.GetString(r.Context(), "k0"))))
		}),
		write: handle(func(w http.ResponseWriter, r *http.Request) {
			n++
			sm.Put(r.Context(), "k0", values[n%2])
			writeOK(w)
		}),
	}
}

// gorillaSizeApp: gorilla/sessions over quasoft/memstore (the store
// gorillaStore makes for server-side scenarios), as gorillaApp sets it up.
func gorillaSizeApp(tb testing.TB, keys, size int) sizeApp {
	store := gorillaStore(write)
	get := func(r *http.Request) *gorilla.Session {
		s, err := store.Get(r, gorillaCookie)
		if err != nil {
			tb.Errorf("gorilla: %v", err)
		}
		return s
	}
	save := func(w http.ResponseWriter, r *http.Request, s *gorilla.Session) {
		if err := s.Save(r, w); err != nil {
			tb.Errorf("gorilla: %v", err)
		}
	}
	values := [2]string{sizeValue(size, -1, 0), sizeValue(size, -1, 1)}
	n := 0
	return sizeApp{
		cookieName: gorillaCookie,
		seed: endpoint{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := get(r)
			for k := range keys {
				s.Values[sizeKey(k)] = sizeValue(size, k, 0)
			}
			save(w, r, s)
			writeOK(w)
		})},
		read: endpoint{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, _ := get(r).Values["k0"].(string)
			w.Write([]byte(readBody(v)))
		})},
		write: endpoint{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			s := get(r)
			s.Values["k0"] = values[n%2]
			save(w, r, s)
			writeOK(w)
		})},
	}
}

// cookie makes the session with a seed request and returns its cookie.
func (a sizeApp) cookie(tb testing.TB) string {
	tb.Helper()
	return app{cookieName: a.cookieName, seed: a.seed}.cookie(tb, read)
}

// BenchmarkSizeRead reads one key of a session of 1 to 100 keys of 64 B to
// 64 KiB each.
func BenchmarkSizeRead(b *testing.B) { runSize(b, false) }

// BenchmarkSizeWrite sets one key (to a new value of the same size) in a
// session of 1 to 100 keys of 64 B to 64 KiB each. A library that commits
// only what changed costs about the same with 1 key or 100.
func BenchmarkSizeWrite(b *testing.B) { runSize(b, true) }

func runSize(b *testing.B, write bool) {
	needGrowth(b)
	for _, keys := range sizeKeys {
		for _, size := range sizeValues {
			for _, l := range sizeLibs {
				b.Run("keys="+strconv.Itoa(keys)+"/value="+strconv.Itoa(size)+"/lib="+l.name, func(b *testing.B) {
					a := l.app(b, keys, size)
					e, want := a.read, readBody(sizeValue(size, 0, 0))
					if write {
						e, want = a.write, "ok"
					}
					e.bench(b, a.cookie(b), want)
				})
			}
		}
	}
}

// TestSizeApps checks what the size benchmarks take for granted, on the
// largest session: the seed stores every key, read answers with k0, and
// a write is persisted with the other keys kept.
func TestSizeApps(t *testing.T) {
	const keys, size = 100, 64 << 10
	for _, l := range sizeLibs {
		t.Run("lib="+l.name, func(t *testing.T) {
			a := l.app(t, keys, size)
			cookie := a.cookie(t)
			if res := a.read.do(t, a.cookieName, "/", cookie); res.body != "a65536" {
				t.Fatalf("read after seed: %q, want a65536", res.body)
			}
			for i, want := range []string{"c65536", "b65536"} {
				if res := a.write.do(t, a.cookieName, "/", cookie); res.status != http.StatusOK {
					t.Fatalf("write %d: status %d", i, res.status)
				}
				if res := a.read.do(t, a.cookieName, "/", cookie); res.body != want {
					t.Fatalf("read after write %d: %q, want %q", i, res.body, want)
				}
			}
		})
	}
}

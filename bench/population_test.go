package bench

import (
	"context"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The store populations measured: live sessions in the memory store while
// the requests run.
var populations = []int{1_000, 100_000, 1_000_000}

// hotFor is how many of n sessions are made with a real request, and so
// have a cookie the benchmarks can send: they take turns, so that reads and
// writes do not all hit one record. The rest are made without HTTP (as the
// same kind of session), and the heap per session is measured over those.
func hotFor(n int) int { return min(1_000, n/10) }

// A popApp is one library's memory store holding a population, with the
// cookies of its hot sessions and an endpoint per request kind.
type popApp struct {
	cookies            []string
	read, write, fresh endpoint
	payload            int // bytes of one session's data as the store keeps it
}

var popLibs = []struct {
	name string
	// app returns the library's server over an empty store; fill adds
	// bulk sessions to it.
	app func(tb testing.TB, n int) (popApp, func(bulk int))
}{
	{"vishnu", vishnuPopApp},
	{"scs", scsPopApp},
}

// nullTransport is the Transport of a session made without a request: it
// carries no cookie and drops the Set-Cookie line.
type nullTransport struct{}

func (nullTransport) Cookies(string) []string       { return nil }
func (nullTransport) RequestHeader(string) []string { return nil }
func (nullTransport) SetCookie(string, string)      {}
func (nullTransport) Header(string) string          { return "" }
func (nullTransport) SetHeader(string, string)      {}

// recordLen is a memory store that remembers the length of the record its
// last save or commit left, to learn how large a session is as stored.
type recordLen struct {
	*vishnu.MemoryStore
	n int
}

func (s *recordLen) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	s.n = len(data)
	return s.MemoryStore.Save(ctx, id, data, expires)
}

func (s *recordLen) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	if err := s.MemoryStore.Commit(ctx, id, c); err != nil {
		return err
	}
	rec, err := s.Load(ctx, id)
	s.n = len(rec)
	return err
}

// vishnuConfig is vishnuApp's configuration over store.
func vishnuConfig(store vishnu.Store) vishnu.Config {
	return vishnu.Config{Store: store, Secret: signKey, AutoSave: true, Cookie: vishnu.CookieConfig{Insecure: true}}
}

// newVishnuSession makes a session holding userKey through m without a
// request.
func newVishnuSession(tb testing.TB, m *vishnu.Manager) {
	s := m.Adapter().Open(context.Background(), nullTransport{})
	if err := s.Set(userKey, userValue); err != nil {
		tb.Fatal(err)
	}
	if err := m.Adapter().Commit(s); err != nil {
		tb.Fatal(err)
	}
	m.Adapter().Finish(s)
}

// vishnuPopApp: Vishnu's memory store bounded at n records, so that new
// sessions made at n evict the one closest to expiry, as a full store does.
func vishnuPopApp(tb testing.TB, n int) (popApp, func(int)) {
	store, err := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{MaxEntries: n})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := vishnu.New(vishnuConfig(store))
	if err != nil {
		tb.Fatal(err)
	}
	probe := &recordLen{MemoryStore: vishnu.NewMemoryStore()}
	pm, err := vishnu.New(vishnuConfig(probe))
	if err != nil {
		tb.Fatal(err)
	}
	newVishnuSession(tb, pm)

	handle := func(f http.HandlerFunc) endpoint { return endpoint{h: m.Handler(f)} }
	count := 0
	a := popApp{payload: probe.n}
	a.fresh = handle(func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Set(userKey, userValue); err != nil {
			tb.Error(err)
		}
		writeOK(w)
	})
	a.read = handle(func(w http.ResponseWriter, r *http.Request) {
		user, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), userKey)
		w.Write([]byte(user))
	})
	a.write = handle(func(w http.ResponseWriter, r *http.Request) {
		count++
		if err := vishnu.FromContext(r.Context()).Set(countKey, count); err != nil {
			tb.Error(err)
		}
		writeOK(w)
	})
	a.cookies = hotCookies(tb, a.fresh, m.CookieName(), hotFor(n))
	return a, func(bulk int) {
		for range bulk {
			newVishnuSession(tb, m)
		}
	}
}

// scsPopApp: scs's memory store, which has no bound (new sessions made
// during the benchmark add to the population).
func scsPopApp(tb testing.TB, n int) (popApp, func(int)) {
	sm := scs.New()
	store := memstore.New()
	sm.Store = store
	data, err := sm.Codec.Encode(time.Now().Add(sm.Lifetime), map[string]any{userKey: userValue})
	if err != nil {
		tb.Fatal(err)
	}
	handle := func(f http.HandlerFunc) endpoint { return endpoint{h: sm.LoadAndSave(f)} }
	count := 0
	a := popApp{payload: len(data)}
	a.fresh = handle(func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), userKey, userValue)
		writeOK(w)
	})
	a.read = handle(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(sm.GetString(r.Context(), userKey)))
	})
	a.write = handle(func(w http.ResponseWriter, r *http.Request) {
		count++
		sm.Put(r.Context(), countKey, count)
		writeOK(w)
	})
	a.cookies = hotCookies(tb, a.fresh, sm.Cookie.Name, hotFor(n))
	return a, func(bulk int) {
		// Tokens as scs makes them (32 random bytes, base64), from a fast
		// generator: only their size matters here.
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		var raw [32]byte
		expiry := time.Now().Add(sm.Lifetime)
		for range bulk {
			for i := 0; i < len(raw); i += 8 {
				v := rng.Uint64()
				for j := range 8 {
					raw[i+j] = byte(v >> (8 * j))
				}
			}
			// scs encodes each session afresh: one slice per session.
			if err := store.Commit(base64.RawURLEncoding.EncodeToString(raw[:]), append([]byte(nil), data...), expiry); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// hotCookies makes n sessions with real requests to fresh and returns
// their cookies.
func hotCookies(tb testing.TB, fresh endpoint, name string, n int) []string {
	cookies := make([]string, n)
	for i := range cookies {
		res := fresh.do(tb, name, "/", "")
		if res.status != http.StatusOK || res.cookie == nil {
			tb.Fatalf("new session: status %d, cookie %v", res.status, res.cookie)
		}
		cookies[i] = res.cookie.Name + "=" + res.cookie.Value
	}
	return cookies
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkPopulation measures read, write and new requests with 10^3,
// 10^5 and 10^6 live sessions in the memory store, and reports the heap
// per session (heap-B/session, over the sessions made without HTTP, after
// a GC), the size of one session's data as stored (payload-B/session), and
// the garbage collector's share of the CPU during the requests: of all the
// CPU time of the process's GOMAXPROCS (gc-cpu-%), and of the time that was
// not idle (gc-busy-%), from runtime/metrics.
func BenchmarkPopulation(b *testing.B) {
	needGrowth(b)
	for _, n := range populations {
		for _, l := range popLibs {
			b.Run("sessions="+strconv.Itoa(n)+"/lib="+l.name, func(b *testing.B) {
				a, fill := l.app(b, n)
				bulk := n - len(a.cookies)
				before := heapAlloc()
				fill(bulk)
				perSession := float64(heapAlloc()-before) / float64(bulk)
				ops := []struct {
					name   string
					e      endpoint
					cookie bool
					want   string
				}{
					{"read", a.read, true, userValue},
					{"write", a.write, true, "ok"},
					{"new", a.fresh, false, "ok"}, // last: it changes the population
				}
				for _, op := range ops {
					b.Run("op="+op.name, func(b *testing.B) {
						cookies := a.cookies
						if !op.cookie {
							cookies = []string{""}
						}
						benchRotating(b, op.e, cookies, op.want)
						b.ReportMetric(perSession, "heap-B/session")
						b.ReportMetric(float64(a.payload), "payload-B/session")
					})
				}
			})
		}
	}
}

// gcMetrics are the runtime/metrics samples of the GC's CPU share.
func gcMetrics() (gc, total, idle float64) {
	s := []metrics.Sample{
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/total:cpu-seconds"},
		{Name: "/cpu/classes/idle:cpu-seconds"},
	}
	metrics.Read(s)
	return s[0].Value.Float64(), s[1].Value.Float64(), s[2].Value.Float64()
}

// benchRotating is endpoint.bench with the requests taking the cookies in
// turn, and the GC's share of the CPU reported.
func benchRotating(b *testing.B, e endpoint, cookies []string, want string) {
	b.ReportAllocs()
	tmpls := make([]*http.Request, len(cookies))
	for i, c := range cookies {
		tmpls[i] = httptest.NewRequest(http.MethodGet, "/", nil)
		if c != "" {
			tmpls[i].Header.Set("Cookie", c)
		}
	}
	var w *httptest.ResponseRecorder
	gc0, total0, idle0 := gcMetrics()
	i := 0
	for b.Loop() {
		r := new(http.Request)
		*r = *tmpls[i%len(tmpls)]
		i++
		w = httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d, body %q", w.Code, w.Body)
		}
	}
	gc1, total1, idle1 := gcMetrics()
	if got := w.Body.String(); got != want {
		b.Fatalf("body %q, want %q", got, want)
	}
	if d := total1 - total0; d > 0 {
		b.ReportMetric(100*(gc1-gc0)/d, "gc-cpu-%")
		if busy := d - (idle1 - idle0); busy > 0 {
			b.ReportMetric(100*(gc1-gc0)/busy, "gc-busy-%")
		}
	}
}

// TestPopulationApps checks the population benchmarks' setup on a small
// store: the bulk sessions are really stored beside the hot ones, the hot
// cookies read their session, a write is persisted, and Vishnu's bounded
// store stays at its bound when new sessions come.
func TestPopulationApps(t *testing.T) {
	const n = 200
	for _, l := range popLibs {
		t.Run("lib="+l.name, func(t *testing.T) {
			a, fill := l.app(t, n)
			fill(n - len(a.cookies))
			if len(a.cookies) != hotFor(n) || a.payload <= len(userKey)+len(userValue) {
				t.Fatalf("%d hot cookies, payload %d B; want %d, more than the data", len(a.cookies), a.payload, hotFor(n))
			}
			for _, c := range a.cookies {
				if res := a.read.do(t, "", "/", c); res.body != userValue {
					t.Fatalf("read: %q, want %q", res.body, userValue)
				}
			}
			if res := a.write.do(t, "", "/", a.cookies[0]); res.status != http.StatusOK {
				t.Fatalf("write: status %d", res.status)
			}
		})
	}
	// Vishnu's store holds exactly n: the bulk sessions count.
	store, _ := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{MaxEntries: 1_000})
	m, err := vishnu.New(vishnuConfig(store))
	if err != nil {
		t.Fatal(err)
	}
	for range 1_200 {
		newVishnuSession(t, m)
	}
	if got := store.Len(); got != 1_000 {
		t.Errorf("store holds %d sessions after 1,200 made, want its bound, 1,000", got)
	}
}

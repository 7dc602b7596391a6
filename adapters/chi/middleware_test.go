package vishnuchi_test

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	vishnuchi "github.com/vishnu-go/vishnu/adapters/chi"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// sessionRoutes are the routes the middleware tests share.
func sessionRoutes(r chi.Router) {
	r.Get("/set", func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Set(r.FormValue("k"), r.FormValue("v")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Handler", "set")
		io.WriteString(w, "ok")
	})
	r.Get("/get", func(w http.ResponseWriter, r *http.Request) {
		v, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), r.FormValue("k"))
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Handler", "get")
		io.WriteString(w, v)
	})
}

// router is a chi router with mw on the given side of m's middleware.
func router(m *vishnu.Manager, mw func(http.Handler) http.Handler, outside bool) *chi.Mux {
	r := chi.NewRouter()
	if outside {
		r.Use(mw)
	}
	r.Use(vishnuchi.Middleware(m))
	if !outside {
		r.Use(mw)
	}
	sessionRoutes(r)
	return r
}

var sides = []struct {
	name    string
	outside bool
}{{"Outside", true}, {"Inside", false}}

func TestMiddlewareIsCoresHandler(t *testing.T) {
	m := newManager(t, nil, "", nil)
	base := serve(t, vishnuchi.Middleware(m)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if vishnu.FromContext(r.Context()) == nil || m.FromContext(r.Context()) == nil {
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	})))
	newBrowser(t, base).expect("/", http.StatusOK, "ok")
}

// TestHeartbeat: Heartbeat answers its endpoint without the session on
// either side: no cookie, no store call, and the session stays as it was.
func TestHeartbeat(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			st := newStore()
			m := newManager(t, st, "", nil)
			b := newBrowser(t, serve(t, router(m, middleware.Heartbeat("/ping"), side.outside)))
			b.expect("/set?k=user&v=ann", http.StatusOK, "ok")
			st.down.Store(true) // a store call would now fail the request
			r := b.expect("/ping", http.StatusOK, ".")
			if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("the heartbeat set a cookie: %q", sc)
			}
			st.down.Store(false)
			b.expect("/get?k=user", http.StatusOK, "ann")
		})
	}
}

// TestThrottle: a request that Throttle turns away carries no cookie, and
// the request it let through commits as usual.
func TestThrottle(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			m := newManager(t, nil, "", nil)
			hold, held := make(chan struct{}), make(chan struct{})
			r := router(m, middleware.Throttle(1), side.outside)
			r.Get("/hold", func(w http.ResponseWriter, r *http.Request) {
				_ = vishnu.FromContext(r.Context()).Set("k", "held")
				close(held)
				<-hold
				io.WriteString(w, "done")
			})
			b := newBrowser(t, serve(t, r))
			b.expect("/set?k=user&v=ann", http.StatusOK, "ok")
			done := make(chan error, 1)
			go func() {
				resp, err := b.try("/hold")
				if err == nil && resp.body != "done" {
					err = errors.New("held request: " + resp.body)
				}
				done <- err
			}()
			<-held
			rej := b.get("/set?k=user&v=mallory")
			if rej.status != http.StatusTooManyRequests || len(rej.header.Values("Set-Cookie")) > 0 {
				t.Errorf("throttled request: status %d, Set-Cookie %q; want 429 without a cookie", rej.status, rej.header.Values("Set-Cookie"))
			}
			close(hold)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			b.expect("/get?k=k", http.StatusOK, "held")
			b.expect("/get?k=user", http.StatusOK, "ann")
		})
	}
}

// TestTimeout: a handler that gives up when chi's Timeout fires. Inside
// the session middleware (the order to use), Timeout's 504 goes out with
// the session committed and its cookie. Outside it, the session's store
// calls share the expired deadline, so the commit fails and the visitor
// gets the configured error response: an error, not a silent loss.
func TestTimeout(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			logs := new(logBuffer)
			m := newManager(t, nil, "", logs)
			r := router(m, middleware.Timeout(100*time.Millisecond), side.outside)
			r.Get("/slow", func(w http.ResponseWriter, r *http.Request) {
				_ = vishnu.FromContext(r.Context()).Set("k", "slow")
				<-r.Context().Done() // as Timeout asks handlers to do
			})
			b := newBrowser(t, serve(t, r))
			b.expect("/set?k=k&v=before", http.StatusOK, "ok")
			res := b.get("/slow")
			if side.outside {
				if res.status != errorStatus || res.body != errorBody {
					t.Fatalf("Timeout outside: status %d, body %q; want the error response", res.status, res.body)
				}
				if !strings.Contains(logs.String(), "context deadline exceeded") {
					t.Errorf("the failed commit was not logged with its cause:\n%s", logs)
				}
				b.expect("/get?k=k", http.StatusOK, "before") // nothing half-done
				return
			}
			if res.status != http.StatusGatewayTimeout {
				t.Fatalf("Timeout inside: status %d, body %q; want Timeout's 504", res.status, res.body)
			}
			b.expect("/get?k=k", http.StatusOK, "slow")
		})
	}
}

// TestTimeoutNewSession: the same with a new session, whose cookie must go
// out with the 504 for its data to be of any use.
func TestTimeoutNewSession(t *testing.T) {
	m := newManager(t, nil, "", nil)
	r := router(m, middleware.Timeout(100*time.Millisecond), false)
	r.Get("/slow", func(w http.ResponseWriter, r *http.Request) {
		_ = vishnu.FromContext(r.Context()).Set("k", "slow")
		<-r.Context().Done()
	})
	b := newBrowser(t, serve(t, r))
	res := b.get("/slow")
	if res.status != http.StatusGatewayTimeout || len(res.header.Values("Set-Cookie")) != 1 {
		t.Fatalf("status %d, Set-Cookie %q; want 504 with the new session's cookie", res.status, res.header.Values("Set-Cookie"))
	}
	b.expect("/get?k=k", http.StatusOK, "slow")
}

// TestRecoverer: a handler that changes the session and then panics.
// Recoverer outside the session middleware (the order to use): the 500
// goes out without the half-done change, as for any failed request.
// Inside it, Recoverer's 500 is the response the session commits with, so
// the change made before the panic is kept.
func TestRecoverer(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			m := newManager(t, nil, "", nil)
			r := router(m, middleware.Recoverer, side.outside)
			r.Get("/panic", func(w http.ResponseWriter, r *http.Request) {
				_ = vishnu.FromContext(r.Context()).Set("k", "half-done")
				panic("handler bug")
			})
			b := newBrowser(t, serve(t, r))
			b.expect("/set?k=k&v=before", http.StatusOK, "ok")
			if res := b.get("/panic"); res.status != http.StatusInternalServerError {
				t.Fatalf("status %d, want Recoverer's 500", res.status)
			}
			want := "before"
			if !side.outside {
				want = "half-done"
			}
			b.expect("/get?k=k", http.StatusOK, want)
		})
	}
}

// rawGet sends a request asking for gzip, without the transport's
// transparent decompression, and returns the status, headers and the
// decompressed body.
func rawGet(t *testing.T, url, cookie string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestCompress: a compressed response carries the session cookie, and the
// error response replaces the handler's whole, compressed or not, on either
// side of Compress.
func TestCompress(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			st := newStore()
			m := newManager(t, st, "", nil)
			base := serve(t, router(m, middleware.Compress(5), side.outside))
			status, h, body := rawGet(t, base+"/set?k=user&v=ann", "")
			if status != http.StatusOK || body != "ok" || h.Get("Content-Encoding") != "gzip" || len(h.Values("Set-Cookie")) != 1 {
				t.Fatalf("status %d, body %q, Content-Encoding %q, Set-Cookie %q; want a gzipped ok with the cookie", status, body, h.Get("Content-Encoding"), h.Values("Set-Cookie"))
			}
			cookie := strings.SplitN(h.Get("Set-Cookie"), ";", 2)[0]
			if _, _, body := rawGet(t, base+"/get?k=user", cookie); body != "ann" {
				t.Fatalf("the session holds %q, want ann", body)
			}
			st.down.Store(true)
			status, h, body = rawGet(t, base+"/get?k=user", cookie)
			if status != errorStatus || body != errorBody || h.Get("X-Handler") != "" {
				t.Fatalf("store down: status %d, body %q, X-Handler %q; want the error response alone", status, body, h.Get("X-Handler"))
			}
		})
	}
}

// statusLog is a chi LogFormatter that keeps the statuses Logger saw.
type statusLog struct{ statuses chan int }

func (l statusLog) NewLogEntry(*http.Request) middleware.LogEntry { return l }

func (l statusLog) Write(status, _ int, _ http.Header, _ time.Duration, _ any) { l.statuses <- status }

func (l statusLog) Panic(any, []byte) {}

// TestLogger: outside the session middleware, chi's request logger sees
// the status that went out, the error response's included; inside it, it
// sees the one the handler wrote, which the error response replaced.
func TestLogger(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			st := newStore()
			log := statusLog{make(chan int, 4)}
			m := newManager(t, st, "", nil)
			b := newBrowser(t, serve(t, router(m, middleware.RequestLogger(log), side.outside)))
			b.expect("/set?k=user&v=ann", http.StatusOK, "ok")
			if got := <-log.statuses; got != http.StatusOK {
				t.Fatalf("logged %d, want 200", got)
			}
			st.down.Store(true)
			b.expect("/get?k=user", errorStatus, errorBody)
			want := errorStatus
			if !side.outside {
				want = http.StatusOK
			}
			if got := <-log.statuses; got != want {
				t.Errorf("with the store down, Logger logged %d, want %d", got, want)
			}
		})
	}
}

// TestNilManager: a nil Manager is a set-up mistake, reported where the
// middleware is made (with the function's name), never at request time.
func TestNilManager(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.HasPrefix(msg, "vishnuchi: Middleware") || !strings.Contains(msg, "nil *vishnu.Manager") {
			t.Errorf("Middleware(nil) panicked with %q; want a panic naming vishnuchi.Middleware and the nil Manager", msg)
		}
	}()
	r := chi.NewRouter()
	r.Use(vishnuchi.Middleware(nil))
}

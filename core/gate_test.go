package vishnu_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// gateFor opens a session on a fresh response whose header holds what
// outer middleware set, and returns its gate.
func gateFor(t *testing.T, a vishnu.Adapter) (*vishnu.Gate, *vishnu.Session, *httptest.ResponseRecorder) {
	t.Helper()
	w := httptest.NewRecorder()
	w.Header().Set("Strict-Transport-Security", "max-age=63072000")
	w.Header().Add("Vary", "Origin")
	s, _ := a.OpenHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	g := a.NewGate(s, w.Header())
	return &g, s, w
}

// The gate's states and transitions, as an adapter's writer drives them.
func TestGate(t *testing.T) {
	cfg, st := testConfig(newClock())
	cfg.ErrorResponse = func(_ context.Context, err error) vishnu.ErrorResponse {
		return vishnu.ErrorResponse{Status: 503, Header: http.Header{"X-Error": {"1"}, "Vary": {"Accept"}}, Body: []byte("down")}
	}
	a := newManager(t, cfg).Adapter()

	t.Run("committed once", func(t *testing.T) {
		g, s, w := gateFor(t, a)
		if err := s.Set("k", "v"); err != nil {
			t.Fatal(err)
		}
		if err := g.Commit(); err != nil || g.State() != vishnu.GateCommitted {
			t.Fatalf("Commit = %v, state %v", err, g.State())
		}
		first := slices.Clone(w.Header()["Set-Cookie"])
		if len(first) != 1 || g.Commit() != nil || !slices.Equal(first, w.Header()["Set-Cookie"]) {
			t.Fatalf("cookies %q then %q", first, w.Header()["Set-Cookie"])
		}
		if g.Unwind() || g.State() != vishnu.GateCommitted {
			t.Fatalf("Unwind after a commit: state %v", g.State())
		}
	})

	t.Run("abandoned by a panic", func(t *testing.T) {
		g, s, w := gateFor(t, a)
		if err := s.Set("k", "v"); err != nil {
			t.Fatal(err)
		}
		saves := st.saves.Load()
		if g.Unwind() || g.State() != vishnu.GateAbandoned {
			t.Fatalf("Unwind of a pending gate: state %v", g.State())
		}
		if err := g.Commit(); err != nil {
			t.Fatalf("Commit after abandon = %v, want nil (the recovery page goes out)", err)
		}
		if st.saves.Load() != saves || w.Header()["Set-Cookie"] != nil {
			t.Fatal("an abandoned response committed its session")
		}
	})

	t.Run("failed, then replaced", func(t *testing.T) {
		g, s, w := gateFor(t, a)
		if err := s.Set("k", "v"); err != nil {
			t.Fatal(err)
		}
		st.down.Store(true)
		defer st.down.Store(false)
		err := g.Commit()
		if !errors.Is(err, errDown) || g.State() != vishnu.GateFailed || !errors.Is(g.Err(), errDown) {
			t.Fatalf("Commit on a down store = %v, state %v", err, g.State())
		}
		if again := g.Commit(); !errors.Is(again, errDown) {
			t.Fatalf("a second Commit = %v, want the first's error", again)
		}
		w.Header().Set("X-Handler", "1")
		w.Header().Set("Cache-Control", "public")
		if !g.Unwind() {
			t.Fatal("Unwind after a failed commit did not ask for the error response")
		}
		resp := g.Replace(w.Header(), false)
		h := w.Header()
		if resp.Status != 503 || string(resp.Body) != "down" || g.State() != vishnu.GateReplaced || g.Unwind() {
			t.Fatalf("Replace = %d %q, state %v", resp.Status, resp.Body, g.State())
		}
		for k, want := range map[string][]string{
			"X-Handler":                 nil,
			"Strict-Transport-Security": {"max-age=63072000"},
			"Vary":                      {"Origin", "Accept"},
			"Cache-Control":             {"no-store"},
			"X-Error":                   {"1"},
			"Content-Length":            {"4"},
		} {
			if !slices.Equal(h[k], want) {
				t.Errorf("%s: %q, want %q", k, h[k], want)
			}
		}
	})

	t.Run("replaced for an error handler", func(t *testing.T) {
		g, s, w := gateFor(t, a)
		if err := s.Set("k", "v"); err != nil {
			t.Fatal(err)
		}
		st.down.Store(true)
		defer st.down.Store(false)
		_ = g.Commit()
		g.Replace(w.Header(), true)
		h := w.Header()
		if h["X-Error"] != nil || h["Content-Length"] != nil || !slices.Equal(h["Cache-Control"], []string{"no-store"}) ||
			!slices.Equal(h["Vary"], []string{"Origin", "Accept"}) {
			t.Errorf("session-only headers: %v", h)
		}
	})

	t.Run("late", func(t *testing.T) {
		g, s, w := gateFor(t, a)
		if err := s.Set("k", "v"); err != nil {
			t.Fatal(err)
		}
		saves := st.saves.Load()
		if err := g.CommitLate(); !errors.Is(err, vishnu.ErrHeadersWritten) || g.State() != vishnu.GateCommitted {
			t.Fatalf("CommitLate of a new session = %v, state %v", err, g.State())
		}
		if st.saves.Load() != saves || w.Header()["Set-Cookie"] != nil {
			t.Fatal("a late commit wrote a session nobody can find again")
		}
	})
}

func TestIsInformational(t *testing.T) {
	for code, want := range map[int]bool{99: false, 100: true, 101: false, 102: true, 103: true, 199: true, 200: false, 204: false} {
		if got := vishnu.IsInformational(code); got != want {
			t.Errorf("IsInformational(%d) = %v", code, got)
		}
	}
}

// EachHeader gives Set-Cookie and Vary to add, the rest to replace, and
// only the session's own with sessionOnly.
func TestErrorResponseEachHeader(t *testing.T) {
	resp := vishnu.ErrorResponse{Header: http.Header{
		"Set-Cookie": {"a=; Max-Age=0"}, "vary": {"Cookie"}, "Cache-Control": {"no-store"}, "X-Error": {"1"},
	}}
	for _, sessionOnly := range []bool{false, true} {
		got := map[string]bool{}
		resp.EachHeader(sessionOnly, func(k string, _ []string, add bool) { got[k] = add })
		want := map[string]bool{"Set-Cookie": true, "vary": true, "Cache-Control": false}
		if !sessionOnly {
			want["X-Error"] = false
		}
		if !maps.Equal(got, want) {
			t.Errorf("sessionOnly %v: %v, want %v", sessionOnly, got, want)
		}
	}
}

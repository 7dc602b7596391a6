package vishnu_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

var errRefused = errors.New("refused by the adapter")

// gateWriterServer serves, on loopback, an adapter built on GateWriter:
// the handler sets a session value and then sends its response by op
// through the writer. When the handler returns, the adapter commits a
// response still pending and sends a failed commit's error response, as
// adapters that leave it to the end do. What refused got, and what op
// returned, are reported on the channels.
func gateWriterServer(t *testing.T, m *vishnu.Manager, refused func(*vishnu.GateWriter, error) error, op func(http.ResponseWriter) error) (string, chan error) {
	t.Helper()
	a := m.Adapter()
	opErr := make(chan error, 1)
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := a.OpenHTTP(w, r)
		gw := a.NewWriter(w, s, refused)
		if err := s.Set("k", "v"); err != nil {
			t.Error(err)
		}
		w.Header().Set("X-Handler", "1")
		opErr <- op(&gw)
		if gw.State() == vishnu.GatePending {
			_ = gw.Commit()
		}
		if gw.State() == vishnu.GateFailed {
			gw.ReplaceNow()
		}
		a.Finish(s)
	})), opErr
}

// Every way the response can go out passes the gate: while the store is
// up it goes out with the session's cookie; once the commit fails, none of
// the handler's goes out, and the write returns what refused made of the
// commit's error.
func TestGateWriter(t *testing.T) {
	cfg, st := testConfig(newClock())
	var built atomic.Int32 // error responses
	cfg.ErrorResponse = func(_ context.Context, err error) vishnu.ErrorResponse {
		built.Add(1)
		return vishnu.ErrorResponse{Status: 503, Body: []byte("down")}
	}
	m := newManager(t, cfg)
	c := &http.Client{Timeout: 10 * time.Second} // no jar: each request starts a session

	ops := map[string]func(http.ResponseWriter) error{
		"WriteHeader": func(w http.ResponseWriter) error {
			w.WriteHeader(http.StatusCreated)
			_, err := w.Write([]byte("body"))
			return err
		},
		"Write": func(w http.ResponseWriter) error {
			_, err := w.Write([]byte("body"))
			return err
		},
		"Flush": func(w http.ResponseWriter) error {
			if err := http.NewResponseController(w).Flush(); err != nil {
				return err
			}
			_, err := w.Write([]byte("body"))
			return err
		},
		"ReadFrom": func(w http.ResponseWriter) error {
			// Hidden from io.Copy, which would call its WriteTo instead.
			_, err := io.Copy(w, struct{ io.Reader }{strings.NewReader("body")})
			return err
		},
		"Hijack": func(w http.ResponseWriter) error {
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return err
			}
			defer conn.Close()
			// A handshake writes the headers it is given.
			_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n")
			_ = w.Header().Write(rw)
			_, _ = rw.WriteString("\r\nbody")
			return rw.Flush()
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			var got []error
			refused := func(_ *vishnu.GateWriter, err error) error {
				got = append(got, err)
				return errRefused
			}

			base, opErr := gateWriterServer(t, m, refused, op)
			resp := guardGet(t, c, base)
			if err := <-opErr; err != nil || resp.body != "body" || resp.header["Set-Cookie"] == nil || resp.header.Get("X-Handler") != "1" || len(got) != 0 {
				t.Fatalf("store up: op = %v, response %+v, refused %v", err, resp, got)
			}

			st.down.Store(true)
			defer st.down.Store(false)
			resp = guardGet(t, c, base)
			if err := <-opErr; err != errRefused || len(got) == 0 || !errors.Is(got[0], errDown) {
				t.Fatalf("store down: op = %v, refused got %v", err, got)
			}
			if resp.status != 503 || resp.body != "down" || resp.header.Get("X-Handler") != "" {
				t.Fatalf("store down: the handler's response went out: %+v", resp)
			}
		})
	}

	t.Run("nil refused", func(t *testing.T) {
		base, opErr := gateWriterServer(t, m, nil, ops["Write"])
		st.down.Store(true)
		defer st.down.Store(false)
		if resp := guardGet(t, c, base); resp.status != 503 {
			t.Fatalf("store down: %+v", resp)
		}
		if err := <-opErr; !errors.Is(err, errDown) {
			t.Fatalf("Write = %v, want the commit's error", err)
		}
	})

	t.Run("informational", func(t *testing.T) {
		base, opErr := gateWriterServer(t, m, nil, func(w http.ResponseWriter) error {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			if state := w.(*vishnu.GateWriter).State(); state != vishnu.GatePending {
				return fmt.Errorf("an informational response left the gate in state %d", state)
			}
			_, err := w.Write([]byte("body"))
			return err
		})
		hints := 0
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
				if code == http.StatusEarlyHints {
					hints++
				}
				return nil
			},
		}), http.MethodGet, base, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := <-opErr; err != nil || hints != 1 || string(body) != "body" || resp.Cookies() == nil {
			t.Fatalf("op = %v, %d early hints, response %d %q %v", err, hints, resp.StatusCode, body, resp.Header)
		}
	})

	// Core's middleware sends the error response at the first refused
	// write, and only then.
	t.Run("middleware", func(t *testing.T) {
		errs := make(chan error, 3)
		base := serve(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = vishnu.FromContext(r.Context()).Set("k", "v")
			for range 2 {
				_, err := w.Write([]byte("body"))
				errs <- err
			}
			errs <- http.NewResponseController(w).Flush()
		}))
		st.down.Store(true)
		defer st.down.Store(false)
		before := built.Load()
		if resp := guardGet(t, c, base); resp.status != 503 || resp.body != "down" {
			t.Fatalf("store down: %d %q, want the error response", resp.status, resp.body)
		}
		for range 3 {
			if err := <-errs; err == nil {
				t.Fatal("a write went through after the error response")
			}
		}
		if n := built.Load() - before; n != 1 {
			t.Fatalf("%d error responses built, want one", n)
		}
	})
}

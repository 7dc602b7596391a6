package vishnu_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestStreamingKeepsTheCookieAndFlushes(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vishnu.FromContext(r.Context()).Set("streamed", "yes")
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-release // the client must see "first" before the handler goes on
		io.WriteString(w, "second\n")
	})
	srv := httptest.NewServer(m.Handler(h))
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	resp, err := b.c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if len(resp.Header.Values("Set-Cookie")) != 1 {
		t.Fatalf("a streamed response must carry the cookie, got %q", resp.Header.Values("Set-Cookie"))
	}
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first chunk: %q %v", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(rd)
	if string(rest) != "second\n" {
		t.Fatalf("rest: %q", rest)
	}
}

func TestResponseControllerReachesTheServer(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vishnu.FromContext(r.Context()).Set("a", "1")
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Errorf("SetWriteDeadline through the middleware: %v", err)
		}
		io.WriteString(w, "x")
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush through the middleware: %v", err)
		}
	})
	b := newBrowser(t, serve(t, m, h))
	if set := b.expect("/", "x"); len(set) != 1 {
		t.Fatalf("cookie: %q", set)
	}
}

func TestHijackCommitsFirst(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		s.Set("a", "1")
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		// The cookie was set on the header map before the takeover; a
		// handler that speaks HTTP itself sends it along.
		rw.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n")
		w.Header().Write(rw)
		rw.WriteString("\r\nhi")
		rw.Flush()
	})
	b := newBrowser(t, serve(t, m, h))
	body, set := b.get("/")
	if body != "hi" || len(set) != 1 || !strings.HasPrefix(set[0], "vishnu=") {
		t.Fatalf("hijacked response: %q %q", body, set)
	}
}

func TestEarlyHintsPassThrough(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		vishnu.FromContext(r.Context()).Set("a", "1") // still before the real headers
		w.WriteHeader(http.StatusOK)
	})
	b := newBrowser(t, serve(t, m, h))
	var hints []int
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
		hints = append(hints, code)
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", b.base, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(hints) != 1 || hints[0] != http.StatusEarlyHints {
		t.Fatalf("1xx seen by the client: %v, want [103]", hints)
	}
	if resp.StatusCode != http.StatusOK || len(resp.Header.Values("Set-Cookie")) != 1 {
		t.Fatalf("after 103: status %d, Set-Cookie %q", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
}

func TestReadFromCommitsFirst(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vishnu.FromContext(r.Context()).Set("a", "1")
		w.(io.ReaderFrom).ReadFrom(strings.NewReader("copied"))
	})
	b := newBrowser(t, serve(t, m, h))
	if set := b.expect("/", "copied"); len(set) != 1 {
		t.Fatalf("cookie: %q", set)
	}
}

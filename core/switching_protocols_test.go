package vishnu_test

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// 101 Switching Protocols is the last HTTP response of its connection (a
// WebSocket upgrade): it commits the session, so its cookie goes out with
// it. An informational response (103 Early Hints) goes out before the real
// headers and commits nothing: a change after it still gets its cookie.
func TestSwitchingProtocolsCommitsAndEarlyHintsDoNot(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/upgrade", func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Set("k", "v"); err != nil {
			t.Error(err)
		}
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "test")
		w.WriteHeader(http.StatusSwitchingProtocols)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_ = rw.Flush()
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusProcessing)
		report(w, vishnu.FromContext(r.Context()).Set("k", "v"))
	})
	base := serve(t, m, mux)
	u, _ := url.Parse(base)

	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	set := resp.Header.Values("Set-Cookie")
	if len(set) != 1 || !strings.HasPrefix(set[0], "vishnu=") {
		t.Fatalf("101 Switching Protocols carries Set-Cookie %q, want the session cookie", set)
	}
	// The session it set up is committed: the next request reads it.
	upgraded := newBrowser(t, base)
	upgraded.setCookie("vishnu", strings.TrimPrefix(strings.Split(set[0], ";")[0], "vishnu="))
	upgraded.expect("/get?k=k", "true:v")

	b := newBrowser(t, base)
	set = b.expect("/hints", "ok")
	if len(set) != 1 || !strings.HasPrefix(set[0], "vishnu=") {
		t.Fatalf("the response after 1xx carries Set-Cookie %q, want the session cookie", set)
	}
	b.expect("/hints", "ok")
}

package bench

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

const (
	// writers is the number of concurrent requests of the lost-update check,
	// each setting its own key.
	writers = 100
	// work is how long each of them works between reading the session and
	// changing it, as a handler that queries a database would.
	work = 5 * time.Millisecond
)

// TestLostUpdates sends 100 concurrent requests on one session, each setting
// its own key, to each library's memory store over a real server and client,
// and counts the keys that survive. A library that saves whole sessions keeps
// only the keys of the requests that saved last; Vishnu commits each
// request's change atomically and must keep all 100. The other libraries'
// counts are logged, not checked.
func TestLostUpdates(t *testing.T) { lostUpdates(t, libs) }

// lostUpdates runs the lost-update check on each of libs.
func lostUpdates(t *testing.T, libs []lib) {
	for _, l := range libs {
		a, ok := l.app(t, write) // a server-side store
		if !ok || !a.setKey.ok() {
			continue
		}
		t.Run("lib="+l.name, func(t *testing.T) {
			url := serve(t, a)
			jar, err := cookiejar.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			tr := &http.Transport{MaxIdleConnsPerHost: writers}
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}

			fetch(t, client, url+"/?op=seed")
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					<-start
					fetch(t, client, url+"/?op=set&k=k"+strconv.Itoa(i))
				})
			}
			close(start)
			wg.Wait()
			kept, err := strconv.Atoi(fetch(t, client, url+"/?op=count"))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s kept %d of %d keys", l.name, kept, writers)
			if strings.HasPrefix(l.name, "vishnu") && kept != writers {
				t.Errorf("%s lost %d of %d concurrent updates", l.name, writers-kept, writers)
			}
		})
	}
}

// serve starts a server for a's seed, setKey and count endpoints, chosen by
// the query parameter op, and returns its URL.
func serve(t *testing.T, a app) string {
	route := map[string]endpoint{"seed": a.seed, "set": a.setKey, "count": a.countKs}
	if a.seed.fh != nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
			route[string(ctx.QueryArgs().Peek("op"))].fh(ctx)
		}}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Shutdown() })
		return "http://" + ln.Addr().String()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route[r.URL.Query().Get("op")].h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fetch GETs url and returns the body of a 200 response.
func fetch(t *testing.T, c *http.Client, url string) string {
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d %q %v", url, resp.StatusCode, body, err)
	}
	return string(body)
}

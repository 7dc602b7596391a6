package memcachestore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/testserver"
)

// savingRecorder remembers the id of each record created, so the test
// knows which node holds which session. Commit and Touch are promoted from
// *Store, so core sees every capability.
type savingRecorder struct {
	*Store
	mu  sync.Mutex
	ids []string
}

func (r *savingRecorder) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	r.mu.Lock()
	r.ids = append(r.ids, id)
	r.mu.Unlock()
	return r.Store.Save(ctx, id, data, expires)
}

func (r *savingRecorder) lastID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[len(r.ids)-1]
}

// visitor is one browser: a client with its own cookie jar.
type visitor struct {
	client *http.Client
	node   int // index of the memcached node holding the session
	count  int // the counter value the session should hold
}

const faultErrorStatus = 599 // the test's ErrorResponse: unlike anything else

// TestNodeFailure kills one of three memcached nodes while sessions are in
// use through the net/http middleware over a real server, then restarts it.
// Sessions on the other nodes keep working throughout. Sessions on the
// killed node get the configured error response — not a new empty session
// (the client keeps sending their keys to their node, so nobody is silently
// logged out and no session silently forks onto another node) — and once
// the node is back they get fresh sessions, since memcached keeps nothing
// on disk.
func TestNodeFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills memcached processes")
	}
	deadline := time.Now().Add(90 * time.Second)
	nodes := []*testserver.Server{testserver.StartMemcached(t), testserver.StartMemcached(t), testserver.StartMemcached(t)}
	addrs := []string{nodes[0].Addr, nodes[1].Addr, nodes[2].Addr}

	client := memcache.New(addrs...)
	// Short, so that nothing waits long on a dead node (a killed process on
	// loopback refuses connections at once anyway), yet long enough for
	// live nodes on a busy machine running the race detector.
	client.Timeout = time.Second
	client.MaxIdleConns = 16
	t.Cleanup(func() { client.Close() })
	st, err := New(client, WithPrefix(randomPrefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	store := &savingRecorder{Store: st}
	var picker memcache.ServerList
	if err := picker.SetServers(addrs...); err != nil {
		t.Fatal(err)
	}
	nodeOf := func(id string) int {
		a, err := picker.PickServer(st.key(id))
		if err != nil {
			t.Fatal(err)
		}
		for i, addr := range addrs {
			if a.String() == addr {
				return i
			}
		}
		t.Fatalf("no node has address %s", a)
		return -1
	}

	var panics sync.Map
	m, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   []byte("0123456789abcdef0123456789abcdef"),
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Logger:   slog.New(slog.DiscardHandler),
		ErrorResponse: func(_ context.Context, err error) vishnu.ErrorResponse {
			return vishnu.ErrorResponse{
				Status: faultErrorStatus,
				Header: http.Header{"X-Session-Error": {"1"}},
				Body:   fmt.Appendf(nil, "session store unavailable: %v", err),
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	counter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				panics.Store(fmt.Sprint(p), true)
				panic(p)
			}
		}()
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "n")
		if err := s.Set("n", n+1); err != nil {
			return // the store is down: the middleware sends the error response
		}
		fmt.Fprint(w, n+1)
	})
	srv := httptest.NewServer(m.Handler(counter))
	t.Cleanup(srv.Close)

	// get makes one request and returns the status, the body (the counter)
	// and the headers.
	get := func(v *visitor) (int, string, http.Header, error) {
		if time.Now().After(deadline) {
			return 0, "", nil, fmt.Errorf("the test ran past its time budget")
		}
		resp, err := v.client.Get(srv.URL)
		if err != nil {
			return 0, "", nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header, err
	}
	// expectCount checks that v's session works: 200 and its counter.
	expectCount := func(v *visitor, phase string) error {
		code, body, _, err := get(v)
		if err != nil {
			return fmt.Errorf("%s: request: %w", phase, err)
		}
		v.count++
		if code != http.StatusOK || body != strconv.Itoa(v.count) {
			return fmt.Errorf("%s: session on node %d: %d %q; want 200 %q", phase, v.node, code, body, strconv.Itoa(v.count))
		}
		return nil
	}
	// expectError checks that v gets the error response, with no cookie:
	// its session is unreachable, and it must not be logged out.
	expectError := func(v *visitor, phase string) error {
		code, body, h, err := get(v)
		if err != nil {
			return fmt.Errorf("%s: request: %w", phase, err)
		}
		if code != faultErrorStatus || h.Get("X-Session-Error") != "1" {
			return fmt.Errorf("%s: session on the dead node %d: %d %q; want the error response %d", phase, v.node, code, body, faultErrorStatus)
		}
		if sc := h.Values("Set-Cookie"); len(sc) != 0 {
			return fmt.Errorf("%s: the error response sets cookies %q; the visitor must keep the session", phase, sc)
		}
		return nil
	}
	newVisitor := func() *visitor {
		jar, _ := cookiejar.New(nil)
		return &visitor{client: &http.Client{Jar: jar, Timeout: 5 * time.Second}}
	}

	// Sessions until each node holds at least three.
	var visitors []*visitor
	perNode := make([]int, len(nodes))
	for i := 0; i < 300 && min(perNode[0], perNode[1], perNode[2]) < 3; i++ {
		v := newVisitor()
		if err := expectCount(v, "new session"); err != nil {
			t.Fatal(err)
		}
		v.node = nodeOf(store.lastID())
		perNode[v.node]++
		visitors = append(visitors, v)
	}
	if min(perNode[0], perNode[1], perNode[2]) < 3 {
		t.Fatalf("sessions per node %v: the client does not spread keys", perNode)
	}
	t.Logf("%d sessions over the nodes: %v", len(visitors), perNode)

	// Every visitor keeps making requests while one node is killed, as a
	// crash would. Sessions on live nodes never notice. Those on the dead
	// node work until it dies, then get the error response.
	const dead, deadRounds, maxRounds = 1, 10, 2000
	var (
		preKill, deadDone, wg sync.WaitGroup
		killed, stop          = make(chan struct{}), make(chan struct{})
		mu                    sync.Mutex
		errorResponses        int
		liveAfterKill         int // requests served on live nodes after the kill
	)
	isClosed := func(c chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	for _, v := range visitors {
		if v.node == dead {
			preKill.Add(1)
			deadDone.Add(1)
			wg.Go(func() {
				defer deadDone.Done()
				for round := range deadRounds {
					if err := expectCount(v, fmt.Sprintf("run, before the kill, round %d", round)); err != nil {
						t.Error(err)
						break
					}
				}
				preKill.Done()
				<-killed
				for round := range deadRounds {
					if err := expectError(v, fmt.Sprintf("run, node killed, round %d", round)); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					errorResponses++
					mu.Unlock()
				}
			})
			continue
		}
		wg.Go(func() {
			after := 0
			for round := 0; !isClosed(stop) || after < 3; round++ {
				if round == maxRounds {
					t.Errorf("live session: %d requests and the run is not over", round)
					return
				}
				wasKilled := isClosed(killed)
				if err := expectCount(v, fmt.Sprintf("run, round %d, node killed: %v", round, wasKilled)); err != nil {
					t.Error(err)
					return
				}
				if wasKilled {
					after++
				}
			}
			mu.Lock()
			liveAfterKill += after
			mu.Unlock()
		})
	}
	preKill.Wait()
	nodes[dead].Kill()
	close(killed)
	deadDone.Wait()
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("node %d killed: %d error responses to its %d sessions; the other %d sessions served %d requests after the kill",
		dead, errorResponses, perNode[dead], len(visitors)-perNode[dead], liveAfterKill)

	// A new visitor meanwhile gets a session, or the error response when
	// its new token falls on the dead node.
	for range 10 {
		code, body, _, err := get(newVisitor())
		if err != nil {
			t.Fatal(err)
		}
		if code != http.StatusOK && code != faultErrorStatus {
			t.Fatalf("node down: new visitor: %d %q", code, body)
		}
	}

	// Restart it on the same port: an empty memcached.
	nodes[dead].Restart(t)
	for _, v := range visitors {
		if v.node != dead {
			if err := expectCount(v, "node back"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// A connection the client pooled before the crash fails on first
		// use and is dropped; allow for one such failure.
		code, body, _, err := get(v)
		if err == nil && code == faultErrorStatus {
			code, body, _, err = get(v)
		}
		if err != nil || code != http.StatusOK || body != "1" {
			t.Fatalf("node back: session that was on it: %d %q %v; want a fresh session, 200 \"1\"", code, body, err)
		}
		v.count = 1
		if err := expectCount(v, "node back, fresh session"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("node %d restarted: its %d visitors got fresh sessions, the others kept theirs", dead, perNode[dead])
	panics.Range(func(p, _ any) bool {
		t.Errorf("handler panicked: %v", p)
		return true
	})
}

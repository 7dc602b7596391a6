package vishnu_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// request sends one request with the given session cookie, outside any jar,
// as concurrent tabs of one browser would.
func request(t *testing.T, url, cookie string) (string, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.AddCookie(&http.Cookie{Name: "vishnu", Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, err = fmt.Fprint(&sb, resp.StatusCode)
	return sb.String(), err
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	cfg, _ := testConfig(newClock())
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=init&v=1", "ok")
	cookie := b.cookie("vishnu")

	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if status, err := request(t, fmt.Sprintf("%s/set?k=k%03d&v=%d", b.base, i, i), cookie); err != nil || status != "200" {
				t.Errorf("writer %d: %s %v", i, status, err)
			}
		})
	}
	wg.Wait()
	body, _ := b.get("/keys")
	keys := strings.Split(body, ",")
	if len(keys) != n+1 {
		t.Fatalf("%d concurrent writers on one session: %d keys kept, want %d", n, len(keys)-1, n)
	}
}

// gated serves app, plus two requests in flight: /slow and /slowregen load
// the session, tell the test they did, wait to be released, and then set a
// key (/slow) or regenerate the session (/slowregen).
func gated(loaded chan<- struct{}, release <-chan struct{}) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", app())
	hold := func(r *http.Request) *vishnu.Session {
		s := vishnu.FromContext(r.Context())
		s.Load()
		loaded <- struct{}{}
		<-release
		return s
	}
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		hold(r).Set(r.FormValue("k"), "late")
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/slowregen", func(w http.ResponseWriter, r *http.Request) {
		report(w, hold(r).Regenerate())
	})
	return mux
}

func TestLogoutRacingWithWritersStaysLoggedOut(t *testing.T) {
	cfg, st := testConfig(newClock())
	const writers = 20
	loaded, release := make(chan struct{}, writers), make(chan struct{})
	b := newBrowser(t, serve(t, newManager(t, cfg), gated(loaded, release)))
	b.expect("/set?k=user&v=ann", "ok")
	cookie := b.cookie("vishnu")

	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { request(t, fmt.Sprintf("%s/slow?k=w%d", b.base, i), cookie) })
	}
	for range writers {
		<-loaded
	}
	b.expect("/destroy", "ok")
	close(release)
	wg.Wait()

	replay := newBrowser(t, b.base)
	replay.setCookie("vishnu", cookie)
	replay.expect("/keys", "")
	if n := st.Store.(*vishnu.MemoryStore).Len(); n != 0 {
		t.Fatalf("writers in flight brought back the destroyed session: %d records", n)
	}
}

func TestDeletedKeyStaysDeleted(t *testing.T) {
	cfg, _ := testConfig(newClock())
	loaded, release := make(chan struct{}, 1), make(chan struct{})
	b := newBrowser(t, serve(t, newManager(t, cfg), gated(loaded, release)))
	b.expect("/set?k=x&v=1", "ok")
	cookie := b.cookie("vishnu")

	done := make(chan struct{})
	go func() {
		defer close(done)
		request(t, b.base+"/slow?k=y", cookie)
	}()
	<-loaded // the slow request has seen x
	b.expect("/del?k=x", "ok")
	close(release)
	<-done
	b.expect("/keys", "y")
}

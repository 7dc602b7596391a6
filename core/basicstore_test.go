package vishnu_test

import (
	"net/http"
	"testing"
	"time"
)

// A store with only Load, Save and Delete (no Commit, no Touch) keeps every
// change through load-apply-save, and a store failure is the error
// response, never "no session".
func TestBasicStoreKeepsChanges(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	cfg.Store = basicStore{st}
	cfg.Timeout = 100 * time.Second
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/set?k=b&v=2", "ok")
	b.expect("/del?k=a", "ok")
	b.expect("/flash?k=m&v=hi", "ok")
	b.expect("/pop?k=m", "true:hi")
	b.expect("/pop?k=m", "false:")
	b.expect("/keys", "b")
	c.Add(50 * time.Second) // past a tenth: the expiry is pushed back by a save
	if set := b.expect("/get?k=b", "true:2"); len(set) != 1 {
		t.Fatalf("the expiry was not pushed back: Set-Cookie %q", set)
	}
	c.Add(60 * time.Second) // alive only if the push back was stored
	b.expect("/get?k=b", "true:2")

	st.down.Store(true)
	defer st.down.Store(false)
	resp, err := b.c.Get(b.base + "/set?k=c&v=3")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("a change on a basic store that is down: status %d, want the error response", resp.StatusCode)
	}
}

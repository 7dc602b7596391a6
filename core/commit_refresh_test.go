package vishnu_test

import (
	"testing"
	"time"
)

// An unchanged session's expiry is pushed back (a new cookie) once more
// than a tenth of its timeout has passed since the last time, not before,
// and not at exactly a tenth.
func TestExpiryPushedBackAfterATenthOfTheTimeout(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	cfg.Timeout = 100 * time.Second
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	c.Add(10 * time.Second)
	writes := st.writes()
	if set := b.expect("/get?k=a", "true:1"); len(set) != 0 || st.writes() != writes {
		t.Fatalf("at exactly a tenth of the timeout: Set-Cookie %q, %d writes", set, st.writes()-writes)
	}
	c.Add(time.Second)
	if set := b.expect("/get?k=a", "true:1"); len(set) != 1 || st.writes() != writes+1 {
		t.Fatalf("past a tenth of the timeout: Set-Cookie %q, %d writes; want the expiry pushed back", set, st.writes()-writes)
	}
}

// A change that leaves the timeout alone, within a tenth of the timeout,
// is written without a new cookie: the browser's cookie is still good.
func TestChangeWithinATenthSetsNoCookie(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.Timeout = time.Hour
	for _, autoSave := range []bool{true, false} {
		cfg.AutoSave = autoSave
		b := newBrowser(t, serve(t, newManager(t, cfg), app()))
		b.expect("/save?k=a&v=1", "ok")
		c.Add(time.Second)
		if set := b.expect("/save?k=b&v=2", "ok"); len(set) != 0 {
			t.Errorf("autosave=%v: a change within a tenth of the timeout set %q", autoSave, set)
		}
		if set := b.expect("/timeout?d=1h&save=1", "ok"); len(set) != 0 {
			t.Errorf("autosave=%v: setting the same timeout set %q", autoSave, set)
		}
		b.expect("/get?k=b", "true:2")
	}
}

package vishnu_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// A cleared session is nobody's: it is no longer bound to the user, no
// longer listed, and signing the user out everywhere leaves it alone.
func TestClearUnbindsTheSession(t *testing.T) {
	m, fs, _ := faultManager(t)
	base := serve(t, m, loginApp(m, fs))
	shared := newBrowser(t, base)
	shared.expect("/login?u=alice&label=kiosk", "ok")
	shared.expect("/clear", "ok")
	shared.expect("/whoami", "")
	shared.expect("/set?k=lang&v=fr", "ok")
	if list, err := m.UserSessions(t.Context(), "alice", nil); err != nil || len(list) != 0 {
		t.Fatalf("alice's sessions after Clear: %+v, %v", list, err)
	}
	phone := newBrowser(t, base)
	phone.expect("/login?u=alice&label=phone", "ok")
	phone.expect("/end-others", "ok")
	shared.expect("/get?k=lang", "true:fr")
}

// Login as another user on a session bound to someone starts from an empty
// session; logging in again as the same user keeps the data.
func TestLoginAsAnotherUserStartsEmpty(t *testing.T) {
	m, fs, _ := faultManager(t)
	base := serve(t, m, loginApp(m, fs))
	b := newBrowser(t, base)
	b.expect("/login?u=alice&label=a", "ok")
	b.expect("/set?k=cart&v=alice-things", "ok")
	b.expect("/login?u=alice&label=again", "ok")
	b.expect("/get?k=cart", "true:alice-things")
	b.expect("/login?u=bob&label=b", "ok")
	b.expect("/whoami", "bob")
	b.expect("/get?k=cart", "false:")
	if list, err := m.UserSessions(t.Context(), "alice", nil); err != nil || len(list) != 0 {
		t.Fatalf("alice's sessions after bob's login: %+v, %v", list, err)
	}
	if list, err := m.UserSessions(t.Context(), "bob", nil); err != nil || len(list) != 1 || list[0].Label != "b" {
		t.Fatalf("bob's sessions: %+v, %v", list, err)
	}
}

// Listing a user's sessions applies the timeouts in force now, as loading
// a session does: after the idle timeout is lowered (a redeploy), a session
// idle for longer is not listed, and the one still in use is.
func TestUserSessionsApplyALoweredTimeout(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	fs := newFaultStore(c)
	cfg.Store, cfg.Timeout = fs, 24*time.Hour
	m := newManager(t, cfg)
	base := serve(t, m, loginApp(m, fs))
	idle, busy := newBrowser(t, base), newBrowser(t, base)
	idle.expect("/login?u=alice&label=idle", "ok")
	busy.expect("/login?u=alice&label=busy", "ok")
	c.Add(3 * time.Hour)
	busy.expect("/get?k=x", "false:") // refreshes its cookie: a tenth of the day is gone
	c.Add(30 * time.Minute)

	if list, _ := m.UserSessions(t.Context(), "alice", nil); len(list) != 2 {
		t.Fatalf("under the day's timeout both are live, got %+v", list)
	}
	cfg.Timeout = time.Hour
	lowered := newManager(t, cfg)
	list, err := lowered.UserSessions(t.Context(), "alice", nil)
	if err != nil || len(list) != 1 || list[0].Label != "busy" {
		t.Fatalf("alice's sessions under a one-hour timeout: %+v, %v; want the busy one only", list, err)
	}
	// Loading agrees: the idle session is gone, the busy one is not.
	base2 := serve(t, lowered, loginApp(lowered, fs))
	for _, b := range []struct {
		br   *browser
		want string
	}{{idle, ""}, {busy, "alice"}} {
		nb := newBrowser(t, base2)
		nb.setCookie("vishnu", b.br.cookie("vishnu"))
		nb.expect("/whoami", b.want)
	}
}

// recordingHandler keeps the records a logger writes.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// count returns how many records at level say something containing msg.
func (h *recordingHandler) count(level slog.Level, msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level && strings.Contains(r.Message, msg) {
			n++
		}
	}
	return n
}

// With AutoSave off, a change never saved is not dropped silently: the
// first one of a Manager is a warning that says what to do, the later ones
// are logged at Debug, once per request.
func TestUnsavedChangeWarnsOncePerManager(t *testing.T) {
	for range 2 { // each Manager warns once
		cfg, _ := testConfig(newClock())
		cfg.AutoSave = false
		h := new(recordingHandler)
		cfg.Logger = slog.New(h)
		b := newBrowser(t, serve(t, newManager(t, cfg), app()))
		b.expect("/set?k=a&v=1", "ok")
		b.expect("/set?k=a&v=2", "ok")
		b.expect("/save?k=b&v=1", "ok")
		b.expect("/get?k=a", "false:")
		if n := h.count(slog.LevelWarn, "call Session.Save, or set Config.AutoSave"); n != 1 {
			t.Errorf("%d warnings of an unsaved change, want 1", n)
		}
		if n := h.count(slog.LevelDebug, "not saved"); n != 1 {
			t.Errorf("%d Debug records of the second unsaved change, want 1", n)
		}
	}
}

package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The paths a response takes, which differ between frameworks: a handler
// that writes nothing, one that only sets a status, one that returns an
// error for the framework to render, streams (plain and server-sent
// events), a flush before anything is written, a change made after the
// headers are gone, and a commit that fails at the end of the request.

func handlerCases() []adapterCase {
	return []adapterCase{
		{"Empty", "a handler that writes nothing still has its session committed: the framework's default answer carries the cookie, and the change is saved", func(e *env) {
			e.pathCase("empty", http.StatusOK, "a handler that writes nothing")
		}},
		{"StatusOnly", "a handler that only sets a status (204) has its session committed: the response carries the cookie, and the change is saved", func(e *env) {
			e.pathCase("status", http.StatusNoContent, "a handler that only sets status 204")
		}},
		{"ReturnsError", "a handler that returns an error has it rendered by the framework with its status, and its session committed: the cookie is sent and the change is saved", func(e *env) {
			e.pathCase("fail", failStatus, "a handler that returns an error with status 422")
		}},
	}
}

// pathCase requests route, which changes a new session and answers in its
// own way, and checks the status, the cookie and that the change was saved;
// then the same with an existing session, with AutoSave and with Save.
func (e *env) pathCase(route string, status int, what string) {
	for _, autoSave := range []bool{true, false} {
		b := e.start(func(c *vishnu.Config) { c.AutoSave = autoSave })
		kv := []string{"user", "ada"}
		how := "with AutoSave on"
		if !autoSave {
			kv, how = append(kv, "_save", "1"), "with Save"
		}
		r := b.get(route, kv...)
		if r.status != status {
			e.Fatalf("%s, changing a new session %s: got status %d and body %q, want status %d", what, how, r.status, clip(r.body), status)
		}
		b.oneAnswer(r, fmt.Sprintf("the response of %s that changed a new session %s", what, how))
		e.wantValues(b.ok(b.get("get"), "the next request"), fmt.Sprintf("the request after %s changed a new session %s", what, how), "user", "ada")
		kv[1] = "grace"
		if r := b.get(route, kv...); r.status != status {
			e.Fatalf("%s, changing an existing session %s: got status %d, want %d", what, how, r.status, status)
		}
		e.wantValues(b.ok(b.get("get"), "the next request"), fmt.Sprintf("the request after %s changed an existing session %s", what, how), "user", "grace")
	}
}

func (e *env) newStream() *stream {
	st := &stream{ack: make(chan struct{}, 4), wait: 2 * time.Second}
	e.app.stream = st
	return st
}

func streamCases() []adapterCase {
	return []adapterCase{
		{"CarriesCookie", "a streamed response, flushed chunk by chunk, carries the session cookie, and its session is saved", streamCase},
		{"SSE", "a stream of server-sent events, each flushed as it is sent, carries the session cookie, and its session is saved", func(e *env) {
			st := e.newStream()
			b := e.start(func(c *vishnu.Config) { c.AutoSave = true })
			r, chunks, err := b.stream(st, "user", "ada", "_sse", "1")
			if err != nil {
				e.Fatalf("GET stream of events: %v", err)
			}
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
				e.Fatalf("the event stream has status %d and Content-Type %q, want 200 and text/event-stream", r.status, r.header.Get("Content-Type"))
			}
			b.oneAnswer(r, "the event stream of a request that changed a new session, with AutoSave on")
			var events []string
			for _, c := range chunks {
				if strings.HasPrefix(c, "data: ") {
					events = append(events, c)
				}
			}
			if want := []string{"data: chunk 0\n", "data: chunk 1\n", "data: chunk 2\n"}; !slices.Equal(events, want) {
				e.Errorf("the event stream's data lines are %q, want %q", events, want)
			}
			if st.buffered.Load() {
				e.Errorf("the client received an event only after the handler had waited %v for it: the stream was buffered, not flushed", st.wait)
			}
			e.wantValues(b.ok(b.get("get"), "the request after the event stream"), "the request after the event stream", "user", "ada")
		}},
		{"FlushFirst", "a handler that flushes before writing anything sends the session cookie with that flush, and its session is saved", func(e *env) {
			st := e.newStream()
			st.buffered.Store(true) // only the headers count here: the handler need not wait for each chunk to arrive
			b := e.start(func(c *vishnu.Config) { c.AutoSave = true })
			r, _, err := b.stream(st, "user", "ada", "_flushfirst", "1")
			if err != nil {
				e.Fatalf("GET stream: %v", err)
			}
			if r.status != http.StatusOK {
				e.Fatalf("the response flushed before any write has status %d, want 200", r.status)
			}
			b.oneAnswer(r, "the response of a handler that changed a new session and flushed before writing")
			e.wantValues(b.ok(b.get("get"), "the next request"), "the request after the response flushed first", "user", "ada")
		}},
		{"LateChange", "a change made after the headers are gone is kept for an existing session (committed when the handler returns) and is an error the handler sees for a new one, which would need a cookie", func(e *env) {
			if e.cookieStore {
				e.t.Skip("the cookie store needs a cookie for every change, so a change after the headers is always an error (checked with a new session by core's tests)")
			}
			st := e.newStream()
			b := e.start(func(c *vishnu.Config) { c.AutoSave = true })
			b.establish("user", "ada")
			_, chunks, err := b.stream(st, "_late", "cart")
			if err != nil {
				e.Fatalf("GET stream: %v", err)
			}
			if last := chunks[len(chunks)-1]; last != lateChunk("ok") {
				e.Fatalf("a change to an existing session after the headers were sent failed: the stream ends with %q", last)
			}
			e.wantValues(b.ok(b.get("get"), "the request after the stream"), "the request after a stream whose handler changed its existing session after the headers (is the adapter's Adapter.Finish called when the handler returns?)", "user", "ada", "cart", "late")

			fresh := e.start(func(c *vishnu.Config) { c.AutoSave = true })
			st = e.newStream()
			_, chunks, err = fresh.stream(st, "_late", "cart")
			if err != nil {
				e.Fatalf("GET stream: %v", err)
			}
			if last := chunks[len(chunks)-1]; last != lateChunk(errHeadersWritten) {
				e.Errorf("a change to a new session after the headers were sent (it would need a cookie): the stream ends with %q, want %q (vishnu.ErrHeadersWritten)", last, lateChunk(errHeadersWritten))
			}
		}},
	}
}

// CommitFailsLate: a store whose writes fail while it still loads.

func commitFailsLateCase(e *env) {
	if e.cookieStore {
		e.t.Skip("the cookie store writes nothing to a backend, so its commits cannot fail there")
	}
	good := e.start(func(c *vishnu.Config) { c.AutoSave = true })
	val := good.establish("user", "ada")
	broken := e.startWith(failingWrites{e.store}, func(c *vishnu.Config) { c.AutoSave = true })
	for _, route := range []string{"set", "empty", "status"} {
		r := broken.replay([]string{val}, route, "cart", "3")
		e.wantErrorResponse(broken, r, fmt.Sprintf("a request (route %s) that read its session, changed it at the end and whose commit failed", route))
	}
	e.wantValues(good.ok(good.replay([]string{val}, "get"), "a request after the failed commits"), "the session after commits that failed", "user", "ada")
}

// failingWrites is a store that loads but cannot write, as a replica that
// lost its primary, or a full disk.
type failingWrites struct{ s vishnu.Store }

var errWritesFail = errors.New("conformance: the store cannot write (a stub over the case's store whose writes fail)")

var (
	_ vishnu.Committer = failingWrites{}
	_ vishnu.Toucher   = failingWrites{}
)

func (f failingWrites) Load(ctx context.Context, id string) ([]byte, error) { return f.s.Load(ctx, id) }
func (failingWrites) Save(context.Context, string, []byte, time.Time) error { return errWritesFail }
func (failingWrites) Delete(context.Context, string) error                  { return errWritesFail }
func (failingWrites) Commit(context.Context, string, *vishnu.Change) error  { return errWritesFail }
func (failingWrites) Touch(context.Context, string, time.Time) error        { return errWritesFail }

// InStore: the store's own expiry, in real time.

// inStoreLife is how long, in real time, the records of the InStore case
// live in the store.
const inStoreLife = 1500 * time.Millisecond

func inStoreCase(e *env) {
	if e.cookieStore {
		e.t.Skip("the cookie store keeps no record on the server: its expiry is the cookie's, checked by Timeout/ServerEnforced")
	}
	// The managers' clock runs behind real time, so that the store, which
	// keeps real time, is given expiries 1.5 s away while the managers see
	// sessions with an hour to live.
	e.clock.advance(-(time.Hour - inStoreLife))
	edit := func(c *vishnu.Config) { c.Timeout = time.Hour }
	used, idle := e.start(edit), e.start(edit)
	used.establish("user", "ada")
	idle.establish("user", "grace")
	e.clock.advance(20 * time.Minute)
	used.ok(used.get("get"), "a request 20 minutes in, which pushes the expiry back")
	e.clock.advance(-20 * time.Minute) // the idle session's requests refresh nothing
	deadline := time.Now().Add(15 * time.Second)
	for {
		v := idle.ok(idle.get("get"), "a request of the idle session")
		if v.New {
			break
		}
		if time.Now().After(deadline) {
			e.Fatalf("a session whose record was given an expiry %v away in real time was still there 15 s later: the store does not expire records by itself (or the managers' Config.Clock reaches it)", inStoreLife)
		}
		time.Sleep(100 * time.Millisecond)
	}
	v := used.ok(used.get("get"), "a request of the session that was used in time")
	if v.New {
		e.Fatalf("a session used 20 minutes into a 1-hour timeout was gone once the store had expired its first record: its expiry refresh (Touch, or a Commit of an empty Change) did not reach the store")
	}
	e.wantValues(v, "the session that was used in time", "user", "ada")
}

package conformance

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A backend that hangs ----------------------------------------------------------------
//
// A closed port fails at once; a server that hangs, or a network that drops
// packets, does not. The suite runs a loopback listener that accepts every
// connection and never answers, and checks that each call with a short
// deadline returns soon after it.

const (
	// unresponsiveDeadline is the context deadline of each call, and
	// unresponsiveGrace how long after it the call may take to return:
	// enough for a client without contexts whose own timeout is half a
	// second (memcached's), too little for one that dials or waits for a
	// second, let alone the 3 to 5 s client libraries default to. A call
	// late once is tried again (unresponsiveTries): a loaded machine can
	// delay a prompt call once, a client deaf to its context is late
	// every time.
	unresponsiveDeadline = 250 * time.Millisecond
	unresponsiveGrace    = 500 * time.Millisecond
	unresponsiveTries    = 2
	// unresponsiveRule is the rule of every Unresponsive case.
	unresponsiveRule = "a store whose backend never answers (a server that accepts connections and says nothing, or one that never accepts them) returns from every call soon after its context's deadline, with an error that is not vishnu.ErrNotFound"
)

// silentListener accepts connections on loopback and never writes to them.
// Closing it closes them too, so that a store still blocked in a read
// returns when the test ends.
type silentListener struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newSilentListener(t *testing.T) *silentListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("conformance: listen on loopback: %v", err)
	}
	s := &silentListener{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *silentListener) addr() string { return s.l.Addr().String() }

func (s *silentListener) close() {
	_ = s.l.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
}

func runUnresponsive(t *testing.T, r *storeRunner, _ capabilities) {
	if r.opts.NewUnresponsive == nil {
		t.Run("not-provided", func(t *testing.T) {
			t.Skip("StoreOptions.NewUnresponsive is not set: whether the store returns promptly when its backend hangs is not tested")
		})
		return
	}
	for _, call := range unavailableCalls() {
		t.Run(call.name, func(t *testing.T) {
			// The listener that accepts tests the wait for a reply; the
			// one whose queue is full, the dial.
			backends := []struct{ what, addr string }{
				{"accepts connections and never answers", newSilentListener(t).addr()},
				{"never accepts connections", newFullListener(t)},
			}
			stores := make([]vishnu.Store, len(backends))
			for i, b := range backends {
				if b.addr == "" {
					continue // no way to fill an accept queue here
				}
				if stores[i] = r.opts.NewUnresponsive(t, b.addr); stores[i] == nil {
					t.Fatal("conformance: StoreOptions.NewUnresponsive returned nil")
				}
			}
			if call.needs != 0 && !capabilitiesOf(stores[0]).has(call.needs) {
				t.Skipf("the unresponsive store is not a %s", call.needs)
			}
			r.runLonger(t, unresponsiveRule, stores[0], 2*unresponsiveTries*(unresponsiveDeadline+unresponsiveGrace), func(c *storeT) {
				for i, b := range backends {
					if stores[i] == nil {
						continue
					}
					one := *c
					one.store = stores[i]
					unresponsiveCall(&one, call, b.what)
				}
			})
		})
	}
}

// unresponsiveCall makes call with a short deadline on a store whose
// backend what, and checks that it returns soon after with an error; a
// call that does not is tried again, up to unresponsiveTries times.
func unresponsiveCall(c *storeT, call unavailableCall, what string) {
	for try := 1; ; try++ {
		ok, err := unresponsiveTry(c, call)
		switch {
		case !ok && try < unresponsiveTries:
			continue
		case !ok:
			c.Errorf("%s on a store whose backend %s, with a context deadline of %v, had not returned %v later, %d times out of %d: the store does not honour its context while it dials or waits for the reply", call.name, what, unresponsiveDeadline, unresponsiveGrace, try, try)
		case err == nil:
			c.Errorf("%s on a store whose backend %s returned a nil error", call.name, what)
		case errors.Is(err, vishnu.ErrNotFound):
			c.Errorf("%s on a store whose backend %s returned %v, which errors.Is vishnu.ErrNotFound", call.name, what, err)
		}
		return
	}
}

// unresponsiveTry makes call once with a short deadline, and returns
// whether it returned within unresponsiveGrace of the deadline, and its
// error.
func unresponsiveTry(c *storeT, call unavailableCall) (bool, error) {
	ctx, cancel := context.WithTimeout(c.ctx, unresponsiveDeadline)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer c.recoverPanic()
		done <- call.f(c, ctx)
	}()
	select {
	case err := <-done:
		return true, err
	case <-time.After(unresponsiveDeadline + unresponsiveGrace):
		return false, nil
	}
}

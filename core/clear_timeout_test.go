package vishnu_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Clear empties the session for the next request; a Clear made after the
// request ended (from a goroutine that outlived it) changes nothing, and
// says so in the log.
func TestClearDuringAndAfterTheRequest(t *testing.T) {
	cfg, _ := testConfig(newClock())
	var logs syncBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	held := make(chan *vishnu.Session, 1)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/clear", func(w http.ResponseWriter, r *http.Request) {
		vishnu.FromContext(r.Context()).Clear()
	})
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		s.Has("a")
		held <- s
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/set?k=b&v=2", "ok")
	b.expect("/hold", "")
	(<-held).Clear() // the request is over
	b.expect("/keys", "a,b")
	if n := strings.Count(logs.String(), "after its request ended"); n != 1 {
		t.Errorf("a Clear after the request ended was logged %d times:\n%s", n, logs.String())
	}
	b.expect("/clear", "")
	b.expect("/keys", "")
}

// SetTimeout takes any timeout from one second to MaxTimeout, and
// UntilBrowserCloses; nothing else.
func TestSetTimeoutBounds(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	s := m.Adapter().Open(t.Context(), m.Adapter().HTTPTransport(nil, &http.Request{Header: http.Header{}}))
	for d, valid := range map[time.Duration]bool{
		vishnu.UntilBrowserCloses:           true,
		time.Second:                         true,
		time.Second - 1:                     false,
		-time.Second:                        false,
		vishnu.MaxTimeout:                   true,
		vishnu.MaxTimeout + time.Nanosecond: false,
	} {
		err := s.SetTimeout(d)
		if (err == nil) != valid {
			t.Errorf("SetTimeout(%v) = %v, want valid %v", d, err, valid)
		}
		if valid && s.Timeout() != d {
			t.Errorf("after SetTimeout(%v), Timeout() = %v", d, s.Timeout())
		}
	}
}

package vishnu_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A change made after the response started is committed when the handler
// returns; if the store fails then, nobody else can see it, so it is logged
// at Error level.
func TestLateCommitFailureIsLogged(t *testing.T) {
	cfg, st := testConfig(newClock())
	var logs syncBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		s.Has("a")
		w.Write([]byte("sent"))
		if err := s.Set("b", "2"); err != nil {
			t.Errorf("a change to a stored session after the response started: %v", err)
		}
		if r.FormValue("down") != "" {
			st.down.Store(true) // back up once the request is over
		}
	})
	b := newBrowser(t, serve(t, m, mux))
	b.expect("/set?k=a&v=1", "ok")

	b.expect("/late", "sent")
	b.expect("/get?k=b", "true:2")
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a late commit that succeeded logged an error:\n%s", logs.String())
	}
	b.expect("/late?down=1", "sent")
	st.down.Store(false)
	if n := strings.Count(logs.String(), "after the response started failed"); n != 1 {
		t.Errorf("a late commit that failed was logged %d times:\n%s", n, logs.String())
	}
}

package redisstore_test

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// TestCommandsPerRequest counts the commands Redis executes for whole
// requests through Vishnu's middleware, as INFO commandstats counts them: a
// request that writes its session loads it and commits the key it set, and
// moves the expiry only when Vishnu refreshes it, a tenth of the timeout
// after the last time.
func TestCommandsPerRequest(t *testing.T) {
	f, c := storeOnOwnServer(t, true)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	m, err := vishnu.New(vishnu.Config{
		Store:    f.Store,
		Secret:   []byte("0123456789abcdef0123456789abcdef"),
		Timeout:  30 * time.Minute,
		AutoSave: true,
		Clock:    func() time.Time { return time.Unix(0, now.Load()) },
		Cookie:   vishnu.CookieConfig{Insecure: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "n")
		if err := s.Set("n", n+1); err != nil {
			m.HandleError(w, r, err)
			return
		}
		fmt.Fprint(w, n+1)
	})))
	t.Cleanup(web.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(want int) {
		t.Helper()
		resp, err := client.Get(web.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != fmt.Sprint(want) {
			t.Fatalf("request %d answered %d %q", want, resp.StatusCode, body)
		}
	}

	write := map[string]int64{"hgetall": 1, "evalsha": 1, "hset": 1}
	refresh := map[string]int64{"hgetall": 1, "evalsha": 1, "hset": 1, "pexpireat": 1}
	for i, step := range []struct {
		name    string
		advance time.Duration
		want    map[string]int64
	}{
		{"a new session", 0, map[string]int64{"multi": 1, "del": 1, "hset": 1, "pexpireat": 1, "exec": 1}},
		{"a write", 0, write},
		{"a write a minute later", time.Minute, write},
		{"a write", 0, write},
		{"a write once a tenth of the timeout has passed", 3 * time.Minute, refresh},
		{"a write", 0, write},
		{"a write a minute later", time.Minute, write},
	} {
		now.Add(int64(step.advance))
		before := commandStats(t, c)
		get(i + 1)
		got := commandsSince(t, c, before)
		if !maps.Equal(got, step.want) {
			t.Errorf("request %d, %s: executed %v, want %v", i+1, step.name, got, step.want)
		}
		t.Logf("request %d, %s: %d commands %v", i+1, step.name, total(got), got)
	}
}

// total is the number of commands in counts.
func total(counts map[string]int64) int64 {
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

// Command datastore is the demo app on Cloud Datastore: a visit counter in
// the session, logout, and the cron route that deletes dormant sessions.
//
//	DATASTORE_EMULATOR_HOST=127.0.0.1:8432 go run .   # on the emulator
//	GOOGLE_CLOUD_PROJECT=my-project go run .          # on the Datastore
//
// Cookies are signed with VISHNU_SECRET (at least 32 bytes) when it is set,
// otherwise with a random secret made at start (and a warning). SIGINT or
// SIGTERM stop it gracefully.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

func main() { pages.Main(run) }

// run serves the app on addr until ctx is done, then shuts down gracefully.
func run(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
	project := os.Getenv("GOOGLE_CLOUD_PROJECT")
	if project == "" {
		project = datastore.DetectProjectID
	}
	client, err := datastore.NewClient(ctx, project)
	if err != nil {
		return err
	}
	defer client.Close()
	app, err := newApp(client, pages.Secret(secret, log), os.Getenv("DATASTORE_EMULATOR_HOST") != "")
	if err != nil {
		return err
	}
	return pages.Serve(ctx, addr, app, "the Datastore demo", log, ready)
}

// newApp wires the store, the session manager and the cleanup job. insecure
// drops the cookie's Secure attribute, for plain HTTP on loopback.
func newApp(client *datastore.Client, secret []byte, insecure bool) (http.Handler, error) {
	store, err := datastorestore.New(client, datastorestore.WithNamespace("vishnu-demo"))
	if err != nil {
		return nil, err
	}
	sessions, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   secret,
		Timeout:  30 * time.Minute,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: insecure},
	})
	if err != nil {
		return nil, err
	}
	cleanup, err := datastorestore.NewCleanupJob(store)
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			return // the store failed: the middleware sends its error response
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Vishnu on Datastore</title><p>Visit %d.</p>"+
			`<form method="post" action="/logout"><button>Log out</button></form>`, n+1)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Destroy(); err != nil {
			return // the logout could not be recorded: the middleware answers
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	// App Engine cron sends X-Appengine-Cron and removes it from outside
	// requests (see cron.yaml); elsewhere, put the scheduler's own check
	// here.
	mux.HandleFunc("/tasks/cleanup-sessions", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Appengine-Cron") != "true" {
			http.NotFound(w, r)
			return
		}
		cleanup.ServeHTTP(w, r)
	})
	// The cron route needs no session: only the pages go through the
	// session middleware.
	root := http.NewServeMux()
	root.Handle("/tasks/", mux)
	root.Handle("/", http.NewCrossOriginProtection().Handler(sessions.Handler(mux)))
	return root, nil
}

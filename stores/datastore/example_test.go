package datastorestore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// Sessions in Cloud Datastore behind net/http, with the cleanup job on a
// route for App Engine cron or Cloud Scheduler. This is the README's
// snippet.
func Example() {
	ctx := context.Background()
	// DATASTORE_EMULATOR_HOST, when set, points the client at the emulator.
	client, err := datastore.NewClient(ctx, os.Getenv("GOOGLE_CLOUD_PROJECT"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := datastorestore.New(client, datastorestore.WithNamespace("myapp"))
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   []byte(os.Getenv("SESSION_SECRET")), // at least 32 random bytes
		Timeout:  30 * time.Minute,
		AutoSave: true, // off by default: then only s.Save() persists
	})
	if err != nil {
		log.Fatal(err)
	}
	cleanup, err := datastorestore.NewCleanupJob(store) // dormant for a day, 500 per call, 1 minute per run
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			sessions.HandleError(w, r, err)
			return
		}
		fmt.Fprintf(w, "visit %d\n", n+1)
	})
	// App Engine removes X-Appengine-Cron from outside requests, so only
	// its cron service can run the job.
	mux.HandleFunc("/tasks/cleanup-sessions", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Appengine-Cron") != "true" {
			http.NotFound(w, r)
			return
		}
		cleanup.ServeHTTP(w, r)
	})
	log.Fatal(http.ListenAndServe(":8080", sessions.Handler(mux)))
}

// A named database (Firestore in Datastore mode allows several per
// project), and a store call bounded by 2 seconds instead of 5.
func ExampleNew_namedDatabase() {
	ctx := context.Background()
	client, err := datastore.NewClientWithDatabase(ctx, "my-project", "sessions")
	if err != nil {
		log.Fatal(err)
	}
	store, err := datastorestore.New(client, datastorestore.WithTimeout(2*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	_ = store // vishnu.Config{Store: store, ...}
}

// The cleanup loop without HTTP, for a job of one's own (a Cloud Run job, a
// Kubernetes CronJob).
func ExampleCleanupJob_Run() {
	ctx := context.Background()
	client, err := datastore.NewClient(ctx, "my-project")
	if err != nil {
		log.Fatal(err)
	}
	store, err := datastorestore.New(client)
	if err != nil {
		log.Fatal(err)
	}
	job, err := datastorestore.NewCleanupJob(store,
		datastorestore.WithDormantFor(7*24*time.Hour),
		datastorestore.WithCleanupBudget(10*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	report, err := job.Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	log.Print(report) // "finished: no dormant session left (12 cleanup calls, 3.2s)"
}

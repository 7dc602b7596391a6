package datastorestore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The defaults of a CleanupJob: sessions dormant for a day, 500 per call.
const (
	// DefaultDormantFor is how long a session must have been expired
	// before a CleanupJob deletes it, unless WithDormantFor says otherwise.
	DefaultDormantFor = 24 * time.Hour

	// DefaultCleanupLimit is how many sessions a CleanupJob deletes per
	// Cleanup call, unless WithCleanupLimit says otherwise: one Commit's
	// worth.
	DefaultCleanupLimit = deleteBatch

	// DefaultCleanupBudget is how long a CleanupJob run may take, unless
	// WithCleanupBudget says otherwise. It fits App Engine cron requests
	// and Cloud Scheduler's default attempt deadline of three minutes.
	DefaultCleanupBudget = time.Minute
)

// A CleanupOption configures a CleanupJob in NewCleanupJob.
type CleanupOption func(*cleanupOptions)

type cleanupOptions struct {
	dormantFor time.Duration
	limit      int
	budget     time.Duration
}

// WithDormantFor sets how long a session must have been expired before it
// is deleted. Keeping expired sessions a while lets one look at them
// (abuse, support) before they go. Optional. Default is DefaultDormantFor,
// 24 hours; 0 deletes every expired session.
func WithDormantFor(d time.Duration) CleanupOption {
	return func(o *cleanupOptions) { o.dormantFor = d }
}

// WithCleanupLimit sets how many sessions each Cleanup call of a run
// deletes at most. Optional. Default is DefaultCleanupLimit, 500.
func WithCleanupLimit(n int) CleanupOption {
	return func(o *cleanupOptions) { o.limit = n }
}

// WithCleanupBudget sets how long a run may take: it starts no Cleanup call
// that it does not expect to finish within the budget, and cuts one that
// overruns it. Optional. Default is DefaultCleanupBudget, one minute.
func WithCleanupBudget(d time.Duration) CleanupOption {
	return func(o *cleanupOptions) { o.budget = d }
}

// CleanupJob deletes expired sessions in a loop, for a cron job (App
// Engine cron, Cloud Scheduler, a Kubernetes CronJob): each run calls
// Cleanup until it reports finished or the run's time budget is spent;
// what is left is for the next run. It works with any vishnu.Cleaner. As
// an http.Handler it serves the cron job's requests. It is safe for
// concurrent use, though runs that overlap share the work rather than
// speed it up.
type CleanupJob struct {
	store vishnu.Cleaner
	opts  cleanupOptions
}

// CleanupReport is what a run of a CleanupJob did.
type CleanupReport struct {
	// Finished is true when the last Cleanup call reported that no
	// dormant session remained.
	Finished bool
	// Calls is the number of Cleanup calls made.
	Calls int
	// Elapsed is how long the run took.
	Elapsed time.Duration
}

// String describes the report in a line, as ServeHTTP writes it.
func (r CleanupReport) String() string {
	if r.Finished {
		return fmt.Sprintf("finished: no dormant session left (%d cleanup calls, %v)", r.Calls, r.Elapsed.Round(time.Millisecond))
	}
	return fmt.Sprintf("unfinished: time budget spent after %d cleanup calls (%v); the next run goes on", r.Calls, r.Elapsed.Round(time.Millisecond))
}

// NewCleanupJob returns a job that deletes the dormant sessions of store.
// It returns an error for a nil store or an invalid option.
func NewCleanupJob(store vishnu.Cleaner, opts ...CleanupOption) (*CleanupJob, error) {
	if store == nil {
		return nil, errors.New("datastorestore: nil store for the cleanup job")
	}
	o := cleanupOptions{dormantFor: DefaultDormantFor, limit: DefaultCleanupLimit, budget: DefaultCleanupBudget}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	switch {
	case o.dormantFor < 0:
		return nil, fmt.Errorf("datastorestore: cleanup dormantFor must not be negative, got %v", o.dormantFor)
	case o.limit < 1:
		return nil, fmt.Errorf("datastorestore: cleanup limit must be positive, got %d", o.limit)
	case o.budget <= 0:
		return nil, fmt.Errorf("datastorestore: cleanup budget must be positive, got %v", o.budget)
	}
	return &CleanupJob{store: store, opts: o}, nil
}

// Run calls Cleanup until it reports finished or the budget is spent. Running
// out of budget is not an error (the report says Finished false); a failed
// Cleanup call, or ctx ending, is.
func (j *CleanupJob) Run(ctx context.Context) (CleanupReport, error) {
	start := time.Now()
	deadline := start.Add(j.opts.budget)
	budgetCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var r CleanupReport
	var longest time.Duration // the longest call so far: what the next may take
	for {
		if time.Now().Add(longest).After(deadline) {
			break
		}
		callStart := time.Now()
		finished, err := j.store.Cleanup(budgetCtx, j.opts.dormantFor, j.opts.limit)
		r.Calls++
		longest = max(longest, time.Since(callStart))
		if err != nil {
			if ctx.Err() == nil && budgetCtx.Err() != nil {
				break // the budget cut the call: what it deleted stays deleted
			}
			r.Elapsed = time.Since(start)
			return r, fmt.Errorf("datastorestore: cleanup job, call %d: %w", r.Calls, err)
		}
		if finished {
			r.Finished = true
			break
		}
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

// ServeHTTP runs the job for a cron request (GET, as App Engine cron sends,
// or POST) and answers 200 with the report in a line, finished or not, or
// 500 with the error. Mount it on a route that only the scheduler can
// reach: on App Engine, check the X-Appengine-Cron header, which App Engine
// removes from outside requests; with Cloud Scheduler, require its OIDC
// token.
func (j *CleanupJob) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	report, err := j.Run(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, report)
}

package conformance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// StoreOptions tells TestStore what to expect of the store under test. Two
// fields are required, Expiry and Lacks (whose zero value claims every
// guarantee); the others default to what suits any store: one-second expiry
// resolution, records up to 1 MiB, a 30-second watchdog.
type StoreOptions struct {
	// TTLResolution is the coarsest expiry resolution of the backend:
	// time.Second for Redis and memcached, less for a store that keeps
	// exact times. The expiry cases give records lifetimes and waits in
	// multiples of it, so a smaller value makes the suite faster. Optional.
	// Default is one second, which is safe for every backend.
	TTLResolution time.Duration

	// MaxRecordSize is the largest record, in bytes, that the store
	// documents it can keep. The suite round-trips a record of that size.
	// Optional. Default (0) is to round-trip 1 MiB and expect no error.
	MaxRecordSize int

	// LimitEnforced says that Save (and Commit) of a record just past
	// MaxRecordSize returns an error instead of truncating or dropping the
	// record silently; the suite then checks that it does. It requires
	// MaxRecordSize.
	LimitEnforced bool

	// Expiry says how the store's expired records leave its backend:
	// BackendExpires (the backend drops them itself: Redis and memcached
	// TTLs, core's memory store) or CleanupRemoves (they stay until
	// vishnu.Cleaner's Cleanup removes them: a SQL table, the Datastore).
	// Required: a store that does neither keeps every session it ever
	// saw, so the suite fails Expiry/Declared until the store says which,
	// and when it says CleanupRemoves without being a vishnu.Cleaner.
	Expiry Expiry

	// Lacks states the guarantees the store does not give. Required: a
	// store that lacks one without saying so here fails the Declared case
	// of that guarantee, so that a plain "go test" never prints ok for a
	// store that, say, loses concurrent updates; one that claims a
	// guarantee it does not give fails there too. Zero claims them all.
	Lacks Lack

	// NewUnavailable returns a store of the same kind whose backend cannot
	// be reached: a client of a closed port, a closed client. The suite
	// checks that each of its calls returns an error that is not
	// vishnu.ErrNotFound. Required unless Lacks has RemoteBackend.
	NewUnavailable func(t *testing.T) vishnu.Store

	// NewUnresponsive returns a store of the same kind whose client talks
	// to addr, a loopback listener that the suite runs: it accepts
	// connections and never answers, as a hung server or a black-holed
	// network does. The suite checks that each call with a short context
	// deadline returns promptly after it, with an error that is not
	// vishnu.ErrNotFound: a store that ignores its context while it dials
	// or reads would hang every request of the application. Required
	// unless Lacks has RemoteBackend.
	NewUnresponsive func(t *testing.T, addr string) vishnu.Store

	// NewSecondInstance returns another instance of the store over the
	// same backend data as first: what a second application server has
	// (its own client or connection pool, the same key prefix, namespace
	// or table). The suite checks that Save, Commit, Touch and Delete made
	// through one instance are seen through the other at once, which a
	// store with a per-process cache gets wrong: a session logged out on
	// one server would live on on the others. Required unless Lacks has
	// RemoteBackend.
	NewSecondInstance func(t *testing.T, first vishnu.Store) vishnu.Store

	// Watchdog bounds each subtest: a store call that never returns fails
	// the subtest, naming the rule it was checking and the call, instead of
	// hanging the run. Optional. Default is 30 seconds.
	Watchdog time.Duration
}

// Expiry is how a store's expired records leave its backend (see
// StoreOptions.Expiry).
type Expiry int

const (
	// ExpiryUnstated is the zero value: the store has not said. The suite
	// fails Expiry/Declared.
	ExpiryUnstated Expiry = iota
	// BackendExpires: the backend removes expired records by itself (a
	// TTL), or the store does as it is used (core's memory store).
	BackendExpires
	// CleanupRemoves: expired records stay in the backend until Cleanup
	// removes them; the store must be a vishnu.Cleaner.
	CleanupRemoves
)

func (e Expiry) String() string {
	switch e {
	case BackendExpires:
		return "BackendExpires"
	case CleanupRemoves:
		return "CleanupRemoves"
	}
	return "ExpiryUnstated"
}

// Lack is a set of guarantees a store does not give (see
// StoreOptions.Lacks).
type Lack int

const (
	// AtomicCommits: the store is not a vishnu.Committer, so Vishnu
	// commits by load-change-save and concurrent requests on one session
	// can lose each other's changes.
	AtomicCommits Lack = 1 << iota
	// UserIndex: the store is not a vishnu.UserIndex, so
	// Manager.UserSessions returns vishnu.ErrNoUserIndex, and a user's
	// sessions are ended by a vishnu.UserGenerations, if the store is one,
	// or Config.UserStamp.
	UserIndex
	// RemoteBackend: the store keeps its data in the process (core's
	// memory store): no backend can be down, hang, or be shared by a
	// second application server, so NewUnavailable, NewUnresponsive and
	// NewSecondInstance are not needed.
	RemoteBackend
)

func (l Lack) String() string {
	var names []string
	for _, x := range []struct {
		l    Lack
		name string
	}{{AtomicCommits, "AtomicCommits"}, {UserIndex, "UserIndex"}, {RemoteBackend, "RemoteBackend"}} {
		if l&x.l != 0 {
			names = append(names, x.name)
		}
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}

func (o StoreOptions) withDefaults() StoreOptions {
	if o.TTLResolution <= 0 {
		o.TTLResolution = time.Second
	}
	if o.Watchdog <= 0 {
		o.Watchdog = 30 * time.Second
	}
	return o
}

// TestStore runs the store conformance suite: every rule of the
// [vishnu.Store] contract, then those of each optional capability the store
// implements. newStore is called once per subtest and must return a store
// that holds none of the records another subtest wrote (a fresh key prefix,
// namespace or database); it may register its own cleanup with t.Cleanup,
// and skip the test (see [Unavailable]) when its backend is missing.
// Subtests run one at a time.
//
// The suite writes records with random ids shaped like the ids Vishnu uses
// (43 characters of unpadded base64url), including ids that differ only in
// letter case or in their last character. A [vishnu.Cleaner] must accept
// records saved with an expiry in the past and keep them until Cleanup
// removes them, as a database table would.
func TestStore(t *testing.T, newStore func(t *testing.T) vishnu.Store, opts StoreOptions) {
	t.Helper()
	opts = opts.withDefaults()
	if opts.MaxRecordSize < 0 {
		t.Fatalf("conformance: StoreOptions.MaxRecordSize must not be negative, got %d", opts.MaxRecordSize)
	}
	if opts.LimitEnforced && opts.MaxRecordSize == 0 {
		t.Fatal("conformance: StoreOptions.LimitEnforced requires MaxRecordSize")
	}
	probe := newStore(t)
	if probe == nil {
		t.Fatal("conformance: the store factory returned nil")
	}
	caps := capabilitiesOf(probe)
	t.Logf("conformance: store %T: %s", probe, caps)

	r := &storeRunner{newStore: newStore, opts: opts}
	for _, g := range storeGroups() {
		t.Run(g.name, func(t *testing.T) {
			if g.needs != 0 && !caps.has(g.needs) {
				t.Run("not-provided", func(t *testing.T) {
					t.Skipf("the store is not a %s: %s", g.needs, g.needs.lacking())
				})
				return
			}
			if g.run != nil {
				g.run(t, r, caps)
				return
			}
			for _, sc := range g.cases {
				t.Run(sc.name, func(t *testing.T) {
					if sc.needs != 0 && !caps.has(sc.needs) {
						t.Skipf("needs a %s, which the store is not", sc.needs)
					}
					r.run(t, sc.rule, newStore(t), sc.run)
				})
			}
		})
	}
}

// capability is an optional interface a store may implement.
type capability int

const (
	capCommitter capability = 1 << iota
	capToucher
	capCleaner
	capUserIndex
	capUserGenerations
)

// allCapabilities lists every capability, in the order the suite reports
// them.
var allCapabilities = []capability{capCommitter, capToucher, capCleaner, capUserIndex, capUserGenerations}

func (c capability) String() string {
	if c&(c-1) != 0 { // more than one
		s := ""
		for _, x := range allCapabilities {
			if c&x != 0 {
				if s != "" {
					s += " and a "
				}
				s += x.String()
			}
		}
		return s
	}
	switch c {
	case capCommitter:
		return "vishnu.Committer"
	case capToucher:
		return "vishnu.Toucher"
	case capCleaner:
		return "vishnu.Cleaner"
	case capUserIndex:
		return "vishnu.UserIndex"
	case capUserGenerations:
		return "vishnu.UserGenerations"
	}
	return "capability"
}

// lacking says what a store without c does not guarantee.
func (c capability) lacking() string {
	switch c {
	case capCommitter:
		return "commits are load-change-save, so concurrent requests on one session can lose each other's changes, and a request in flight can bring back a destroyed session"
	case capToucher:
		return "expiry refreshes rewrite the whole record"
	case capCleaner:
		return "expired records must be removed by the backend itself (native TTL)"
	case capUserIndex:
		return "it keeps no index of sessions per user, so Manager.UserSessions returns vishnu.ErrNoUserIndex, and ending a user's sessions needs a vishnu.UserGenerations or Config.UserStamp"
	case capUserGenerations:
		return "it keeps no generation per user; a store with a vishnu.UserIndex does not need one"
	}
	return ""
}

type capabilities capability

func capabilitiesOf(s vishnu.Store) capabilities {
	var c capabilities
	if _, ok := s.(vishnu.Committer); ok {
		c |= capabilities(capCommitter)
	}
	if _, ok := s.(vishnu.Toucher); ok {
		c |= capabilities(capToucher)
	}
	if _, ok := s.(vishnu.Cleaner); ok {
		c |= capabilities(capCleaner)
	}
	if _, ok := s.(vishnu.UserIndex); ok {
		c |= capabilities(capUserIndex)
	}
	if _, ok := s.(vishnu.UserGenerations); ok {
		c |= capabilities(capUserGenerations)
	}
	return c
}

// has reports whether the store has every capability of x.
func (c capabilities) has(x capability) bool { return capability(c)&x == x }

func (c capabilities) String() string {
	s := ""
	for _, x := range allCapabilities {
		if s != "" {
			s += ", "
		}
		if c.has(x) {
			s += x.String() + " yes"
		} else {
			s += x.String() + " no"
		}
	}
	return s
}

// storeGroup is one top-level subtest of TestStore: a list of cases, or a
// run function for a group whose cases share their setup (Expiry).
type storeGroup struct {
	name  string
	needs capability
	cases []storeCase
	run   func(t *testing.T, r *storeRunner, caps capabilities)
}

// storeCase checks one rule of the contract.
type storeCase struct {
	name  string
	rule  string
	needs capability
	run   func(c *storeT)
}

type storeRunner struct {
	newStore func(t *testing.T) vishnu.Store
	opts     StoreOptions
}

// run runs body in its own goroutine under the watchdog, and reports whether
// it finished. Failures are reported on t, each prefixed with rule.
func (r *storeRunner) run(t *testing.T, rule string, store vishnu.Store, body func(c *storeT)) bool {
	t.Helper()
	return r.runLonger(t, rule, store, 0, body)
}

// runLonger is run for a case that sleeps for wait besides its store calls:
// the watchdog gives it that much longer.
func (r *storeRunner) runLonger(t *testing.T, rule string, store vishnu.Store, wait time.Duration, body func(c *storeT)) bool {
	t.Helper()
	if store == nil {
		t.Fatal("conformance: the store factory returned nil")
	}
	c := &storeT{caseState: new(caseState), t: t, rule: rule, store: store, opts: &r.opts, ctx: t.Context()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.recoverPanic()
		body(c)
	}()
	timer := time.NewTimer(r.opts.Watchdog + wait)
	defer timer.Stop()
	select {
	case <-done:
		if msg := c.skipped(); msg != "" {
			t.Skip(msg)
		}
		return true
	case <-timer.C:
		call := c.lastCall()
		c.abandon()
		t.Errorf("rule broken: %s\nwatchdog: the case did not finish within %v; its last store call, %s, has not returned (a store call must never block forever, and must return when its context is done)",
			rule, r.opts.Watchdog+wait, call)
		return false
	}
}

// storeT is what a case body gets: the store, failure reporting that names
// the rule, and store-call helpers that keep track of the call in flight
// for the watchdog. Its methods may be called from any goroutine of the case,
// except Fatalf and Skipf, which only the goroutine running the body (or a
// part of it, see sub) may call.
type storeT struct {
	*caseState
	t     *testing.T
	rule  string
	sink  *[]string // when set, failures are collected here instead of reported
	store vishnu.Store
	opts  *StoreOptions
	ctx   context.Context
}

// caseState is shared by a case and its parts.
type caseState struct {
	mu        sync.Mutex
	abandoned bool   // the watchdog gave up on the case: report nothing more
	skipMsg   string // set by Skipf
	call      atomic.Pointer[string]
}

func (c *storeT) Errorf(format string, args ...any) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.abandoned:
	case c.sink != nil:
		*c.sink = append(*c.sink, fmt.Sprintf("rule broken: %s\n%s", c.rule, fmt.Sprintf(format, args...)))
	default:
		c.t.Errorf("rule broken: %s\n%s", c.rule, fmt.Sprintf(format, args...))
	}
}

func (c *storeT) Fatalf(format string, args ...any) {
	c.t.Helper()
	c.Errorf(format, args...)
	runtime.Goexit()
}

func (c *storeT) Logf(format string, args ...any) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.abandoned {
		c.t.Logf(format, args...)
	}
}

func (c *storeT) Skipf(format string, args ...any) {
	c.mu.Lock()
	c.skipMsg = fmt.Sprintf(format, args...)
	c.mu.Unlock()
	runtime.Goexit()
}

func (c *storeT) skipped() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skipMsg
}

func (c *storeT) abandon() {
	c.mu.Lock()
	c.abandoned = true
	c.mu.Unlock()
}

func (c *storeT) recoverPanic() {
	if p := recover(); p != nil {
		c.Errorf("the store panicked: %v\n%s", p, debug.Stack())
	}
}

// sub runs f on its own goroutine, as a part of c checking rule whose
// failures go to sink, and waits for it: a Fatalf in f ends f only.
func (c *storeT) sub(rule string, sink *[]string, f func(c *storeT)) {
	s := *c
	s.rule, s.sink = rule, sink
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.recoverPanic()
		f(&s)
	}()
	<-done
}

// goroutines runs f(0) … f(n-1) at once, released together, and waits.
func (c *storeT) goroutines(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			defer c.recoverPanic()
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// Store calls. Each records itself as the call in flight, for the watchdog.

func (c *storeT) track(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	c.call.Store(&s)
}

func (c *storeT) lastCall() string {
	if p := c.call.Load(); p != nil {
		return *p
	}
	return "(none yet)"
}

func (c *storeT) Load(ctx context.Context, id string) ([]byte, error) {
	c.track("Load(%s)", short(id))
	return c.store.Load(ctx, id)
}

func (c *storeT) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	c.track("Save(%s, %d bytes)", short(id), len(data))
	return c.store.Save(ctx, id, data, expires)
}

func (c *storeT) Delete(ctx context.Context, id string) error {
	c.track("Delete(%s)", short(id))
	return c.store.Delete(ctx, id)
}

func (c *storeT) Commit(ctx context.Context, id string, ch *vishnu.Change) error {
	c.track("Commit(%s)", short(id))
	return c.store.(vishnu.Committer).Commit(ctx, id, ch)
}

func (c *storeT) Touch(ctx context.Context, id string, expires time.Time) error {
	c.track("Touch(%s)", short(id))
	return c.store.(vishnu.Toucher).Touch(ctx, id, expires)
}

func (c *storeT) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (bool, error) {
	c.track("Cleanup(%v, %d)", dormantFor, limit)
	return c.store.(vishnu.Cleaner).Cleanup(ctx, dormantFor, limit)
}

// Helpers that fail the case on an unexpected result.

// save saves and fails the case if the store returns an error.
func (c *storeT) save(id string, data []byte, expires time.Time) {
	c.t.Helper()
	if err := c.Save(c.ctx, id, data, expires); err != nil {
		c.Fatalf("Save(%s, %d bytes) failed: %v", short(id), len(data), err)
	}
}

// load loads a record that must be there.
func (c *storeT) load(id string) []byte {
	c.t.Helper()
	b, err := c.Load(c.ctx, id)
	if errors.Is(err, vishnu.ErrNotFound) {
		c.Fatalf("Load(%s) returned ErrNotFound for a record that was saved and is not expired", short(id))
	}
	if err != nil {
		c.Fatalf("Load(%s) failed: %v", short(id), err)
	}
	return b
}

// wantData loads id and checks that it holds want.
func (c *storeT) wantData(id string, want []byte, what string) {
	c.t.Helper()
	if got := c.load(id); !bytesEqual(got, want) {
		c.Errorf("Load(%s) %s: %s", short(id), what, diffBytes(got, want))
	}
}

// wantNotFound checks that Load(id) returns ErrNotFound.
func (c *storeT) wantNotFound(id, what string) {
	c.t.Helper()
	b, err := c.Load(c.ctx, id)
	switch {
	case err == nil:
		c.Errorf("Load(%s) %s: returned %d bytes and a nil error, want vishnu.ErrNotFound", short(id), what, len(b))
	case !errors.Is(err, vishnu.ErrNotFound):
		c.Errorf("Load(%s) %s: returned %v, want an error that errors.Is vishnu.ErrNotFound", short(id), what, err)
	}
}

func (c *storeT) del(id string) {
	c.t.Helper()
	if err := c.Delete(c.ctx, id); err != nil {
		c.Fatalf("Delete(%s) failed: %v", short(id), err)
	}
}

// fields loads id and decodes it as a record.
func (c *storeT) fields(id string) map[string][]byte {
	c.t.Helper()
	b := c.load(id)
	f, err := vishnu.DecodeRecord(b)
	if err != nil {
		c.Fatalf("Load(%s) returned %d bytes that vishnu.DecodeRecord rejects: %v", short(id), len(b), err)
	}
	return f
}

// Times, ids and data.

func (c *storeT) res() time.Duration { return c.opts.TTLResolution }

// fit returns n, or the store's MaxRecordSize if that is smaller: the size
// of a record that every case but those of the limit may write.
func (c *storeT) fit(n int) int {
	if m := c.opts.MaxRecordSize; m > 0 && m < n {
		return m
	}
	return n
}

// longExpiry is an expiry no case outlives.
func (c *storeT) longExpiry() time.Time { return time.Now().Add(max(time.Hour, 100*c.res())) }

// newID returns a random id shaped like the ids Vishnu gives stores.
func newID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func short(id string) string {
	if len(id) > 12 {
		return id[:8] + "…" + id[len(id)-3:]
	}
	return fmt.Sprintf("%q", id)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// diffBytes describes how got differs from want.
func diffBytes(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d bytes, want %d (%s)", len(got), len(want), firstDiff(got, want))
	}
	return fmt.Sprintf("got %d bytes, as many as wanted, but they differ (%s)", len(got), firstDiff(got, want))
}

func firstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at offset %d: got %#02x, want %#02x", i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("identical up to offset %d", min(len(got), len(want)))
	}
	return "identical"
}

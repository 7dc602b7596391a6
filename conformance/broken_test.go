package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// faultyStore is a map store with expiry and every optional capability,
// correct unless it is given a bug: the broken stores that prove the store
// suite catches what it claims to. Its records live in a faultyBackend that
// a second instance (twin) shares, as two application servers share one
// Redis.
type faultyStore struct {
	bug   bug
	limit int  // MaxRecordSize, for the truncates bug
	down  bool // the backend is unreachable: every call fails

	b *faultyBackend

	// commitMu serializes Commit, Touch and Delete for the
	// saveBypassesCommitLock bug, whose Commit is not atomic by itself.
	commitMu sync.Mutex

	// slot is the one key slot of the sharedKeySlot bug.
	slot atomic.Pointer[string]

	// cacheMu and cache are the per-instance read cache of the
	// perInstanceCache and deleteCacheRace bugs, and userCache that of
	// indexPerInstanceCache.
	cacheMu   sync.Mutex
	cache     map[string]faultyRecord
	userCache map[string]map[string]faultyEntry
	genCache  map[string]uint64 // that of genPerInstanceCache

	// idSlot is the one id slot of the indexSharedIDSlot bug.
	idSlot atomic.Pointer[string]

	// readBuf and infoBuf are the buffers that the loadReusesBuffer and
	// indexListingBuffer bugs reuse, guarded by the backend's lock.
	readBuf, infoBuf []byte
}

// faultyBackend is what instances of a faultyStore share.
type faultyBackend struct {
	mu      sync.Mutex
	records map[string]faultyRecord
	users   map[string]map[string]faultyEntry // the index of sessions per user
	// listings are the maps the indexListingMap bug returns, per user.
	listings map[string]map[string][]byte
	// generations are the users' generations (vishnu.UserGenerations).
	generations map[string]uint64
}

// faultyEntry is an entry of the index of sessions per user.
type faultyEntry struct {
	info    []byte
	expires time.Time
}

type faultyRecord struct {
	data    []byte
	expires time.Time
}

type bug int

const (
	noBug             bug = iota
	ignoresExpiry         // Load returns records past their expiry
	errorsAsNotFound      // every failure is reported as vishnu.ErrNotFound
	ignoresContext        // calls succeed whatever their context
	losesCommits          // Commit is load-change-save without a lock
	resurrects            // Commit creates a missing record even with Create false
	crosstalk             // records are keyed by the first 16 characters of the id
	hangs                 // Delete of a missing record keeps the lock
	aliases               // Save keeps the caller's slice
	truncates             // Save cuts records at the limit instead of refusing them
	touchCreates          // Touch of a missing record creates an empty one
	cleanupNoLimit        // Cleanup ignores its limit
	cleanupNoDormant      // Cleanup ignores dormantFor
	cleanupAlwaysDone     // Cleanup always reports finished

	subResolutionNeverExpires // a lifetime under the resolution (50ms) becomes "no expiry", as a TTL of 0 does in memcached
	pastExpiryKept            // a write over a live record with an expiry in the past keeps the old expiry
	relativeAbove30Days       // a lifetime over 30 days is taken for a Unix time, as memcached reads it
	truncatesToSeconds        // lifetimes are cut to whole seconds (at least one)
	createdNeverExpires       // a record created by Commit gets no expiry
	emptyCommitNoop           // a Change that names no field is not written at all
	unchangedCommitNoop       // a Commit that would not change the bytes is not written, expiry included
	emptyCommitUpserts        // an empty Change writes the expiry, creating an empty record if there is none
	createOverwrites          // Commit with Create true starts from no fields, even over a live record
	replaceNeedsSet           // Replace is ignored when the Change sets nothing
	emptiedRecordDeleted      // a Commit that leaves no field deletes the record
	saveBypassesCommitLock    // Commit is atomic under a lock that Save does not take
	touchRewrites             // Touch loads the record and writes it back with the new expiry
	touchUpserts              // Touch checks the record exists, then upserts its expiry
	deleteCacheRace           // Delete clears the read cache before the backend, so a Load in between caches the deleted record
	perInstanceCache          // each instance caches what it read, invalidated by its own writes only
	textFieldValues           // Commit keeps field values as text, replacing invalid UTF-8
	likeWildcard              // Load looks ids up with SQL LIKE, where '_' matches any character

	textData              // Save keeps records as text, replacing invalid UTF-8
	emptyIsMissing        // an empty record is taken for no record
	dropsLarge            // records over 64 KiB are dropped without an error
	missingIsEmpty        // Load of a missing record returns an empty record and no error
	saveKeepsTail         // Save over a longer record writes in place, leaving its tail
	tornWrites            // Save writes a record in two steps, seen half-done by a Load
	touchOnlyShortens     // Touch ignores a later expiry (PEXPIREAT … LT)
	saveKeepsExpiry       // Save over a live record keeps its expiry (SET … KEEPTTL)
	createRefused         // Commit with Create true on a missing record returns ErrNotFound
	deletesIgnored        // Commit ignores Change.Delete
	touchClears           // Touch writes an empty record with the new expiry
	sharedKeySlot         // Save passes the key through one slot that every call shares
	interruptedIsNotFound // a Load interrupted by its context reports "not found"

	// Bugs of the index of sessions per user (withUsers).
	indexTextInfo             // info is kept as text, invalid UTF-8 replaced
	indexKeepsCallerSlice     // AddUserSession keeps the caller's slice
	indexFoldsCase            // user names are compared without regard to case, as a case-insensitive collation does
	indexPrefixScan           // entries are keys user+":"+id, listed by a scan of the prefix user+":"
	indexKeepsRemoved         // RemoveUserSession removes nothing
	indexRemoveAbsentFails    // RemoveUserSession of an absent entry returns an error
	indexNoneIsNotFound       // UserSessions of a user with no entries returns vishnu.ErrNotFound
	indexPastAddSkipped       // AddUserSession with an expiry in the past does nothing, leaving a listed entry listed
	indexIgnoresExpiry        // entries never expire (but an expiry in the past removes one, as the real stores do)
	indexSubResolutionForever // a lifetime under the resolution (50ms) becomes "no expiry"
	indexAddKeepsFirst        // AddUserSession of a listed id changes nothing (HSETNX)
	indexAddKeepsExpiry       // AddUserSession of a listed id replaces its info and keeps its expiry
	indexLosesAdds            // AddUserSession copies the user's entries, adds one and writes them back, without a lock
	indexSharedIDSlot         // AddUserSession passes the id through one slot that every call shares
	indexRemoveRewrites       // RemoveUserSession copies the user's entries, drops one and writes them back, without a lock
	indexPerInstanceCache     // each instance caches the lists it read, invalidated by its own writes only
	indexIgnoresContext       // the index ignores its context: a listing cut short reports no entries and no error
	indexListingBuffer        // UserSessions returns infos copied into one buffer that the next listing reuses
	indexLike                 // UserSessions finds users with SQL LIKE: '_' and '%' are wildcards
	indexNFKC                 // user names are normalised: full-width forms and the no-break space folded, as NFKC does
	indexRemoveLike           // RemoveUserSession removes the ids that match the id as a SQL LIKE pattern
	indexKeepsLatest1000      // a user's index keeps the 1,000 entries that expire last (ZREMRANGEBYRANK)
	indexOver30DaysIsADate    // an entry's lifetime over 30 days is taken for a Unix time, as memcached reads it
	indexAccentInsensitive    // user names are compared without their accents, as an accent-insensitive collation does
	indexKeepsDeadEntries     // UserSessions lists the entries of sessions whose record has expired
	indexHidesDeadEntries     // UserSessions leaves out the entries of sessions whose record has expired, but keeps them
	indexListingMap           // UserSessions returns one map per user, cleared and filled again by the next listing

	loadReusesBuffer      // Load of a large record returns it in one buffer that the next large Load reuses
	deleteLikeWildcard    // Delete removes the records whose ids match the id as a SQL LIKE pattern
	fieldsFoldCase        // Commit matches field names regardless of letter case
	fieldsFoldWidth       // Commit matches field names with full-width forms folded, as NFKC does
	replaceKeepsNUL       // Commit with Replace keeps the fields whose names start with NUL, as internal ones
	createRaceOverwrites  // Commit creating a record checks it is missing, then inserts over whatever is there
	cleanupZeroNoLimit    // Cleanup takes limit 0 for no limit
	cleanupZeroFinished   // Cleanup with limit 0 does nothing and reports finished
	cleanupScanThenDelete // Cleanup lists the dormant records, then deletes them by id in a second step
	cleanupCutoffSeconds  // Cleanup's cutoff is cut to whole seconds
	cleanupExpirySeconds  // Cleanup compares expiries cut to whole seconds, as a column of Unix seconds holds them
	unstated              // correct, but its author does not state a guarantee it lacks

	sameExpiryCreateNoTTL  // a record a Commit with SameExpiry creates gets no expiry (HSET without PEXPIREAT)
	sameExpiryReplaceNoTTL // a Commit with Replace and SameExpiry rewrites the record with no expiry (DEL, then HSET)
	sameExpiryMergeNoTTL   // a Commit with SameExpiry rewrites a live record with no expiry (SET without KEEPTTL)
	sameExpiryStale        // a Commit with SameExpiry keeps the expiry stored for the id, even that of an expired record
	sameExpiryResurrects   // a Commit with SameExpiry writes the fields without checking the record exists (HSET creates it)

	genMadeUp           // UserGeneration of a user never bumped returns 1
	genNotAdvanced      // BumpUserGeneration moves a user's generation only from none to 1
	genFoldsCase        // user names are compared regardless of letter case
	genLostBumps        // BumpUserGeneration reads the generation, then writes it plus one, without a lock
	genIgnoresContext   // generation calls succeed whatever their context
	genPerInstanceCache // each instance caches the generations it read, updated by its own bumps only
)

// window is the gap a non-atomic read-then-write leaves, wide enough for a
// concurrent call to land in it.
func window() {
	runtime.Gosched()
	time.Sleep(100 * time.Microsecond)
}

var errBackendDown = errors.New("faulty: connection refused")

func newFaulty(b bug) *faultyStore {
	return &faultyStore{
		bug: b, b: &faultyBackend{records: make(map[string]faultyRecord), users: make(map[string]map[string]faultyEntry), listings: make(map[string]map[string][]byte), generations: make(map[string]uint64)},
		cache: make(map[string]faultyRecord), userCache: make(map[string]map[string]faultyEntry), genCache: make(map[string]uint64),
	}
}

// twin returns another instance over the same backend.
func (s *faultyStore) twin() *faultyStore {
	return &faultyStore{bug: s.bug, limit: s.limit, down: s.down, b: s.b, cache: make(map[string]faultyRecord), userCache: make(map[string]map[string]faultyEntry), genCache: make(map[string]uint64)}
}

var (
	_ vishnu.Committer = (*faultyStore)(nil)
	_ vishnu.Toucher   = (*faultyStore)(nil)
	_ vishnu.Cleaner   = (*faultyStore)(nil)
)

// check is the start of every call: the context and the backend.
func (s *faultyStore) check(ctx context.Context) error {
	err := ctx.Err()
	if s.bug == ignoresContext {
		err = nil
	}
	if err == nil && s.down {
		err = errBackendDown
	}
	if err != nil && s.bug == errorsAsNotFound {
		return vishnu.ErrNotFound
	}
	return err
}

func (s *faultyStore) key(id string) string {
	if s.bug == crosstalk && len(id) > 16 {
		return id[:16]
	}
	return id
}

func (s *faultyStore) cached() bool { return s.bug == perInstanceCache || s.bug == deleteCacheRace }

// expiry is the expiry the store really gives a record asked to expire at
// expires, with the bugs of expiry conversion; old is the live record's
// expiry, if any.
func (s *faultyStore) expiry(expires time.Time, old *faultyRecord) time.Time {
	now := time.Now()
	d := expires.Sub(now)
	switch {
	case s.bug == pastExpiryKept && d <= 0 && old != nil:
		return old.expires
	case s.bug == subResolutionNeverExpires && d > 0 && d < 50*time.Millisecond:
		return time.Time{}.AddDate(9000, 0, 0)
	case s.bug == relativeAbove30Days && d > 30*24*time.Hour:
		return time.Unix(int64(d/time.Second), 0)
	case s.bug == truncatesToSeconds && d > 0:
		return now.Add(max(d.Truncate(time.Second), time.Second))
	}
	return expires
}

// liveLocked returns the record under id, if it is there and not expired.
func (s *faultyStore) liveLocked(id string) (faultyRecord, bool) {
	r, ok := s.b.records[s.key(id)]
	if !ok && s.bug == likeWildcard && strings.ContainsRune(id, '_') {
		for k, rec := range s.b.records {
			if likeMatch(id, k) {
				r, ok = rec, true
				break
			}
		}
	}
	if !ok || (s.bug != ignoresExpiry && !time.Now().Before(r.expires)) {
		return faultyRecord{}, false
	}
	return r, true
}

// putLocked writes a record, unless its expiry is past and it is new.
func (s *faultyStore) putLocked(id string, data []byte, expires time.Time) faultyRecord {
	old, live := s.liveLocked(id)
	var p *faultyRecord
	if live {
		p = &old
	}
	r := faultyRecord{data, s.expiry(expires, p)}
	s.b.records[s.key(id)] = r
	return r
}

func (s *faultyStore) Load(ctx context.Context, id string) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if s.cached() {
		s.cacheMu.Lock()
		defer s.cacheMu.Unlock()
		if r, ok := s.cache[id]; ok && time.Now().Before(r.expires) {
			return append([]byte(nil), r.data...), nil
		}
	}
	if s.bug == interruptedIsNotFound {
		window() // the query runs
		if ctx.Err() != nil {
			return nil, vishnu.ErrNotFound // the mistake: no rows, since the query was cut short
		}
	}
	s.b.mu.Lock()
	r, ok := s.liveLocked(id)
	if ok && s.bug == loadReusesBuffer && len(r.data) >= 16<<10 {
		s.readBuf = append(s.readBuf[:0], r.data...)
		buf := s.readBuf
		s.b.mu.Unlock()
		return buf, nil
	}
	s.b.mu.Unlock()
	switch {
	case !ok && s.bug == missingIsEmpty:
		return []byte{}, nil
	case !ok, s.bug == emptyIsMissing && len(r.data) == 0:
		return nil, vishnu.ErrNotFound
	}
	if s.cached() {
		s.cache[id] = r
	}
	return append([]byte(nil), r.data...), nil
}

// cachePut keeps the cache of the instance that wrote in step; the caller
// holds cacheMu if the store caches.
func (s *faultyStore) cachePut(id string, r faultyRecord, ok bool) {
	if !s.cached() {
		return
	}
	if ok {
		s.cache[id] = r
	} else {
		delete(s.cache, id)
	}
}

func (s *faultyStore) lockCache() func() {
	if !s.cached() {
		return func() {}
	}
	s.cacheMu.Lock()
	return s.cacheMu.Unlock
}

func (s *faultyStore) lockCommit() func() {
	if s.bug != saveBypassesCommitLock {
		return func() {}
	}
	s.commitMu.Lock()
	return s.commitMu.Unlock
}

func (s *faultyStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	switch {
	case s.bug == truncates && len(data) > s.limit:
		data = append([]byte(nil), data[:s.limit]...)
	case s.bug == textData:
		data = []byte(strings.ToValidUTF8(string(data), "\uFFFD"))
	case s.bug == dropsLarge && len(data) > 64<<10:
		return nil
	case s.bug != aliases:
		data = append([]byte(nil), data...)
	}
	if s.bug == sharedKeySlot {
		k := id // never written again, so another call may read it
		s.slot.Store(&k)
		window()
		id = *s.slot.Load()
	}
	defer s.lockCache()()
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	old, live := s.liveLocked(id)
	switch {
	case s.bug == saveKeepsTail && live && len(old.data) > len(data):
		data = append(data, old.data[len(data):]...)
	case s.bug == tornWrites && live:
		// The first half of the new record over the old one, then the rest.
		half := append(append([]byte(nil), data[:len(data)/2]...), old.data[min(len(data)/2, len(old.data)):]...)
		s.b.records[s.key(id)] = faultyRecord{half, old.expires}
		s.b.mu.Unlock()
		window()
		s.b.mu.Lock()
	}
	if s.bug == saveKeepsExpiry && live {
		if cur, ok := s.liveLocked(id); ok {
			s.b.records[s.key(id)] = faultyRecord{data, cur.expires}
			s.cachePut(id, s.b.records[s.key(id)], true)
			return nil
		}
	}
	r := s.putLocked(id, data, expires)
	s.cachePut(id, r, true)
	return nil
}

func (s *faultyStore) Delete(ctx context.Context, id string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	defer s.lockCommit()()
	if s.bug == deleteCacheRace {
		s.cacheMu.Lock()
		delete(s.cache, id)
		s.cacheMu.Unlock()
		window()
	} else {
		defer s.lockCache()()
		s.cachePut(id, faultyRecord{}, false)
	}
	s.b.mu.Lock()
	if s.bug == deleteLikeWildcard {
		for k := range s.b.records {
			if likeMatch(id, k) {
				delete(s.b.records, k)
			}
		}
	}
	if _, ok := s.b.records[s.key(id)]; !ok {
		if s.bug == hangs {
			return nil // the lock is never released: every later call blocks
		}
		s.b.mu.Unlock()
		return nil
	}
	delete(s.b.records, s.key(id))
	s.b.mu.Unlock()
	return nil
}

func (s *faultyStore) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	empty := len(c.Set) == 0 && len(c.Delete) == 0 && !c.Replace
	if s.bug == emptyCommitNoop && empty {
		return nil
	}
	c2 := *c
	c = &c2
	switch {
	case s.bug == resurrects, s.bug == sameExpiryResurrects && c.SameExpiry:
		c.Create = true
	case s.bug == replaceNeedsSet && len(c.Set) == 0:
		c.Replace = false
	case s.bug == emptyCommitUpserts && empty:
		c.Create = true
	case s.bug == deletesIgnored:
		c.Delete = nil
	}
	if s.bug == textFieldValues {
		c.Set = slices.Clone(c.Set)
		for i, f := range c.Set {
			c.Set[i].Value = []byte(strings.ToValidUTF8(string(f.Value), "\uFFFD"))
		}
	}
	defer s.lockCommit()()
	defer s.lockCache()()
	s.b.mu.Lock()
	cur, live := s.liveLocked(id)
	if s.bug == losesCommits || s.bug == saveBypassesCommitLock || (s.bug == createRaceOverwrites && !live && c.Create) {
		// The window of a load-change-save without a transaction.
		s.b.mu.Unlock()
		window()
		s.b.mu.Lock()
	}
	defer s.b.mu.Unlock()
	base := cur.data
	if !live || (s.bug == createOverwrites && c.Create) {
		base = nil
	}
	if !live && s.bug == createRefused {
		return vishnu.ErrNotFound
	}
	switch s.bug {
	case fieldsFoldCase:
		c = foldNames(c, base, strings.EqualFold)
	case fieldsFoldWidth:
		c = foldNames(c, base, func(a, b string) bool { return foldWidth(a) == foldWidth(b) })
	}
	rec, err := c.Apply(base)
	if err != nil {
		return err
	}
	if s.bug == replaceKeepsNUL && c.Replace {
		rec = keepNULFields(rec, base)
	}
	switch {
	case s.bug == unchangedCommitNoop && live && string(rec) == string(cur.data):
		return nil
	case s.bug == emptiedRecordDeleted:
		if f, err := vishnu.DecodeRecord(rec); err == nil && len(f) == 0 {
			delete(s.b.records, s.key(id))
			s.cachePut(id, faultyRecord{}, false)
			return nil
		}
	}
	expires, never := c.Expires, time.Time{}.AddDate(9000, 0, 0)
	stored, kept := s.b.records[s.key(id)]
	switch {
	case s.bug == createdNeverExpires && !live,
		s.bug == sameExpiryCreateNoTTL && c.SameExpiry && !live,
		s.bug == sameExpiryReplaceNoTTL && c.SameExpiry && live && c.Replace,
		s.bug == sameExpiryMergeNoTTL && c.SameExpiry && live:
		expires = never
	case s.bug == sameExpiryStale && c.SameExpiry && kept:
		expires = stored.expires
	case c.SameExpiry && live:
		expires = cur.expires // left as it is, as the memory store does
	}
	r := s.putLocked(id, rec, expires)
	s.cachePut(id, r, true)
	return nil
}

func (s *faultyStore) Touch(ctx context.Context, id string, expires time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	defer s.lockCommit()()
	defer s.lockCache()()
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	r, ok := s.liveLocked(id)
	switch {
	case !ok && s.bug == touchCreates:
		r = faultyRecord{data: []byte{}}
	case !ok:
		return vishnu.ErrNotFound
	}
	if s.bug == touchRewrites || s.bug == touchUpserts {
		// The window between reading the record and writing it back.
		s.b.mu.Unlock()
		window()
		s.b.mu.Lock()
		if cur, ok := s.b.records[s.key(id)]; ok && s.bug == touchUpserts {
			r.data = cur.data
		} else if !ok && s.bug == touchUpserts {
			r.data = []byte{}
		}
	}
	switch s.bug {
	case touchOnlyShortens:
		if cur, ok := s.liveLocked(id); ok && expires.After(cur.expires) {
			return nil
		}
	case touchClears:
		r.data = []byte{}
	}
	w := s.putLocked(id, r.data, expires)
	s.cachePut(id, w, true)
	return nil
}

func (s *faultyStore) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	if s.bug == cleanupNoDormant {
		dormantFor = 0
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	switch {
	case s.bug == cleanupNoLimit, s.bug == cleanupZeroNoLimit && limit == 0:
		limit = len(s.b.records) + 1
	case s.bug == cleanupZeroFinished && limit == 0:
		return true, nil
	}
	cutoff := time.Now().Add(-dormantFor)
	if s.bug == cleanupCutoffSeconds {
		cutoff = cutoff.Truncate(time.Second)
	}
	if s.bug == cleanupScanThenDelete {
		return s.scanThenDeleteLocked(cutoff, limit), nil
	}
	removed := 0
	for id, r := range s.b.records {
		exp := r.expires
		if s.bug == cleanupExpirySeconds {
			exp = exp.Truncate(time.Second)
		}
		if exp.After(cutoff) {
			continue
		}
		if removed == limit {
			return s.bug == cleanupAlwaysDone, nil
		}
		delete(s.b.records, id)
		removed++
	}
	return true, nil
}

// scanThenDeleteLocked is Cleanup in two round trips: a query for the
// dormant ids, then a delete of those ids, whatever became of them since.
func (s *faultyStore) scanThenDeleteLocked(cutoff time.Time, limit int) bool {
	var ids []string
	finished := true
	for id, r := range s.b.records {
		if r.expires.After(cutoff) {
			continue
		}
		if len(ids) == limit {
			finished = false
			break
		}
		ids = append(ids, id)
	}
	s.b.mu.Unlock()
	window()
	s.b.mu.Lock()
	for _, id := range ids {
		delete(s.b.records, id)
	}
	return finished
}

// foldNames returns c with each name it sets or deletes replaced by the
// name of a field of the record base that is equal to it by equal.
func foldNames(c *vishnu.Change, base []byte, equal func(a, b string) bool) *vishnu.Change {
	fields, err := vishnu.DecodeRecord(base)
	if err != nil {
		return c
	}
	fold := func(name string) string {
		for k := range fields {
			if equal(k, name) {
				return k
			}
		}
		return name
	}
	c2 := *c
	c2.Set = slices.Clone(c.Set)
	for i := range c2.Set {
		c2.Set[i].Key = fold(c2.Set[i].Key)
	}
	c2.Delete = nil
	for _, k := range c.Delete {
		c2.Delete = append(c2.Delete, fold(k))
	}
	return &c2
}

// foldWidth maps the full-width forms of ASCII characters, and the no-break
// space, to ASCII, as Unicode's NFKC normalisation does.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '\uff01' && r <= '\uff5e':
			return r - 0xfee0
		case r == '\u00a0':
			return ' '
		}
		return r
	}, s)
}

// keepNULFields returns rec with the fields of base whose names start with
// NUL that rec lacks.
func keepNULFields(rec, base []byte) []byte {
	old, err := vishnu.DecodeRecord(base)
	if err != nil {
		return rec
	}
	now, err := vishnu.DecodeRecord(rec)
	if err != nil {
		return rec
	}
	for k, v := range old {
		if _, ok := now[k]; !ok && strings.HasPrefix(k, "\x00") {
			now[k] = v
		}
	}
	return vishnu.EncodeRecord(now)
}

// Capability subsets -------------------------------------------------------------

// capSet names the optional interfaces a broken store shows.
type capSet int

const (
	allCaps         capSet = iota
	noCleaner              // Committer and Toucher
	toucherOnly            // Toucher, no Committer, no Cleaner
	committerOnly          // Committer, no Toucher, no Cleaner
	plainStore             // Load, Save and Delete only
	withIndex              // every capability, and the index of sessions per user
	withGenerations        // every capability but the index, and generations per user
)

type storeOnly struct{ f *faultyStore }

func (s storeOnly) Load(ctx context.Context, id string) ([]byte, error) { return s.f.Load(ctx, id) }
func (s storeOnly) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	return s.f.Save(ctx, id, data, expires)
}
func (s storeOnly) Delete(ctx context.Context, id string) error { return s.f.Delete(ctx, id) }

type withTouch struct{ storeOnly }

func (s withTouch) Touch(ctx context.Context, id string, expires time.Time) error {
	return s.f.Touch(ctx, id, expires)
}

type withCommit struct{ storeOnly }

func (s withCommit) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	return s.f.Commit(ctx, id, c)
}

type withCommitTouch struct{ withTouch }

func (s withCommitTouch) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	return s.f.Commit(ctx, id, c)
}

// show returns f with only the capabilities of caps.
func show(f *faultyStore, caps capSet) vishnu.Store {
	switch caps {
	case noCleaner:
		return withCommitTouch{withTouch{storeOnly{f}}}
	case toucherOnly:
		return withTouch{storeOnly{f}}
	case committerOnly:
		return withCommit{storeOnly{f}}
	case plainStore:
		return storeOnly{f}
	case withIndex:
		return withUsers{f}
	case withGenerations:
		return withGens{f}
	}
	return f
}

// faultyOf returns the faultyStore under a store made by show.
func faultyOf(s vishnu.Store) *faultyStore {
	switch s := s.(type) {
	case *faultyStore:
		return s
	case storeOnly:
		return s.f
	case withTouch:
		return s.f
	case withCommit:
		return s.f
	case withCommitTouch:
		return s.f
	case withGens:
		return s.faultyStore
	case withUsers:
		return s.faultyStore
	}
	panic(fmt.Sprintf("not a faulty store: %T", s))
}

// A backend that never answers -----------------------------------------------------

// netStore is a store whose every call asks a server at addr and waits for
// a reply, as a client of a real backend does. With honoursContext it stops
// waiting when its context is done; without, it waits for its own 5-second
// timeout, as a client configured with a timeout but deaf to contexts does.
type netStore struct {
	addr           string
	honoursContext bool
	dialsBlind     bool          // dials with its own timeout, deaf to the context
	dialTimeout    time.Duration // that timeout; 0 is 5 seconds
	readTimeout    time.Duration // how long it waits for a reply; 0 is 5 seconds
	indexDeaf      bool          // the index calls dial and wait with their own timeouts, deaf to the context
}

var (
	_ vishnu.Committer = (*netStore)(nil)
	_ vishnu.Toucher   = (*netStore)(nil)
	_ vishnu.Cleaner   = (*netStore)(nil)
)

func (s *netStore) call(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	if s.dialTimeout > 0 {
		d.Timeout = s.dialTimeout
	}
	dialCtx := ctx
	if s.dialsBlind {
		dialCtx = context.Background()
	}
	conn, err := d.DialContext(dialCtx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("netstore: %w", err)
	}
	defer conn.Close()
	wait := 5 * time.Second
	if s.readTimeout > 0 {
		wait = s.readTimeout
	}
	_ = conn.SetDeadline(time.Now().Add(wait))
	if s.honoursContext {
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
		defer stop()
	}
	if _, err := conn.Write([]byte("GET\r\n")); err != nil {
		return fmt.Errorf("netstore: %w", err)
	}
	var b [1]byte
	if _, err := conn.Read(b[:]); err != nil {
		return fmt.Errorf("netstore: no reply: %w", err)
	}
	return errors.New("netstore: unexpected reply")
}

func (s *netStore) Load(ctx context.Context, id string) ([]byte, error) { return nil, s.call(ctx) }
func (s *netStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	return s.call(ctx)
}
func (s *netStore) Delete(ctx context.Context, id string) error { return s.call(ctx) }
func (s *netStore) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	return s.call(ctx)
}
func (s *netStore) Touch(ctx context.Context, id string, expires time.Time) error {
	return s.call(ctx)
}
func (s *netStore) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (bool, error) {
	return false, s.call(ctx)
}

var _ vishnu.UserIndex = (*netStore)(nil)

func (s *netStore) indexCall(ctx context.Context) error {
	if s.indexDeaf {
		deaf := *s
		deaf.honoursContext, deaf.dialsBlind = false, true
		return deaf.call(ctx)
	}
	return s.call(ctx)
}

func (s *netStore) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	return s.indexCall(ctx)
}
func (s *netStore) RemoveUserSession(ctx context.Context, user, id string) error {
	return s.indexCall(ctx)
}
func (s *netStore) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	return nil, s.indexCall(ctx)
}

// likeMatch reports whether key matches pattern as SQL LIKE does: '_' is
// any one byte, '%' any run of them.
func likeMatch(pattern, key string) bool {
	if pattern == "" {
		return key == ""
	}
	switch pattern[0] {
	case '%':
		for i := 0; i <= len(key); i++ {
			if likeMatch(pattern[1:], key[i:]) {
				return true
			}
		}
		return false
	case '_':
		return key != "" && likeMatch(pattern[1:], key[1:])
	}
	return key != "" && key[0] == pattern[0] && likeMatch(pattern[1:], key[1:])
}

package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Sessions per user ----------------------------------------------------------------
//
// A vishnu.UserIndex lists, for each user, the sessions bound to them at
// login, so that a user can see their sessions and end them. Core checks
// every listed session against its record, so an entry that outlives its
// session is harmless; what breaks the feature is an entry lost (a session
// nobody can end: "sign out everywhere" leaves it live), an entry listed for
// the wrong user, an error taken for "no sessions", or an entry that never
// expires (the index grows for ever), or one kept after its session's
// record has expired (a user who logs in often and never logs out grows it
// for ever). The cases below check each on the three calls as core makes
// them: each entry listed has a record, saved before the entry is added, as
// Login does.

// userCase is one case of the UserIndex group: run on a fresh store, two
// on two instances over the same data (StoreOptions.NewSecondInstance), or
// neither for the case on a backend that never answers.
type userCase struct {
	name string
	rule string
	run  func(c *storeT)
	two  func(a, b *storeT)
}

const userUnresponsiveRule = "AddUserSession, RemoveUserSession and UserSessions on a backend that never answers (a server that accepts connections and says nothing, or one that never accepts them) return soon after their context's deadline, with an error that is not vishnu.ErrNotFound"

func userCases() []userCase {
	return []userCase{
		{
			name: "RoundTrip",
			rule: "UserSessions lists each entry added for the user with its info byte for byte (binary, empty, a few KiB), and the store keeps no reference to the slice passed to AddUserSession and never changes a slice UserSessions has returned",
			run:  userRoundTrip,
		},
		{
			name: "Isolation",
			rule: "each user has their own entries: none is ever listed for another user, even one whose name differs only in letter case or in its last character, is a prefix of it, or holds ':', '{', '}' or spaces, and a session id listed for two users keeps its own info under each",
			run:  userIsolation,
		},
		{
			name: "ListingKept",
			rule: "a listing UserSessions returned is never changed by a later call of the store: listing this user or another, adding, re-adding or removing entries change neither the map nor its info slices",
			run:  userListingKept,
		},
		{
			name: "ExactNames",
			rule: "a user's entries are found by the exact bytes of the name, and an entry by those of its id: never under a name equal to it after Unicode normalisation (NFKC: full-width 'Ｃ' is 'C'), without its accents, or matched as a SQL LIKE pattern ('_' and '%' are plain characters), and RemoveUserSession removes no entry but the one named",
			run:  userExactNames,
		},
		{
			name: "ManyEntries",
			rule: "the index keeps every entry of a user, however many: 1,100 sessions of one user are all listed (no cap at the latest N, no first page only), and RemoveUserSession removes each",
			run:  userManyEntries,
		},
		{
			name: "Remove",
			rule: "RemoveUserSession drops the entry and no other, and removing an entry that is not there (never added, already removed, of a user with none) is not an error",
			run:  userRemove,
		},
		{
			name: "PastExpiry",
			rule: "an expiry in the past given to AddUserSession lists nothing: a new entry added so is not listed, and a listed entry added again so is listed no more",
			run:  userPastExpiry,
		},
		{
			name: "NoEntries",
			rule: "UserSessions of a user with no entries (never added, all removed, or added with an expiry in the past) returns an empty map and a nil error, never vishnu.ErrNotFound or another error",
			run:  userNoEntries,
		},
		{
			name: "ConcurrentAdds",
			rule: "concurrent AddUserSession calls for one user are all listed: no entry is lost, so no session of a login racing others is left live and unlisted",
			run:  userConcurrentAdds,
		},
		{
			name: "ConcurrentAddRemove",
			rule: "AddUserSession and RemoveUserSession of different ids of one user, run concurrently, keep exactly the entries not removed: no removed entry comes back, no added one is lost",
			run:  userConcurrentAddRemove,
		},
		{
			name: "Context",
			rule: "a call with a cancelled context, or one past its deadline, returns an error promptly, never vishnu.ErrNotFound, and UserSessions never answers it with an empty list, which would read as \"no sessions\"",
			run:  userContext,
		},
		{
			name: "Instances",
			rule: "adds and removes through one instance are seen through another at once, also by one that has listed the user before",
			two:  userInstances,
		},
		{name: "Unresponsive", rule: userUnresponsiveRule},
	}
}

func runUserIndex(t *testing.T, r *storeRunner, _ capabilities) {
	for _, uc := range userCases() {
		t.Run(uc.name, func(t *testing.T) {
			switch {
			case uc.run != nil:
				r.run(t, uc.rule, r.newStore(t), uc.run)
			case uc.two != nil:
				runUserInstances(t, r, uc)
			default:
				runUserUnresponsive(t, r)
			}
		})
	}
}

// Calls and helpers ----------------------------------------------------------------

func (c *storeT) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	c.track("AddUserSession(%q, %s, %d bytes)", user, short(id), len(info))
	return c.store.(vishnu.UserIndex).AddUserSession(ctx, user, id, info, expires)
}

func (c *storeT) RemoveUserSession(ctx context.Context, user, id string) error {
	c.track("RemoveUserSession(%q, %s)", user, short(id))
	return c.store.(vishnu.UserIndex).RemoveUserSession(ctx, user, id)
}

func (c *storeT) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	c.track("UserSessions(%q)", user)
	return c.store.(vishnu.UserIndex).UserSessions(ctx, user)
}

// addEntry saves a record for the session id, as Login does first, then
// adds its entry; it fails the case on an error.
func (c *storeT) addEntry(user, id string, info []byte, expires time.Time) {
	c.t.Helper()
	if err := c.addSession(c.ctx, user, id, info, expires); err != nil {
		c.Fatalf("%v", err)
	}
}

// addSession saves a record for the session id that outlives the case,
// then adds its entry.
func (c *storeT) addSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	if err := c.Save(ctx, id, sessionRecord, c.longExpiry()); err != nil {
		return fmt.Errorf("Save(%s) of the record of a session to list failed: %w", short(id), err)
	}
	if err := c.AddUserSession(ctx, user, id, info, expires); err != nil {
		return fmt.Errorf("AddUserSession(%q, %s, %d bytes) failed: %w", user, short(id), len(info), err)
	}
	return nil
}

// sessionRecord is the record of the sessions the index cases list.
var sessionRecord = record("user", "ada")

// removeEntry removes an entry and fails the case on an error.
func (c *storeT) removeEntry(user, id string) {
	c.t.Helper()
	if err := c.RemoveUserSession(c.ctx, user, id); err != nil {
		c.Fatalf("RemoveUserSession(%q, %s) failed: %v", user, short(id), err)
	}
}

// entries lists user's entries and fails the case on an error.
func (c *storeT) entries(user string) map[string][]byte {
	c.t.Helper()
	got, err := c.UserSessions(c.ctx, user)
	if err != nil {
		c.Fatalf("UserSessions(%q) failed: %v", user, err)
	}
	return got
}

// wantEntries lists user's entries and checks that they are exactly want,
// id to info.
func (c *storeT) wantEntries(user string, want map[string][]byte, what string) {
	c.t.Helper()
	if d := diffEntries(c.entries(user), want); d != "" {
		c.Errorf("UserSessions(%q) %s: %s", user, what, d)
	}
}

// entryText is want for wantEntries from ids and text infos.
func entryText(kv ...string) map[string][]byte {
	m := make(map[string][]byte, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return m
}

// diffEntries describes how a listing differs from want.
func diffEntries(got, want map[string][]byte) string {
	var missing, extra, changed []string
	for id, info := range want {
		g, ok := got[id]
		switch {
		case !ok:
			missing = append(missing, short(id))
		case !bytesEqual(g, info):
			changed = append(changed, fmt.Sprintf("%s: %s", short(id), diffBytes(g, info)))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			extra = append(extra, short(id))
		}
	}
	var parts []string
	list := func(what string, ids []string) {
		if len(ids) == 0 {
			return
		}
		slices.Sort(ids)
		shown := ids
		if len(shown) > 10 {
			shown = shown[:10]
		}
		s := fmt.Sprintf("%d %s: %s", len(ids), what, strings.Join(shown, ", "))
		if len(ids) > len(shown) {
			s += ", …"
		}
		parts = append(parts, s)
	}
	list("entries missing", missing)
	list("entries that should not be there", extra)
	list("entries with the wrong info", changed)
	return strings.Join(parts, "; ")
}

// newUser returns a user name no other case uses, shaped like an e-mail
// address.
func newUser() string { return "ada." + strings.ToLower(newID()[:10]) + "@example.com" }

// Cases ---------------------------------------------------------------------------

func userRoundTrip(c *storeT) {
	user := newUser()
	var binary []byte
	for i := range 2 * 256 {
		binary = append(binary, byte(i))
	}
	binary = append(binary, "invalid UTF-8 \xc3\x28, NUL \x00, CRLF \r\n"...)
	large := randomBytes(4 << 10)
	want := map[string][]byte{newID(): binary, newID(): {}, newID(): large, newID(): []byte("Firefox on Linux")}
	var nilInfo string
	for id, info := range want {
		c.addEntry(user, id, info, c.longExpiry())
	}
	nilInfo = newID()
	c.addEntry(user, nilInfo, nil, c.longExpiry())
	want[nilInfo] = []byte{}
	c.wantEntries(user, want, "after each entry was added")

	owned := newID()
	info := []byte("the info as added")
	c.addEntry(user, owned, info, c.longExpiry())
	for i := range info {
		info[i] = 'x'
	}
	want[owned] = []byte("the info as added")
	c.wantEntries(user, want, "after the caller overwrote the slice it had passed to AddUserSession")

	got := c.entries(user)[owned]
	c.addEntry(user, owned, []byte("the info added again"), c.longExpiry())
	if !bytesEqual(got, []byte("the info as added")) {
		c.Errorf("a slice returned by UserSessions changed when the entry was added again: %s", diffBytes(got, []byte("the info as added")))
	}
}

func userListingKept(c *storeT) {
	user, other := newUser(), newUser()
	a, b := newID(), newID()
	c.addEntry(user, a, []byte("info of a, 1"), c.longExpiry())
	c.addEntry(user, b, []byte("info of b, 1"), c.longExpiry())
	c.addEntry(other, newID(), []byte("info of x, 2"), c.longExpiry())
	got := c.entries(user)
	want := entryText(a, "info of a, 1", b, "info of b, 1")
	if d := diffEntries(got, want); d != "" {
		c.Fatalf("UserSessions(%q) after two entries were added: %s", user, d)
	}
	for _, st := range []struct {
		what string
		f    func()
	}{
		{"a listing of another user", func() { c.entries(other) }},
		{"a listing of the same user", func() { c.entries(user) }},
		{"an AddUserSession of a new entry, and a listing", func() {
			c.addEntry(user, newID(), []byte("info of c, 3"), c.longExpiry())
			c.entries(user)
		}},
		{"an AddUserSession of a listed entry with new info as long, and a listing", func() {
			c.addEntry(user, a, []byte("info of a, 4"), c.longExpiry())
			c.entries(user)
		}},
		{"a RemoveUserSession, and a listing", func() {
			c.removeEntry(user, b)
			c.entries(user)
		}},
	} {
		st.f()
		if d := diffEntries(got, want); d != "" {
			c.Fatalf("a listing returned by UserSessions changed after %s: %s", st.what, d)
		}
	}
}

func userManyEntries(c *storeT) {
	const n, workers = 1100, 16
	user := newUser()
	ids := make([]string, n)
	want := make(map[string][]byte, n)
	for i := range ids {
		ids[i] = newID()
		want[ids[i]] = fmt.Appendf(nil, "login %d", i)
	}
	each := func(f func(id string) error) {
		c.goroutines(workers, func(g int) {
			for i := g; i < n; i += workers {
				if err := f(ids[i]); err != nil {
					c.Errorf("one of %d calls for one user failed: %v", n, err)
					return
				}
			}
		})
	}
	each(func(id string) error { return c.addSession(c.ctx, user, id, want[id], c.longExpiry()) })
	c.wantEntries(user, want, fmt.Sprintf("after %d entries were added", n))
	each(func(id string) error { return c.RemoveUserSession(c.ctx, user, id) })
	c.wantEntries(user, map[string][]byte{}, fmt.Sprintf("after the %d entries were removed", n))
}

func userIsolation(c *storeT) {
	base := newUser()
	last := []byte(base)
	last[len(last)-1]++ // "…@example.con"
	users := []string{
		base,
		strings.ToUpper(base[:1]) + base[1:],
		string(last),
		base[:len(base)-1],
		base + "m",
		base + ":1",
		base + ":",
		"{" + base + "}",
		"{" + base,
		base + "}",
		base + " ",
		" " + base,
		"Ada Lovelace " + base,
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = newID()
		c.addEntry(u, ids[i], []byte("entry of "+u), c.longExpiry())
	}
	// One session id listed for two users: each keeps its own info.
	shared := newID()
	c.addEntry(users[0], shared, []byte("shared, of "+users[0]), c.longExpiry())
	c.addEntry(users[1], shared, []byte("shared, of "+users[1]), c.longExpiry())
	want := func(i int) map[string][]byte {
		w := entryText(ids[i], "entry of "+users[i])
		if i < 2 {
			w[shared] = []byte("shared, of " + users[i])
		}
		return w
	}
	for i, u := range users {
		c.wantEntries(u, want(i), "among users of similar names")
	}
	c.removeEntry(users[0], ids[0])
	c.removeEntry(users[0], shared)
	for i, u := range users[1:] {
		c.wantEntries(u, want(i+1), fmt.Sprintf("after RemoveUserSession of the entries of %q", users[0]))
	}
}

func userRemove(c *storeT) {
	user := newUser()
	a, b, d := newID(), newID(), newID()
	c.addEntry(user, a, []byte("a"), c.longExpiry())
	c.addEntry(user, b, []byte("b"), c.longExpiry())
	c.addEntry(user, d, []byte("d"), c.longExpiry())
	c.removeEntry(user, b)
	c.wantEntries(user, entryText(a, "a", d, "d"), "after RemoveUserSession of one of three entries")
	for _, call := range []struct{ what, user, id string }{
		{"of an entry already removed", user, b},
		{"of an id never added", user, newID()},
		{"for a user with no entries", newUser(), a},
	} {
		if err := c.RemoveUserSession(c.ctx, call.user, call.id); err != nil {
			c.Errorf("RemoveUserSession %s returned %v, want nil", call.what, err)
		}
	}
	c.wantEntries(user, entryText(a, "a", d, "d"), "after RemoveUserSession of entries that were not there")
}

func userPastExpiry(c *storeT) {
	user := newUser()
	live, never, ended := newID(), newID(), newID()
	c.addEntry(user, live, []byte("live"), c.longExpiry())
	c.addEntry(user, never, []byte("expired already"), time.Now().Add(-time.Hour))
	c.wantEntries(user, entryText(live, "live"), "after AddUserSession of a new entry with an expiry an hour ago")
	c.addEntry(user, ended, []byte("live for now"), c.longExpiry())
	c.addEntry(user, ended, []byte("ended"), time.Now().Add(-time.Second))
	c.wantEntries(user, entryText(live, "live"), "after AddUserSession of a listed entry again, with an expiry a second ago")
}

func userNoEntries(c *storeT) {
	removed, expired := newUser(), newUser()
	id := newID()
	c.addEntry(removed, id, []byte("removed"), c.longExpiry())
	c.removeEntry(removed, id)
	c.addEntry(expired, newID(), []byte("expired"), time.Now().Add(-time.Minute))
	for _, u := range []struct{ what, user string }{
		{"of a user never added", newUser()},
		{"of a user whose only entry was removed", removed},
		{"of a user whose only entry was added with an expiry in the past", expired},
	} {
		got, err := c.UserSessions(c.ctx, u.user)
		switch {
		case errors.Is(err, vishnu.ErrNotFound):
			c.Errorf("UserSessions %s returned %v, which errors.Is vishnu.ErrNotFound; want an empty map and a nil error", u.what, err)
		case err != nil:
			c.Errorf("UserSessions %s returned %v, want an empty map and a nil error", u.what, err)
		case len(got) != 0:
			c.Errorf("UserSessions %s returned %d entries, want none", u.what, len(got))
		}
	}
}

func userConcurrentAdds(c *storeT) {
	const n = 50
	user := newUser()
	want := make(map[string][]byte, n)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID()
		want[ids[i]] = fmt.Appendf(nil, "login %d", i)
	}
	c.goroutines(n, func(i int) {
		if err := c.addSession(c.ctx, user, ids[i], want[ids[i]], c.longExpiry()); err != nil {
			c.Errorf("%d of %d concurrent logins: %v", i, n, err)
		}
	})
	c.wantEntries(user, want, fmt.Sprintf("after %d concurrent AddUserSession calls for the user", n))
}

func userConcurrentAddRemove(c *storeT) {
	const kept, doomed = 10, 20
	user := newUser()
	want := map[string][]byte{}
	for i := range kept {
		id := newID()
		want[id] = fmt.Appendf(nil, "kept %d", i)
		c.addEntry(user, id, want[id], c.longExpiry())
	}
	gone := make([]string, doomed)
	for i := range gone {
		gone[i] = newID()
		c.addEntry(user, gone[i], []byte("doomed"), c.longExpiry())
	}
	added := make([]string, doomed)
	for i := range added {
		added[i] = newID()
		want[added[i]] = fmt.Appendf(nil, "added %d", i)
	}
	// One goroutine per removal, and one adding a new entry after another
	// while they run.
	c.goroutines(doomed+1, func(i int) {
		if i < doomed {
			if err := c.RemoveUserSession(c.ctx, user, gone[i]); err != nil {
				c.Errorf("RemoveUserSession racing with other calls failed: %v", err)
			}
			return
		}
		for _, id := range added {
			if err := c.addSession(c.ctx, user, id, want[id], c.longExpiry()); err != nil {
				c.Errorf("a login racing with removals: %v", err)
			}
		}
	})
	c.wantEntries(user, want, fmt.Sprintf("after %d concurrent removals of entries while %d others were added", doomed, doomed))
}

func userContext(c *storeT) {
	user := newUser()
	present := newID()
	c.addEntry(user, present, []byte("present"), c.longExpiry())
	cancelled, cancel := context.WithCancel(c.ctx)
	cancel()
	expired, cancel2 := context.WithDeadline(c.ctx, time.Now().Add(-time.Second))
	defer cancel2()
	for _, ctx := range []struct {
		what string
		ctx  context.Context
	}{{"a cancelled", cancelled}, {"an expired", expired}} {
		calls := []struct {
			name string
			f    func() error
		}{
			{"AddUserSession", func() error {
				return c.AddUserSession(ctx.ctx, user, newID(), []byte("x"), c.longExpiry())
			}},
			{"RemoveUserSession", func() error { return c.RemoveUserSession(ctx.ctx, user, present) }},
			{"UserSessions", func() error { _, err := c.UserSessions(ctx.ctx, user); return err }},
		}
		for _, call := range calls {
			start := time.Now()
			err := call.f()
			took := time.Since(start)
			switch {
			case err == nil && call.name == "UserSessions":
				c.Errorf("UserSessions with %s context returned a nil error for a user with entries: whatever it listed, Vishnu would take it for the user's sessions (none, after an interrupted query), and end none of the others", ctx.what)
			case err == nil:
				c.Errorf("%s with %s context returned a nil error", call.name, ctx.what)
			case errors.Is(err, vishnu.ErrNotFound):
				c.Errorf("%s with %s context returned %v, which errors.Is vishnu.ErrNotFound", call.name, ctx.what, err)
			}
			if took > prompt {
				c.Errorf("%s with %s context took %v to return", call.name, ctx.what, took.Round(time.Millisecond))
			}
		}
	}
}

func userInstances(a, b *storeT) {
	user := newUser()
	first, x := newID(), newID()
	a.addEntry(user, first, []byte("first"), a.longExpiry())
	b.wantEntries(user, entryText(first, "first"), "through the second instance, of an entry added through the first")
	a.wantEntries(user, entryText(first, "first"), "through the first instance, of an entry it added")
	a.addEntry(user, x, []byte("x"), a.longExpiry())
	b.wantEntries(user, entryText(first, "first", x, "x"), "through the second instance, after the first added another entry")
	a.wantEntries(user, entryText(first, "first", x, "x"), "through the first instance, of the entries it added")
	b.removeEntry(user, x)
	a.wantEntries(user, entryText(first, "first"), "through the first instance, after the second removed an entry")
	b.addEntry(user, x, []byte("x again"), b.longExpiry())
	a.wantEntries(user, entryText(first, "first", x, "x again"), "through the first instance, after the second added the entry again")
}

func runUserInstances(t *testing.T, r *storeRunner, uc userCase) {
	if r.opts.NewSecondInstance == nil {
		t.Skip("StoreOptions.NewSecondInstance is not set: whether one instance sees the index entries another adds and removes is not tested")
	}
	first := r.newStore(t)
	second := r.opts.NewSecondInstance(t, first)
	if second == nil {
		t.Fatal("conformance: StoreOptions.NewSecondInstance returned nil")
	}
	if _, ok := second.(vishnu.UserIndex); !ok {
		t.Fatalf("conformance: StoreOptions.NewSecondInstance returned a %T, which is not a vishnu.UserIndex though the first instance is", second)
	}
	r.run(t, uc.rule, first, func(a *storeT) {
		b := *a
		b.store = second
		uc.two(a, &b)
	})
}

func runUserUnresponsive(t *testing.T, r *storeRunner) {
	if r.opts.NewUnresponsive == nil {
		t.Skip("StoreOptions.NewUnresponsive is not set: whether the index calls return promptly when the backend hangs is not tested")
	}
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
		if _, ok := stores[i].(vishnu.UserIndex); !ok {
			t.Skipf("the unresponsive store is not a %s", capUserIndex)
		}
	}
	calls := []unavailableCall{
		{"AddUserSession", 0, func(c *storeT, ctx context.Context) error {
			return c.AddUserSession(ctx, newUser(), newID(), []byte("x"), c.longExpiry())
		}},
		{"RemoveUserSession", 0, func(c *storeT, ctx context.Context) error {
			return c.RemoveUserSession(ctx, newUser(), newID())
		}},
		{"UserSessions", 0, func(c *storeT, ctx context.Context) error {
			_, err := c.UserSessions(ctx, newUser())
			return err
		}},
	}
	// Every call on both backends at once: each has its own deadline, and
	// the case lasts as long as the slowest.
	r.runLonger(t, userUnresponsiveRule, stores[0], unresponsiveTries*(unresponsiveDeadline+unresponsiveGrace), func(c *storeT) {
		c.goroutines(len(backends)*len(calls), func(i int) {
			b, call := i/len(calls), calls[i%len(calls)]
			if stores[b] == nil {
				return
			}
			one := *c
			one.store = stores[b]
			unresponsiveCall(&one, call, backends[b].what)
		})
	})
}

// Expiry of entries ------------------------------------------------------------------
//
// These checks run with the other expiry cases and share their wait.

func userIndexExpiryChecks() []expiryCheck {
	var (
		user, short, long, under string
		reUser, later, earlier   string
		longUser                 string
		longWant                 map[string][]byte
		deadUser, alive, dead    string
	)
	return []expiryCheck{
		{
			name:  "UserDeadEntries",
			rule:  "an entry whose session's record has expired is listed no more, though the entry's own expiry is far off, and is dropped from the index, not only left out of the listing: a record saved again under its id does not bring it back (the index of a user who logs in often and never logs out must not grow for ever)",
			needs: capUserIndex,
			setup: func(c *storeT) {
				deadUser, alive, dead = newUser(), newID(), newID()
				c.addEntry(deadUser, alive, []byte("alive"), c.longExpiry())
				c.addEntry(deadUser, dead, []byte("dead"), c.longExpiry())
				c.save(dead, sessionRecord, c.shortExpiry())
			},
			check: func(c *storeT) {
				c.wantEntries(deadUser, entryText(alive, "alive"), "past the expiry of one session's record, its entry still unexpired")
				c.save(dead, sessionRecord, c.longExpiry())
				c.wantEntries(deadUser, entryText(alive, "alive"), "after a record was saved again under the id of an entry left out, for its record had expired")
			},
		},
		{
			name:  "UserEntries",
			rule:  "an entry of the index of sessions per user is listed until its expiry and not after, also one whose lifetime is under the TTL resolution, while the user's other entries stay",
			needs: capUserIndex,
			setup: func(c *storeT) {
				user, short, long, under = newUser(), newID(), newID(), newID()
				start := time.Now()
				c.addEntry(user, long, []byte("long"), c.longExpiry())
				c.addEntry(user, short, []byte("short"), c.shortExpiry())
				c.addEntry(user, under, []byte("under"), time.Now().Add(c.res()/2))
				got := c.entries(user)
				if _, ok := got[short]; !ok && time.Since(start) < c.res() {
					c.Fatalf("UserSessions right after AddUserSession of an entry to expire in %v does not list it: it expired early", 2*c.res())
				}
			},
			check: func(c *storeT) {
				c.wantEntries(user, entryText(long, "long"), "past the expiry of two of its three entries")
			},
		},
		{
			name:  "UserEntriesLong",
			rule:  "an entry of the index of sessions per user given a lifetime past 30 days, up to vishnu.MaxTimeout (what Login gives without an absolute timeout), is listed right after AddUserSession and later (memcached reads more than 30 days as a date)",
			needs: capUserIndex,
			setup: func(c *storeT) {
				longUser = newUser()
				longWant = map[string][]byte{}
				for _, d := range longLifetimes {
					id := newID()
					longWant[id] = []byte(days(d))
					c.addEntry(longUser, id, longWant[id], time.Now().Add(d))
				}
				c.wantEntries(longUser, longWant, "right after AddUserSession of entries with lifetimes from 30 days to vishnu.MaxTimeout")
			},
			check: func(c *storeT) {
				c.wantEntries(longUser, longWant, fmt.Sprintf("%v after AddUserSession of entries with lifetimes from 30 days to vishnu.MaxTimeout", 7*c.res()/2))
			},
		},
		{
			name:  "UserEntryReAdded",
			rule:  "AddUserSession of an id already listed replaces its info at once, and its expiry, later or earlier than before",
			needs: capUserIndex,
			setup: func(c *storeT) {
				reUser, later, earlier = newUser(), newID(), newID()
				c.addEntry(reUser, later, []byte("first"), c.shortExpiry())
				c.addEntry(reUser, later, []byte("added again, to live longer"), c.longExpiry())
				c.addEntry(reUser, earlier, []byte("first"), c.longExpiry())
				c.addEntry(reUser, earlier, []byte("added again, to end sooner"), c.shortExpiry())
				c.wantEntries(reUser, entryText(later, "added again, to live longer", earlier, "added again, to end sooner"), "right after entries were added again with new info")
			},
			check: func(c *storeT) {
				c.wantEntries(reUser, entryText(later, "added again, to live longer"), "past the earlier of the two expiries of each entry")
			},
		},
	}
}

package conformance

import (
	"errors"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// More than one instance ----------------------------------------------------------
//
// Real deployments run several application servers over one backend. Each
// case gets two instances of the store over the same data (the second from
// StoreOptions.NewSecondInstance) and checks that what one writes, the
// other sees at once, also after it has read the record itself (which is
// when a per-process cache would answer instead of the backend).

type instanceCase struct {
	name  string
	rule  string
	needs capability
	run   func(c *storeT, other *storeT)
}

func instanceCases() []instanceCase {
	return []instanceCase{
		{
			name: "Save",
			rule: "a Save through one instance is seen through another at once, also by one that has read the record before",
			run: func(a, b *storeT) {
				id := newID()
				a.save(id, []byte("first"), a.longExpiry())
				b.wantData(id, []byte("first"), "through the second instance, of a record saved through the first")
				a.save(id, []byte("second"), a.longExpiry())
				b.wantData(id, []byte("second"), "through the second instance, after the first saved the record again")
				b.save(id, []byte("third"), b.longExpiry())
				a.wantData(id, []byte("third"), "through the first instance, after the second saved the record")
				a.save(id, []byte("short-lived"), time.Now().Add(-time.Hour))
				b.wantNotFound(id, "through the second instance, after the first saved the record with an expiry in the past")
			},
		},
		{
			name:  "Commit",
			rule:  "a Commit through one instance is seen through another at once, and builds on what the other wrote",
			needs: capCommitter,
			run: func(a, b *storeT) {
				id := newID()
				a.save(id, record("a", "1"), a.longExpiry())
				b.wantFields(id, map[string]string{"a": "1"}, "through the second instance, of a record saved through the first")
				a.commitOK(id, &vishnu.Change{Set: fields("b", "2"), Expires: a.longExpiry()})
				b.wantFields(id, map[string]string{"a": "1", "b": "2"}, "through the second instance, after a Commit through the first")
				b.commitOK(id, &vishnu.Change{Set: fields("c", "3"), Delete: []string{"a"}, Expires: b.longExpiry()})
				a.wantFields(id, map[string]string{"b": "2", "c": "3"}, "through the first instance, after a Commit through the second")
			},
		},
		{
			name:  "Touch",
			rule:  "a Touch through one instance is seen through another: an expiry moved later keeps the record alive there, one moved into the past ends it there",
			needs: capToucher,
			run: func(a, b *storeT) {
				ended := newID()
				a.save(ended, []byte("ended"), a.longExpiry())
				b.wantData(ended, []byte("ended"), "through the second instance, of a record saved through the first")
				if err := a.Touch(a.ctx, ended, time.Now().Add(-time.Hour)); err != nil && !errors.Is(err, vishnu.ErrNotFound) {
					a.Fatalf("Touch with an expiry in the past failed: %v", err)
				}
				b.wantNotFound(ended, "through the second instance, after a Touch through the first moved its expiry into the past")

				kept := newID()
				a.save(kept, []byte("kept"), a.shortExpiry())
				b.wantData(kept, []byte("kept"), "through the second instance, of a record saved through the first")
				if err := a.Touch(a.ctx, kept, a.longExpiry()); err != nil {
					a.Fatalf("Touch of a live record failed: %v", err)
				}
				time.Sleep(7 * a.res() / 2)
				b.wantData(kept, []byte("kept"), "through the second instance, past its first expiry, after a Touch through the first had moved its expiry later")
			},
		},
		{
			name: "Delete",
			rule: "a Delete through one instance is seen through another at once: the record is gone there, and neither Commit nor Touch there brings it back",
			run: func(a, b *storeT) {
				id := newID()
				a.save(id, record("user", "ada"), a.longExpiry())
				b.wantFields(id, map[string]string{"user": "ada"}, "through the second instance, of a record saved through the first")
				a.del(id)
				b.wantNotFound(id, "through the second instance, after a Delete through the first (a logout there would not be one here)")
				if _, ok := b.store.(vishnu.Committer); ok {
					if err := b.Commit(b.ctx, id, &vishnu.Change{Set: fields("cart", "1"), Expires: b.longExpiry()}); !errors.Is(err, vishnu.ErrNotFound) {
						b.Errorf("Commit with Create false through the second instance, after a Delete through the first, returned %v, want vishnu.ErrNotFound", err)
					}
				}
				if _, ok := b.store.(vishnu.Toucher); ok {
					if err := b.Touch(b.ctx, id, b.longExpiry()); !errors.Is(err, vishnu.ErrNotFound) {
						b.Errorf("Touch through the second instance, after a Delete through the first, returned %v, want vishnu.ErrNotFound", err)
					}
				}
				a.wantNotFound(id, "through the first instance, after it deleted the record and the second tried to write it")
			},
		},
		{
			name:  "UserGenerations",
			rule:  "a bump of a user's generation through one instance is seen through another at once, also by one that has read it before",
			needs: capUserGenerations,
			run: func(a, b *storeT) {
				user := newUser()
				b.generation(user)
				g := a.bump(user)
				if got := b.generation(user); got != g {
					b.Errorf("through the second instance, after the first bumped %q to %d, UserGeneration returns %d: the sessions the bump ends stay live there", user, g, got)
				}
				g = b.bump(user)
				if got := a.generation(user); got != g {
					a.Errorf("through the first instance, after the second bumped %q to %d, UserGeneration returns %d", user, g, got)
				}
			},
		},
	}
}

func runInstances(t *testing.T, r *storeRunner, caps capabilities) {
	if r.opts.NewSecondInstance == nil {
		t.Run("not-provided", func(t *testing.T) {
			t.Skip("StoreOptions.NewSecondInstance is not set: whether writes through one instance are seen through another (several application servers over one backend) is not tested")
		})
		return
	}
	for _, ic := range instanceCases() {
		t.Run(ic.name, func(t *testing.T) {
			if ic.needs != 0 && !caps.has(ic.needs) {
				t.Skipf("needs a %s, which the store is not", ic.needs)
			}
			first := r.newStore(t)
			second := r.opts.NewSecondInstance(t, first)
			if second == nil {
				t.Fatal("conformance: StoreOptions.NewSecondInstance returned nil")
			}
			r.runLonger(t, ic.rule, first, 7*r.opts.TTLResolution/2, func(a *storeT) {
				b := *a
				b.store = second
				ic.run(a, &b)
			})
		})
	}
}

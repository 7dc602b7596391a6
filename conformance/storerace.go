package conformance

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Races ------------------------------------------------------------------------
//
// Each pair of mutating calls (Commit, Save, Touch, Delete) raced on one
// record, beyond those of the Committer cases (Commit with Commit, Commit
// with Delete) and of Overwrite/NoTornReads (Save with Save). A call that
// reads the record and writes it back, or a cache filled while a write is
// in flight, passes every sequential case and fails here.

// raceRounds is how many times each race is run on a fresh record: a lost
// update needs its window hit, and a few rounds make that near certain
// without making the suite slow.
const raceRounds = 3

// pause spaces the calls of a goroutine that races others in a loop: the
// race needs calls in flight together, not a goroutine that hogs a core.
func pause() { time.Sleep(20 * time.Microsecond) }

func raceCases() []storeCase {
	return []storeCase{
		{
			name:  "CommitSave",
			rule:  "a Save racing with Commits replaces the record atomically: it is never undone by a Commit that loaded the record before it, and Commits that start after it returns build on it",
			needs: capCommitter,
			run:   raceCommitSave,
		},
		{
			name:  "CommitTouch",
			rule:  "Touches racing with Commits lose none of the Commits' fields",
			needs: capCommitter | capToucher,
			run:   raceCommitTouch,
		},
		{
			name:  "SaveTouch",
			rule:  "a Touch racing with Saves never writes back data it read before a Save: what a Save wrote stays until the next write",
			needs: capToucher,
			run:   raceSaveTouch,
		},
		{
			name:  "TouchDelete",
			rule:  "a Delete racing with Touches is final: no Touch that starts after Delete returns succeeds, and the record stays deleted",
			needs: capToucher,
			run:   raceTouchDelete,
		},
		{
			name: "SaveDelete",
			rule: "a Delete racing with Saves and Loads removes what was saved before it started: a Load after it returns never sees that data again",
			run:  raceSaveDelete,
		},
	}
}

// racing runs body(stop) on n goroutines until stop is set by the last
// goroutine, which runs main: the writers of a race against one of them.
func (c *storeT) racing(n int, loop func(g int, stop *atomic.Bool), main func(stop *atomic.Bool)) {
	var stop atomic.Bool
	c.goroutines(n+1, func(g int) {
		if g == n {
			defer stop.Store(true)
			main(&stop)
			return
		}
		loop(g, &stop)
	})
}

// deadline bounds a race loop that waits for something, well inside the
// watchdog.
func (c *storeT) deadline() time.Time { return time.Now().Add(c.opts.Watchdog / 4) }

func raceCommitSave(c *storeT) {
	const committers = 8
	for round := range raceRounds {
		id := newID()
		c.save(id, record("seed", "1"), c.longExpiry())
		var commits atomic.Int32
		var saved atomic.Bool
		var after []string // fields of Commits that started after the Save returned
		afterKeys := make([][]string, committers)
		c.racing(committers, func(g int, stop *atomic.Bool) {
			for j := 0; !stop.Load(); j++ {
				k := fmt.Sprintf("c%d-%d", g, j)
				wasSaved := saved.Load()
				if err := c.Commit(c.ctx, id, &vishnu.Change{Set: fields(k, "x"), Expires: c.longExpiry()}); err != nil {
					c.Errorf("Commit racing with a Save failed: %v", err)
					return
				}
				commits.Add(1)
				if wasSaved {
					afterKeys[g] = append(afterKeys[g], k)
					if len(afterKeys[g]) >= 3 {
						return
					}
				}
			}
		}, func(stop *atomic.Bool) {
			for end := c.deadline(); commits.Load() < 2*committers && time.Now().Before(end); {
				time.Sleep(50 * time.Microsecond)
			}
			if err := c.Save(c.ctx, id, record("saved", strconv.Itoa(round)), c.longExpiry()); err != nil {
				c.Errorf("Save racing with Commits failed: %v", err)
			}
			saved.Store(true)
			for end := c.deadline(); commits.Load() < 6*committers && time.Now().Before(end); {
				time.Sleep(50 * time.Microsecond)
			}
		})
		for _, k := range afterKeys {
			after = append(after, k...)
		}
		got := c.fields(id)
		if _, ok := got["seed"]; ok || string(got["saved"]) != strconv.Itoa(round) {
			c.Fatalf("Load(%s) after a Save raced with Commits: the record does not hold what the Save wrote (field saved=%q, field seed present %v): a Commit that had loaded the record before the Save wrote its old fields back over it", short(id), got["saved"], ok)
		}
		var lost []string
		for _, k := range after {
			if _, ok := got[k]; !ok {
				lost = append(lost, k)
			}
		}
		if len(lost) > 0 {
			c.Fatalf("Load(%s) after a Save raced with Commits: %d fields of Commits that started after the Save returned are missing (%s, …)", short(id), len(lost), lost[0])
		}
	}
}

func raceCommitTouch(c *storeT) {
	const committers, perCommitter = 8, 10
	for range raceRounds {
		id := newID()
		c.save(id, record("seed", "1"), c.longExpiry())
		want := map[string]string{"seed": "1"}
		for g := range committers {
			for j := range perCommitter {
				want[fmt.Sprintf("c%d-%d", g, j)] = "x"
			}
		}
		c.racing(4, func(_ int, stop *atomic.Bool) {
			for !stop.Load() {
				if err := c.Touch(c.ctx, id, c.longExpiry()); err != nil {
					c.Errorf("Touch racing with Commits failed: %v", err)
					return
				}
				pause()
			}
		}, func(*atomic.Bool) {
			c.goroutines(committers, func(g int) {
				for j := range perCommitter {
					if err := c.Commit(c.ctx, id, &vishnu.Change{Set: fields(fmt.Sprintf("c%d-%d", g, j), "x"), Expires: c.longExpiry()}); err != nil {
						c.Errorf("Commit racing with Touches failed: %v", err)
						return
					}
				}
			})
		})
		got := c.fields(id)
		if d := diffFields(got, want); d != "" {
			c.Fatalf("Load(%s) after %d Commits raced with Touches: %s (a Touch wrote back the record as it had read it)", short(id), committers*perCommitter, d)
		}
	}
}

func raceSaveTouch(c *storeT) {
	const saves = 20
	for range raceRounds {
		id := newID()
		c.save(id, []byte("v0"), c.longExpiry())
		stale := 0
		c.racing(4, func(_ int, stop *atomic.Bool) {
			for !stop.Load() {
				if err := c.Touch(c.ctx, id, c.longExpiry()); err != nil {
					c.Errorf("Touch racing with Saves failed: %v", err)
					return
				}
				pause()
			}
		}, func(*atomic.Bool) {
			for k := 1; k <= saves; k++ {
				want := "v" + strconv.Itoa(k)
				if err := c.Save(c.ctx, id, []byte(want), c.longExpiry()); err != nil {
					c.Errorf("Save racing with Touches failed: %v", err)
					return
				}
				time.Sleep(200 * time.Microsecond) // leave the Touches a window
				got, err := c.Load(c.ctx, id)
				if err != nil {
					c.Errorf("Load of a record saved and touched, racing with Touches: %v", err)
					return
				}
				if string(got) != want && stale == 0 {
					stale++
					c.Errorf("Load(%s) after Save(%q), with only Touches racing: got %q (a Touch wrote back data it had read before the Save)", short(id), want, clip(got))
				}
			}
		})
		if stale > 0 {
			return
		}
	}
}

func raceTouchDelete(c *storeT) {
	// A round is short (it ends soon after its Delete), so it runs more
	// often, and its Touches back to back: the Delete must land while one
	// is in flight.
	const touchers, rounds = 8, 3 * raceRounds
	for range rounds {
		id := newID()
		c.save(id, []byte("to be deleted"), c.longExpiry())
		var deleted atomic.Bool
		var touches, late atomic.Int32
		c.racing(touchers, func(_ int, stop *atomic.Bool) {
			for after := 0; after < 5 && !stop.Load(); {
				wasDeleted := deleted.Load()
				err := c.Touch(c.ctx, id, c.longExpiry())
				switch {
				case errors.Is(err, vishnu.ErrNotFound):
					if wasDeleted {
						after++
					}
					continue
				case err != nil:
					c.Errorf("Touch racing with Delete failed: %v", err)
					return
				}
				touches.Add(1)
				if wasDeleted {
					late.Add(1)
					after++
				}
			}
		}, func(stop *atomic.Bool) {
			for end := c.deadline(); touches.Load() < 2*touchers && time.Now().Before(end); {
				time.Sleep(50 * time.Microsecond)
			}
			if err := c.Delete(c.ctx, id); err != nil {
				c.Errorf("Delete racing with Touches failed: %v", err)
			}
			deleted.Store(true)
			time.Sleep(2 * time.Millisecond) // the Touches in flight return, and later ones start
		})
		if n := late.Load(); n > 0 {
			c.Fatalf("%d Touches that started after Delete had returned succeeded: the deleted record was brought back", n)
		}
		b, err := c.Load(c.ctx, id)
		if !errors.Is(err, vishnu.ErrNotFound) {
			c.Fatalf("Load(%s) after a Delete raced with Touches, once they have all returned: got %d bytes and error %v, want vishnu.ErrNotFound (a Touch brought the deleted record back)", short(id), len(b), err)
		}
	}
}

func raceSaveDelete(c *storeT) {
	const loaders, deletes = 4, 20
	for range raceRounds {
		id := newID()
		var done atomic.Int64 // the last k whose Save(v<k>) has returned
		var stopSaving atomic.Bool
		c.racing(loaders+1, func(g int, stop *atomic.Bool) {
			if g == loaders { // the saver
				for k := int64(1); !stop.Load() && !stopSaving.Load(); k++ {
					if err := c.Save(c.ctx, id, []byte(strconv.FormatInt(k, 10)), c.longExpiry()); err != nil {
						c.Errorf("Save racing with Deletes failed: %v", err)
						return
					}
					done.Store(k)
					time.Sleep(100 * time.Microsecond)
				}
				return
			}
			for !stop.Load() { // readers, as other requests are
				if _, err := c.Load(c.ctx, id); err != nil && !errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Load racing with Saves and Deletes failed: %v", err)
					return
				}
				pause()
			}
		}, func(*atomic.Bool) {
			defer stopSaving.Store(true)
			for range deletes {
				for end := c.deadline(); done.Load() == 0 && time.Now().Before(end); {
					time.Sleep(50 * time.Microsecond)
				}
				before := done.Load()
				if err := c.Delete(c.ctx, id); err != nil {
					c.Errorf("Delete racing with Saves failed: %v", err)
					return
				}
				got, err := c.Load(c.ctx, id)
				if err != nil {
					continue
				}
				if k, perr := strconv.ParseInt(string(got), 10, 64); perr == nil && k <= before {
					c.Errorf("Load(%s) right after a Delete returned the record saved as %q, whose Save had returned before the Delete started: deleted data came back", short(id), got)
					return
				}
				time.Sleep(500 * time.Microsecond)
			}
		})
	}
}

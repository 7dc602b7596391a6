package conformance

import (
	"context"
	"errors"
	"slices"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Generations per user -----------------------------------------------------------
//
// A vishnu.UserGenerations keeps a number per user that ends the user's
// sessions when it moves: a session records it at login, and one whose
// number is older than the user's is ended on its next request. What
// breaks the feature is a bump that does not move the number (a password
// change that ends nothing), a number shared between users (one user's
// change signs another out, or one user's login survives another's
// change), a bump lost to a concurrent one, and a user with none who reads
// as having one.

func generationCases() []storeCase {
	return []storeCase{
		{
			name: "ZeroUntilBumped",
			rule: "UserGeneration of a user never bumped returns 0 and a nil error, never vishnu.ErrNotFound",
			run:  generationZeroUntilBumped,
		},
		{
			name: "Increasing",
			rule: "BumpUserGeneration returns a generation greater than every one returned for the user before, and UserGeneration then returns it",
			run:  generationIncreasing,
		},
		{
			name: "PerUser",
			rule: "each user has their own generation: a bump moves no other user's, even one whose name differs only in letter case or its last character, is a prefix of it, or holds spaces, NUL or ':'",
			run:  generationPerUser,
		},
		{
			name: "ConcurrentBumps",
			rule: "concurrent BumpUserGeneration calls for one user each return a generation of their own, and UserGeneration then returns the greatest: no bump is lost",
			run:  generationConcurrentBumps,
		},
		{
			name: "Context",
			rule: "UserGeneration and BumpUserGeneration with a cancelled context, or one past its deadline, return an error, never vishnu.ErrNotFound: a generation read as 0 would end every session of the user, and a bump reported done that was not would end none",
			run:  generationContext,
		},
	}
}

func (c *storeT) UserGeneration(ctx context.Context, user string) (uint64, error) {
	c.track("UserGeneration(%q)", user)
	return c.store.(vishnu.UserGenerations).UserGeneration(ctx, user)
}

func (c *storeT) BumpUserGeneration(ctx context.Context, user string) (uint64, error) {
	c.track("BumpUserGeneration(%q)", user)
	return c.store.(vishnu.UserGenerations).BumpUserGeneration(ctx, user)
}

// generation reads user's generation and fails the case on an error.
func (c *storeT) generation(user string) uint64 {
	c.t.Helper()
	g, err := c.UserGeneration(c.ctx, user)
	if errors.Is(err, vishnu.ErrNotFound) {
		c.Fatalf("UserGeneration(%q) returned vishnu.ErrNotFound: a user without a generation has 0", user)
	}
	if err != nil {
		c.Fatalf("UserGeneration(%q) failed: %v", user, err)
	}
	return g
}

// bump bumps user's generation and fails the case on an error.
func (c *storeT) bump(user string) uint64 {
	c.t.Helper()
	g, err := c.BumpUserGeneration(c.ctx, user)
	if err != nil {
		c.Fatalf("BumpUserGeneration(%q) failed: %v", user, err)
	}
	return g
}

func generationZeroUntilBumped(c *storeT) {
	if g := c.generation(newUser()); g != 0 {
		c.Errorf("a user never bumped has generation %d, want 0: a store that makes one up ends sessions only by luck", g)
	}
}

func generationIncreasing(c *storeT) {
	user := newUser()
	var last uint64
	for i := range 5 {
		g := c.bump(user)
		if g <= last {
			c.Fatalf("bump %d of %q returned %d, not above %d: the sessions it should end stay live", i+1, user, g, last)
		}
		if got := c.generation(user); got != g {
			c.Fatalf("after bump %d of %q returned %d, UserGeneration returns %d", i+1, user, g, got)
		}
		last = g
	}
}

func generationPerUser(c *storeT) {
	user := newUser()
	others := []string{
		user[:len(user)-1] + "x", // the last character
		user[:len(user)-1],       // a prefix
		user + ":1",
		"ADA." + user[4:], // letter case
		user + " \x00",
	}
	before := make([]uint64, len(others))
	for i, o := range others {
		before[i] = c.generation(o)
	}
	c.bump(user)
	c.bump(user)
	for i, o := range others {
		if g := c.generation(o); g != before[i] {
			c.Errorf("bumping %q moved the generation of %q from %d to %d", user, o, before[i], g)
		}
	}
	mine := c.generation(user)
	for _, o := range others {
		c.bump(o)
	}
	if g := c.generation(user); g != mine {
		c.Errorf("bumping other users moved the generation of %q from %d to %d", user, mine, g)
	}
}

func generationConcurrentBumps(c *storeT) {
	user := newUser()
	const n = 16
	got := make([]uint64, n)
	c.goroutines(n, func(i int) {
		g, err := c.BumpUserGeneration(c.ctx, user)
		if err != nil {
			c.Errorf("BumpUserGeneration(%q) failed: %v", user, err)
		}
		got[i] = g
	})
	slices.Sort(got)
	if len(slices.Compact(slices.Clone(got))) != n {
		c.Fatalf("%d concurrent bumps of %q returned %v: some returned the same generation, so a bump was lost", n, user, got)
	}
	if g := c.generation(user); g != got[n-1] {
		c.Errorf("after %d concurrent bumps up to %d, UserGeneration of %q returns %d", n, got[n-1], user, g)
	}
}

func generationContext(c *storeT) {
	user := newUser()
	c.bump(user)
	cancelled, cancel := context.WithCancel(c.ctx)
	cancel()
	expired, cancel2 := context.WithDeadline(c.ctx, time.Now().Add(-time.Second))
	defer cancel2()
	for _, ctx := range []struct {
		what string
		ctx  context.Context
	}{{"a cancelled", cancelled}, {"an expired", expired}} {
		_, errGet := c.UserGeneration(ctx.ctx, user)
		_, errBump := c.BumpUserGeneration(ctx.ctx, user)
		for _, call := range []struct {
			name string
			err  error
		}{{"UserGeneration", errGet}, {"BumpUserGeneration", errBump}} {
			switch {
			case call.err == nil:
				c.Errorf("%s with %s context returned a nil error", call.name, ctx.what)
			case errors.Is(call.err, vishnu.ErrNotFound):
				c.Errorf("%s with %s context returned vishnu.ErrNotFound: %v", call.name, ctx.what, call.err)
			}
		}
	}
}

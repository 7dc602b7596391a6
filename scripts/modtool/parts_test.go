package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRunPartsPrintsInOrderAndNamesFailures(t *testing.T) {
	var running, most atomic.Int32
	enter := func() {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
	}
	secondDone := make(chan struct{})
	parts := []part{
		{"first", func(out io.Writer) error {
			enter()
			defer running.Add(-1)
			<-secondDone // ends after the second: its output still comes first
			fmt.Fprintln(out, "first says")
			return nil
		}},
		{"second", func(out io.Writer) error {
			enter()
			defer running.Add(-1)
			defer close(secondDone)
			fmt.Fprintln(out, "second says")
			return errors.New("broken")
		}},
		{"third", func(out io.Writer) error {
			enter()
			defer running.Add(-1)
			fmt.Fprintln(out, "third says")
			return nil
		}},
	}
	var w strings.Builder
	failed := runParts(&w, 2, parts)
	want := "first says\nsecond says\ninstall-test: FAIL: second: broken\nthird says\n"
	if w.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", w.String(), want)
	}
	if !slices.Equal(failed, []string{"second"}) {
		t.Errorf("failed = %q, want [second]", failed)
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d parts ran at once, want at most 2", m)
	}
}

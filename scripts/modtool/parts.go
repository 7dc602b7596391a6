package main

import (
	"bytes"
	"fmt"
	"io"
)

// partsAtOnce is how many parts of the install test run at once: go
// commands that mostly read and unpack modules, and link.
const partsAtOnce = 3

// A part is one check of the install test, writing what it does to out.
type part struct {
	name string
	run  func(out io.Writer) error
}

// runParts runs parts, n at a time in their order, and writes each one's
// output whole to w, in their order, once it and those before it have
// ended. It returns the names of the parts that failed.
func runParts(w io.Writer, n int, parts []part) []string {
	outs := make([]bytes.Buffer, len(parts))
	errs := make([]error, len(parts))
	done := make([]chan struct{}, len(parts))
	for i := range done {
		done[i] = make(chan struct{})
	}
	go func() {
		sem := make(chan struct{}, n)
		for i, p := range parts {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; close(done[i]) }()
				errs[i] = p.run(&outs[i])
			}()
		}
	}()
	var failed []string
	for i, p := range parts {
		<-done[i]
		_, _ = w.Write(outs[i].Bytes())
		if errs[i] != nil {
			fmt.Fprintf(w, "install-test: FAIL: %s: %v\n", p.name, errs[i])
			failed = append(failed, p.name)
		}
	}
	return failed
}

package main

import (
	"testing"

	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// TestYourSessions: the demo's list of the user's sessions, from three
// devices (pagestest.YourSessions).
func TestYourSessions(t *testing.T) { pagestest.YourSessions(t, newTestServer) }

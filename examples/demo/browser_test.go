package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/vishnu-go/vishnu/examples/internal/browsertest"
	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// "Your sessions" in Chromium, driven by testdata/sessions.cjs through
// playwright-core: three browser contexts of one user (the laptop, phone
// and tablet of pagestest.YourSessions) see the list, ending one session and
// signing out everywhere else, and the notice on the next page of each
// browser signed out. It needs chromium, node and npm (see browsertest).
func TestYourSessionsInChromium(t *testing.T) {
	srv := newTestServer(t)
	devices, err := json.Marshal([]pagestest.Device{pagestest.Laptop, pagestest.Phone, pagestest.Tablet})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Chromium: %s", browsertest.Run(t, filepath.Join("testdata", "sessions.cjs"), srv, "DEMO_DEVICES="+string(devices)))
}

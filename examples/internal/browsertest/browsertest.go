// Package browsertest runs the example apps' browser tests: a node script
// that drives Chromium through playwright-core against an app the Go test
// serves on loopback. It finds chromium and node, installs playwright-core
// with npm ci from the lock file committed here (once, into the user's
// cache), and skips the test for want of any of them, except under CI=true
// where it fails.
//
// A script requires "playwright-core" and "vishnu-browsertest" (helper.js:
// the app's address, Chromium's launch options, check and main), prints
// what it saw as one JSON line, and exits non-zero when a check fails.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RunTimeout bounds one script's run, Chromium's start included.
const RunTimeout = 3 * time.Minute

// Run runs the node script at path (relative to the test's package) against
// the app at baseURL, with env ("KEY=value") added to its environment, and
// returns what it printed. It fails the test with the script's output when
// the script fails, and skips it with -short.
func Run(t *testing.T, script, baseURL string, env ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a browser; not with -short")
	}
	chromium := findChromium(t)
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node is not installed")
	}
	modules := playwrightModules(t)
	path, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, path)
	cmd.Env = append(os.Environ(), "VISHNU_BASE_URL="+baseURL, "VISHNU_CHROMIUM="+chromium, "NODE_PATH="+modules)
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s failed (%v):\n%s%s", script, err, errOut.String(), out.String())
	}
	return strings.TrimSpace(out.String())
}

// findChromium returns the Chromium to drive: VISHNU_CHROMIUM when set,
// else chromium or chromium-browser on PATH.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VISHNU_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	unavailable(t, "chromium is not installed (apt-get install chromium, or set VISHNU_CHROMIUM)")
	return ""
}

// unavailable skips the test for want of a program, with the reason, and
// fails it when CI=true, where a missing program is a broken setup that
// would otherwise pass unnoticed.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (a missing program fails the test when CI=true)", msg)
	}
	t.Skipf("%s (skipped; with CI=true this fails)", msg)
}

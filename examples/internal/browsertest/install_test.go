package browsertest

import (
	"encoding/json"
	"testing"
)

// The committed lock installs the playwright-core that package.json asks
// for, so that npm ci, which refuses a lock out of step, can run.
func TestLockMatchesPackage(t *testing.T) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	var lock struct {
		Packages map[string]struct {
			Version      string            `json:"version"`
			Integrity    string            `json:"integrity"`
			Dependencies map[string]string `json:"dependencies"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(packageJSON, &pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	if err := json.Unmarshal(packageLock, &lock); err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	want := pkg.Dependencies["playwright-core"]
	if want == "" {
		t.Fatal("package.json does not depend on playwright-core")
	}
	if got := lock.Packages[""].Dependencies["playwright-core"]; got != want {
		t.Errorf("the lock's root asks for playwright-core %q, package.json for %q", got, want)
	}
	if p := lock.Packages["node_modules/playwright-core"]; p.Version != want || p.Integrity == "" {
		t.Errorf("the lock installs playwright-core %q (integrity %q), want %q with its integrity", p.Version, p.Integrity, want)
	}
}

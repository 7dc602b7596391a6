package browsertest

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// What is installed for the scripts: playwright-core from the committed
// lock, and helper.js as the module "vishnu-browsertest".
var (
	//go:embed package.json
	packageJSON []byte
	//go:embed package-lock.json
	packageLock []byte
	//go:embed helper.js
	helperJS []byte
)

// installTimeout bounds npm ci.
const installTimeout = 3 * time.Minute

// playwrightModules returns a node_modules folder that holds
// playwright-core and vishnu-browsertest, in the user's cache, installing
// it there (npm ci) when it is not yet. Its name carries a hash of what is
// installed, so that a changed lock or helper gets a folder of its own.
func playwrightModules(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	h := sha256.New()
	for _, b := range [][]byte{packageJSON, packageLock, helperJS} {
		h.Write(b)
		h.Write([]byte{0})
	}
	target := filepath.Join(cache, "vishnu-go", "playwright-"+hex.EncodeToString(h.Sum(nil)[:6]))
	modules := filepath.Join(target, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "vishnu-browsertest", "index.js")); err == nil {
		return modules
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "playwright-core is not installed and npm is missing to install it")
	}
	// Installed beside the target and renamed into place, so that a run
	// that stops half-way leaves nothing that looks installed, and two
	// test binaries installing at once both end with a whole install.
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp(filepath.Dir(target), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	write := func(name string, b []byte) {
		t.Helper()
		path := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", packageJSON)
	write("package-lock.json", packageLock)
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "npm ci of playwright-core failed: %v\n%s", err, out)
	}
	write(filepath.Join("node_modules", "vishnu-browsertest", "index.js"), helperJS)
	if err := os.Rename(work, target); err != nil && !errors.Is(err, os.ErrExist) {
		if _, serr := os.Stat(filepath.Join(modules, "vishnu-browsertest", "index.js")); serr != nil { // not installed meanwhile by another run
			t.Fatal(err)
		}
	}
	return modules
}

package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The user's code of the install test: an app on one adapter and one store,
// and a custom store tested with the conformance suite.
//
//go:embed testdata/install
var userCode embed.FS

// A userApp is one of the install test's apps: the folder of its code under
// testdata/install and the library modules it gets, one go get each.
type userApp struct {
	name    string
	modules []string
}

// apps are the install test's apps. Each must get nothing of the adapters,
// stores and frameworks it did not choose.
var apps = []userApp{
	{"app", []string{"adapters/gin", "stores/redis"}},
	{"echov5", []string{"adapters/echov5"}},
	{"postgres", []string{"stores/postgres"}},
}

// frameworks are the third-party modules that come with an adapter or a
// store, which the app must not get when it did not choose that module.
var frameworks = map[string][]string{
	"adapters/gin":     {"github.com/gin-gonic/gin"},
	"adapters/echo":    {"github.com/labstack/echo/v4"},
	"adapters/echov5":  {"github.com/labstack/echo/v5"},
	"adapters/chi":     {"github.com/go-chi/chi"},
	"adapters/fiber":   {"github.com/gofiber/fiber", "github.com/valyala/fasthttp"},
	"stores/redis":     {"github.com/redis/go-redis"},
	"stores/memcache":  {"github.com/bradfitz/gomemcache"},
	"stores/datastore": {"cloud.google.com/go/datastore"},
	"stores/postgres":  {"github.com/jackc/pgx"},
}

// installTest installs the library modules of the working tree the way a
// user gets them, never through go.work or the replace lines of the
// repository's own go.mod files (which the go command ignores in a
// dependency):
//
//  1. follows the README's pre-release recipe verbatim (see recipe.go): a
//     gin + Redis app, and a custom store whose test calls
//     conformance.TestStore, on a clone of the repository;
//  2. publishes the modules at the version their siblings require into a
//     temporary file:// module proxy;
//  3. installs each library alone in a scratch module (go get, go mod tidy
//     of a file importing it): a sibling required at a version that was
//     never published shows only there;
//  4. builds and vets each app of apps on modules it gets one at a time, as
//     a user types them, and checks with go list -m all that no other
//     adapter, store or framework came along;
//  5. the custom store again, on core and conformance from the proxy:
//     go get, go mod tidy, go vet, go test.
//
// Third-party modules come from this machine's module cache when it has
// them, else from the usual proxy. The parts are independent, each in a
// folder of its own: they run a few at a time (see runParts), each to its
// end; the error names the parts that failed.
func installTest(r *repo, keep bool) error {
	scratch, err := os.MkdirTemp("", "vishnu-install-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("install-test: keeping", scratch)
	} else {
		defer removeAll(scratch)
	}
	var failed []string
	parts, err := recipeParts(r, filepath.Join(scratch, "recipe"))
	if err != nil {
		fmt.Println("install-test: FAIL: recipe:", err)
		failed = append(failed, "recipe")
	}
	version, err := releaseVersion(r)
	if err != nil {
		return err
	}
	proxy := filepath.Join(scratch, "proxy")
	if err := publish(r, proxy, version); err != nil {
		return err
	}
	env, err := userEnv(filepath.Join(scratch, "modcache"), proxy)
	if err != nil {
		return err
	}
	for _, m := range r.modules {
		if !m.library {
			continue
		}
		parts = append(parts, part{m.dir + " alone", func(out io.Writer) error {
			dir := filepath.Join(scratch, "alone", filepath.FromSlash(m.dir))
			err := userModule(out, dir, "example.com/alone", env, map[string]string{"alone.go": "package alone\n\nimport _ \"" + m.path + "\"\n"},
				[]string{"go", "get", m.path + "@" + version}, []string{"go", "mod", "tidy"})
			if err != nil {
				return fmt.Errorf("%s@%s cannot be installed on its own: %w", m.path, version, err)
			}
			return nil
		}})
	}
	for _, a := range apps {
		parts = append(parts, part{a.name, func(out io.Writer) error {
			fmt.Fprintf(out, "install-test: %s: %s at %s\n", a.name, strings.Join(a.modules, " and "), version)
			return a.build(out, r, filepath.Join(scratch, a.name), env, version)
		}})
	}
	parts = append(parts, part{"custom store", func(out io.Writer) error {
		fmt.Fprintf(out, "install-test: custom store: core and conformance at %s\n", version)
		return userModule(out, filepath.Join(scratch, "mystore"), "example.com/mystore", env, files("mystore"),
			[]string{"go", "get", ourPath("conformance") + "@" + version},
			[]string{"go", "get", ourPath("core") + "@" + version},
			[]string{"go", "mod", "tidy"},
			[]string{"go", "vet", "-trimpath", "./..."},
			[]string{"go", "test", "-trimpath", "-count=1", "./..."})
	}})
	failed = append(failed, runParts(os.Stdout, partsAtOnce, parts)...)
	if len(failed) > 0 {
		return fmt.Errorf("install test: %s failed", strings.Join(failed, ", "))
	}
	fmt.Printf("install-test: ok: the README's recipe, and installed from the proxy as a user would, at %s\n", version)
	return nil
}

// build builds the app on its modules and checks its module graph.
func (a userApp) build(out io.Writer, r *repo, dir string, env []string, version string) error {
	steps := [][]string{}
	// One go get per module: getting two at once would let the second mend
	// a bad requirement of the first.
	for _, m := range a.modules {
		steps = append(steps, []string{"go", "get", ourPath(m) + "@" + version})
	}
	steps = append(steps, []string{"go", "mod", "tidy"},
		// -trimpath on every build, vet and test: packages compiled (and
		// vetted) from this run's module cache, a new folder each time, are
		// then found in the build cache, within a run and the next.
		[]string{"go", "build", "-trimpath", "-o", os.DevNull, "."},
		[]string{"go", "vet", "-trimpath", "."})
	if err := userModule(out, dir, "example.com/"+a.name, env, files(a.name), steps...); err != nil {
		return err
	}
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir, cmd.Env, cmd.Stderr = dir, env, out
	listed, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list -m all: %w", err)
	}
	graph := strings.Fields(string(listed))
	if found := unwanted(r, a.modules, graph); len(found) > 0 {
		return fmt.Errorf("the module graph holds what the app did not ask for: %s", strings.Join(found, " "))
	}
	fmt.Fprintf(out, "install-test: %s: go list -m all has %d modules, no other adapter, store or framework\n", a.name, strings.Count(string(listed), "\n"))
	return nil
}

// unwanted returns the modules of graph (module paths, versions mixed in)
// that belong to an adapter or store other than the chosen ones.
func unwanted(r *repo, chosen, graph []string) []string {
	var bad []string
	for _, m := range r.modules {
		if slices.Contains(chosen, m.dir) || !(strings.HasPrefix(m.dir, "adapters/") || strings.HasPrefix(m.dir, "stores/")) {
			continue
		}
		for _, u := range append([]string{m.path}, frameworks[m.dir]...) {
			for _, p := range graph {
				if p == u || strings.HasPrefix(p, u+"/") {
					bad = append(bad, p)
				}
			}
		}
	}
	return bad
}

// userModule makes a module in dir from files and runs steps in it, their
// output to out.
func userModule(out io.Writer, dir, modPath string, env []string, files map[string]string, steps ...[]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	initMod := exec.Command("go", "mod", "init", modPath)
	initMod.Dir, initMod.Env = dir, env
	if out, err := initMod.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod init: %w\n%s", err, out)
	}
	for _, s := range steps {
		fmt.Fprintln(out, "+", strings.Join(s, " "))
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w (its error is above)", strings.Join(s, " "), err)
		}
	}
	return nil
}

// files returns the user's code of one part, by file name.
func files(part string) map[string]string {
	out := map[string]string{}
	dir := path.Join("testdata/install", part)
	entries, _ := userCode.ReadDir(dir) // embedded: present by construction
	for _, e := range entries {
		data, _ := fs.ReadFile(userCode, path.Join(dir, e.Name()))
		out[e.Name()] = string(data)
	}
	return out
}

// ourPath is the module path of the repository's module in dir.
func ourPath(dir string) string { return ourPrefix + dir }

const ourPrefix = "github.com/vishnu-go/vishnu/"

// userEnv is a user's environment: nothing of the repository's workspace,
// the module cache cache of its own, our modules from proxy (none when
// proxy is "") and everything else as usual, from this machine's module
// cache first.
func userEnv(cache, proxy string) ([]string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE", "GOPROXY").Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return nil, fmt.Errorf("go env GOMODCACHE GOPROXY: %q", out)
	}
	mainCache, upstream := lines[0], lines[1]
	// The checksum database's answers this machine has verified already,
	// so that each third-party module is not looked up again; anything
	// else is still checked against the database.
	if err := os.CopyFS(filepath.Join(cache, "cache", "download", "sumdb"), os.DirFS(filepath.Join(mainCache, "cache", "download", "sumdb"))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	proxies := "file://" + filepath.Join(mainCache, "cache", "download") + "," + upstream
	if proxy != "" {
		proxies = "file://" + proxy + "," + proxies
	}
	return append(os.Environ(),
		"GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local",
		"GOMODCACHE="+cache,
		"GOPROXY="+proxies,
		"GONOSUMDB="+strings.TrimSuffix(ourPrefix, "/"), "GOPRIVATE=", "GONOPROXY="), nil
}

// removeAll removes dir, a module cache included (read-only, as the go
// command makes it).
func removeAll(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}

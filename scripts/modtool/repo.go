package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// A mod is one module of the workspace.
type mod struct {
	dir      string // folder relative to the repository root, slash-separated
	path     string // module path
	library  bool   // published for users to install
	support  bool   // published because libraries require it, never installed by users
	siblings []module.Version
}

// A repo is the workspace: its root folder and its modules in dependency order.
type repo struct {
	root    string
	modules []*mod
}

// findRoot walks up from the current folder to the first one holding go.work.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work in the current folder or above it; pass -root")
		}
		dir = parent
	}
}

// isLibrary says whether the module in dir (relative, slash-separated) is one
// users install. Examples and benchmarks are modules only so that their
// dependencies stay out of the libraries' graphs.
func isLibrary(dir string) bool {
	return dir == "core" || dir == "conformance" ||
		strings.HasPrefix(dir, "stores/") || strings.HasPrefix(dir, "adapters/")
}

// isSupport says whether the module in dir is test support that library
// modules require for their own tests (internal, which starts real servers):
// it is published beside them, so that a user's go command can resolve those
// requirements, but users never install it (Go's internal rule keeps its
// packages out of their reach), so it is no library.
func isSupport(dir string) bool { return dir == "internal" }

// rank orders the kinds of module: libraries, support, applications.
func (m *mod) rank() int {
	switch {
	case m.library:
		return 0
	case m.support:
		return 1
	}
	return 2
}

// published says whether m goes to the module proxy.
func (m *mod) published() bool { return m.library || m.support }

// loadRepo reads go.work's use lines and each module's go.mod, and orders the
// modules so that every module comes after the siblings it requires.
func loadRepo(root string) (*repo, error) {
	root, err := filepath.Abs(root) // git and the install test's scratch modules work elsewhere
	if err != nil {
		return nil, err
	}
	workFile := filepath.Join(root, "go.work")
	data, err := os.ReadFile(workFile)
	if err != nil {
		return nil, err
	}
	work, err := modfile.ParseWork(workFile, data, nil)
	if err != nil {
		return nil, err
	}
	byPath := map[string]*mod{}
	var mods []*mod
	for _, u := range work.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		gomod := filepath.Join(root, filepath.FromSlash(dir), "go.mod")
		data, err := os.ReadFile(gomod)
		if err != nil {
			return nil, fmt.Errorf("go.work uses %s: %w", u.Path, err)
		}
		f, err := modfile.ParseLax(gomod, data, nil)
		if err != nil {
			return nil, err
		}
		if f.Module == nil {
			return nil, fmt.Errorf("%s has no module line", gomod)
		}
		m := &mod{dir: dir, path: f.Module.Mod.Path, library: isLibrary(dir), support: isSupport(dir)}
		for _, r := range f.Require {
			m.siblings = append(m.siblings, r.Mod) // filtered below, once every path is known
		}
		byPath[m.path] = m
		mods = append(mods, m)
	}
	for _, m := range mods {
		m.siblings = slices.DeleteFunc(m.siblings, func(v module.Version) bool { return byPath[v.Path] == nil })
	}
	ordered, err := dependencyOrder(mods, byPath)
	if err != nil {
		return nil, err
	}
	return &repo{root: root, modules: ordered}, nil
}

// dependencyOrder sorts mods so that each comes after what it requires;
// among modules whose requirements are all placed, libraries come first, then
// support modules, then applications, then folder order, so that the output
// is the same on every run.
func dependencyOrder(mods []*mod, byPath map[string]*mod) ([]*mod, error) {
	placed := map[*mod]bool{}
	var out []*mod
	for len(out) < len(mods) {
		var ready []*mod
		for _, m := range mods {
			if placed[m] {
				continue
			}
			if !slices.ContainsFunc(m.siblings, func(v module.Version) bool { return !placed[byPath[v.Path]] }) {
				ready = append(ready, m)
			}
		}
		if len(ready) == 0 {
			var left []string
			for _, m := range mods {
				if !placed[m] {
					left = append(left, m.dir)
				}
			}
			return nil, fmt.Errorf("the requirements of %s form a cycle", strings.Join(left, ", "))
		}
		slices.SortFunc(ready, func(a, b *mod) int {
			if c := a.rank() - b.rank(); c != 0 {
				return c
			}
			return strings.Compare(a.dir, b.dir)
		})
		// One at a time, so that a library that becomes ready only after
		// another library (or a support module) still comes before the
		// applications.
		placed[ready[0]] = true
		out = append(out, ready[0])
	}
	return out, nil
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/zip"
)

// releaseVersion is the version the library modules are published at: the
// one their siblings require. When the requirements disagree (one was left at
// a placeholder, say), the highest wins and the others are reported, so that
// the go command then fails on the odd one out exactly as it would for a user.
func releaseVersion(r *repo) (string, error) {
	who := map[string][]string{}
	for _, m := range r.modules {
		for _, s := range m.siblings {
			who[s.Version] = append(who[s.Version], m.dir+" -> "+s.Path)
		}
	}
	if len(who) == 0 {
		return "", fmt.Errorf("no module requires a sibling: pass -version")
	}
	var versions []string
	for v := range who {
		if !semver.IsValid(v) {
			return "", fmt.Errorf("%s requires %s, which is not a semantic version", who[v][0], v)
		}
		versions = append(versions, v)
	}
	slices.SortFunc(versions, semver.Compare)
	top := versions[len(versions)-1]
	for _, v := range versions[:len(versions)-1] {
		fmt.Fprintf(os.Stderr, "modtool: publishing at %s, but these requirements name %s: %s\n",
			top, v, strings.Join(who[v], ", "))
	}
	return top, nil
}

// publish writes every library module, and the support modules they
// require, as the go command's module proxy protocol lays it out on disk:
// <path>/@v/list, <version>.info, .mod and .zip.
func publish(r *repo, out, version string) error {
	if version == "" {
		var err error
		if version, err = releaseVersion(r); err != nil {
			return err
		}
	}
	info, err := json.Marshal(struct{ Version, Time string }{version, time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	for _, m := range r.modules {
		if !m.published() {
			continue
		}
		escaped, err := module.EscapePath(m.path)
		if err != nil {
			return err
		}
		ev, err := module.EscapeVersion(version)
		if err != nil {
			return err
		}
		vdir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return err
		}
		src := filepath.Join(r.root, filepath.FromSlash(m.dir))
		gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
		if err != nil {
			return err
		}
		if err := writeZip(filepath.Join(vdir, ev+".zip"), module.Version{Path: m.path, Version: version}, src); err != nil {
			return fmt.Errorf("%s: %w", m.dir, err)
		}
		if err := os.WriteFile(filepath.Join(vdir, ev+".mod"), gomod, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(vdir, ev+".info"), info, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(vdir, "list"), []byte(version+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Printf("published %s@%s from %s\n", m.path, version, m.dir)
	}
	return nil
}

// writeZip makes the module zip the go command would download, with the same
// rules (no nested modules, no vendor folders, size limits) that the real
// proxy applies to a tag.
func writeZip(name string, v module.Version, dir string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := zip.CreateFromDir(f, v, dir); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

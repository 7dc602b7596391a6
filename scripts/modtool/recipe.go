package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// recipeMarker is the line of README.md that the pre-release recipe follows:
// the first ```sh block after it is the recipe.
const recipeMarker = "<!-- pre-release recipe -->"

// cloneURL is the repository the recipe clones; the install test points git
// at the local repository instead (its committed HEAD), so that the recipe's
// clone line runs unchanged.
const cloneURL = "https://github.com/vishnu-go/vishnu"

// recipeParts returns the parts of the install test that follow the
// README's pre-release recipe as a user would, before any release exists: in
// dir, beside the folder vishnu the recipe clones into, a gin + Redis app
// runs the recipe with sh -e and is built and vetted with GOWORK=off; a
// custom store runs it with its -require lines swapped for core and
// conformance, as the README says, and is vetted and tested. Our modules come
// only from the clones, through a module cache of the recipe's own: the
// module proxy of the other parts is not in reach.
func recipeParts(r *repo, dir string) ([]part, error) {
	recipe, err := readRecipe(r)
	if err != nil {
		return nil, err
	}
	env, err := userEnv(filepath.Join(dir, "modcache"), "")
	if err != nil {
		return nil, err
	}
	env = append(env,
		"GOFLAGS=", // as a user has it: go build must not need to mend go.mod
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=url."+r.root+".insteadOf",
		"GIT_CONFIG_VALUE_0="+cloneURL)
	storeRecipe, err := swapRequires(recipe, []string{ourPath("core"), ourPath("conformance")})
	if err != nil {
		return nil, err
	}
	return []part{
		{"recipe app", func(out io.Writer) error {
			fmt.Fprintln(out, "install-test: recipe: app (gin and Redis), the README's recipe as it stands")
			return runRecipe(out, filepath.Join(dir, "app"), "example.com/app", recipe, env, files("app"),
				[]string{"go", "build", "-trimpath", "-o", os.DevNull, "./..."},
				[]string{"go", "vet", "-trimpath", "./..."})
		}},
		{"recipe custom store", func(out io.Writer) error {
			fmt.Fprintln(out, "install-test: recipe: custom store, the recipe requiring core and conformance")
			return runRecipe(out, filepath.Join(dir, "mystore"), "example.com/mystore", storeRecipe, env, files("mystore"),
				[]string{"go", "vet", "-trimpath", "./..."},
				[]string{"go", "test", "-trimpath", "-count=1", "./..."})
		}},
	}, nil
}

// runRecipe makes the module modPath in parent/<its last element>, beside
// parent/vishnu where the recipe clones the repository, runs recipe in it
// with sh -e, then steps.
func runRecipe(out io.Writer, parent, modPath, recipe string, env []string, files map[string]string, steps ...[]string) error {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	script := filepath.Join(parent, "recipe.sh")
	if err := os.WriteFile(script, []byte(recipe), 0o644); err != nil {
		return err
	}
	return userModule(out, filepath.Join(parent, path.Base(modPath)), modPath, env, files,
		append([][]string{{"sh", "-e", script}}, steps...)...)
}

// readRecipe returns the README's pre-release recipe, checking that its
// module loop points every published module of go.work at the clone: a
// module the loop forgets fails users only once something they import
// requires it.
func readRecipe(r *repo) (string, error) {
	readme := filepath.Join(r.root, "README.md")
	data, err := os.ReadFile(readme)
	if err != nil {
		return "", err
	}
	recipe, err := recipeBlock(string(data))
	if err != nil {
		return "", fmt.Errorf("%s: %w", readme, err)
	}
	listed, err := loopModules(recipe)
	if err != nil {
		return "", fmt.Errorf("%s: the pre-release recipe: %w", readme, err)
	}
	var missing, extra []string
	for _, m := range r.modules {
		if m.published() && !slices.Contains(listed, m.dir) {
			missing = append(missing, m.dir)
		}
	}
	for _, l := range listed {
		if !slices.ContainsFunc(r.modules, func(m *mod) bool { return m.published() && m.dir == l }) {
			extra = append(extra, l)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		return "", fmt.Errorf("%s: the pre-release recipe's module loop must list the library and support modules of go.work exactly: missing %q, not such a module %q", readme, missing, extra)
	}
	return recipe, nil
}

// recipeBlock returns the first ```sh block after recipeMarker in readme.
func recipeBlock(readme string) (string, error) {
	_, after, found := strings.Cut(readme, "\n"+recipeMarker+"\n")
	if !found {
		return "", fmt.Errorf("no line %q: the install test follows the ```sh block after it", recipeMarker)
	}
	_, body, found := strings.Cut(after, "```sh\n")
	if !found {
		return "", fmt.Errorf("no ```sh block after %q", recipeMarker)
	}
	block, _, found := strings.Cut(body, "\n```")
	if !found {
		return "", fmt.Errorf("the ```sh block after %q does not end", recipeMarker)
	}
	return block + "\n", nil
}

// loopModules returns the folders of the recipe's loop "for m in ...; do",
// continuation lines joined.
func loopModules(recipe string) ([]string, error) {
	joined := strings.ReplaceAll(recipe, "\\\n", " ")
	for line := range strings.SplitSeq(joined, "\n") {
		words, ok := strings.CutPrefix(strings.TrimSpace(line), "for m in ")
		if !ok {
			continue
		}
		words, _, ok = strings.Cut(words, "; do")
		if !ok {
			return nil, fmt.Errorf("the loop %q has no \"; do\"", line)
		}
		return strings.Fields(words), nil
	}
	return nil, fmt.Errorf("no loop \"for m in <module folders>; do\"")
}

// swapRequires returns recipe with its "-require <path>@<version>" lines
// replaced by one for each of paths, at the version of the first, keeping
// the line continuations.
func swapRequires(recipe string, paths []string) (string, error) {
	lines := strings.Split(recipe, "\n")
	first, last := -1, -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "-require ") {
			if first < 0 {
				first = i
			} else if last != i-1 {
				return "", fmt.Errorf("the recipe's -require lines are not together")
			}
			last = i
		}
	}
	if first < 0 {
		return "", fmt.Errorf("the recipe has no -require line")
	}
	model := lines[first]
	indent := model[:len(model)-len(strings.TrimLeft(model, " \t"))]
	fields := strings.Fields(model)
	_, version, ok := strings.Cut(fields[1], "@")
	if !ok {
		return "", fmt.Errorf("the recipe's %q names no version", strings.TrimSpace(model))
	}
	endsContinued := strings.HasSuffix(lines[last], "\\")
	var swapped []string
	for i, p := range paths {
		l := indent + "-require " + p + "@" + version
		if i < len(paths)-1 || endsContinued {
			l += " \\"
		}
		swapped = append(swapped, l)
	}
	out := slices.Concat(lines[:first], swapped, lines[last+1:])
	return strings.Join(out, "\n"), nil
}

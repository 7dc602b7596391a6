package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeRepo lays out a workspace in a temporary folder: go.work uses the
// given folders, each with a go.mod requiring the listed siblings.
func writeRepo(t *testing.T, mods map[string][]string, version string) string {
	t.Helper()
	root := t.TempDir()
	var work strings.Builder
	work.WriteString("go 1.26.0\n\nuse (\n")
	for dir, reqs := range mods {
		work.WriteString("\t./" + dir + "\n")
		var gomod strings.Builder
		gomod.WriteString("module github.com/vishnu-go/vishnu/" + dir + "\n\ngo 1.26.0\n")
		for _, r := range reqs {
			gomod.WriteString("\nrequire github.com/vishnu-go/vishnu/" + r + " " + version + "\n")
		}
		d := filepath.Join(root, filepath.FromSlash(dir))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte(gomod.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "doc.go"), []byte("package x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	work.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte(work.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

var layout = map[string][]string{
	"examples":       {"adapters/gin", "stores/redis", "core"},
	"adapters/gin":   {"core", "conformance"},
	"stores/redis":   {"core", "conformance"},
	"conformance":    {"core"},
	"core":           nil,
	"bench":          {"core"},
	"stores/aaa":     {"stores/redis", "core"}, // a store built on another sorts after it
	"adapters/other": {"core"},
	"internal":       nil,
	"stores/pg":      {"core", "conformance", "internal"}, // requires support for its tests
}

func TestModulesInDependencyOrder(t *testing.T) {
	r, err := loadRepo(writeRepo(t, layout, "v0.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	pos := map[string]int{}
	for i, m := range r.modules {
		dirs = append(dirs, m.dir)
		pos[m.dir] = i
		if want := isLibrary(m.dir); m.library != want {
			t.Errorf("%s: library %v, want %v", m.dir, m.library, want)
		}
		if want := m.dir == "internal"; m.support != want {
			t.Errorf("%s: support %v, want %v", m.dir, m.support, want)
		}
	}
	for _, m := range r.modules {
		for _, s := range m.siblings {
			dep := strings.TrimPrefix(s.Path, "github.com/vishnu-go/vishnu/")
			if pos[dep] > pos[m.dir] {
				t.Errorf("order %v: %s comes before %s, which it requires", dirs, m.dir, dep)
			}
		}
	}
	if dirs[0] != "core" {
		t.Errorf("order %v: core is not first", dirs)
	}
	if last := dirs[len(dirs)-2:]; !slices.Contains(last, "bench") || !slices.Contains(last, "examples") {
		t.Errorf("order %v: bench and examples are not last", dirs)
	}
}

func TestCycleIsAnError(t *testing.T) {
	_, err := loadRepo(writeRepo(t, map[string][]string{"core": {"conformance"}, "conformance": {"core"}}, "v0.1.0"))
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("loadRepo of a cycle: %v, want an error naming the cycle", err)
	}
}

func TestReleaseVersionIsTheHighestRequired(t *testing.T) {
	root := writeRepo(t, layout, "v0.3.0")
	// One module left behind at the placeholder.
	gomod := filepath.Join(root, "stores", "redis", "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gomod, []byte(strings.ReplaceAll(string(data), "v0.3.0", "v0.0.0")), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := releaseVersion(r); err != nil || v != "v0.3.0" {
		t.Fatalf("releaseVersion = %q, %v; want v0.3.0", v, err)
	}
}

func TestPublishWritesAProxy(t *testing.T) {
	r, err := loadRepo(writeRepo(t, layout, "v0.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := publish(r, out, ""); err != nil {
		t.Fatal(err)
	}
	for _, m := range r.modules {
		vdir := filepath.Join(out, filepath.FromSlash(m.path), "@v")
		_, err := os.Stat(vdir)
		if !m.published() {
			if err == nil {
				t.Errorf("%s is neither a library nor support but was published", m.dir)
			}
			continue
		}
		list, err := os.ReadFile(filepath.Join(vdir, "list"))
		if err != nil || string(list) != "v0.1.0\n" {
			t.Errorf("%s: list %q, %v", m.dir, list, err)
		}
		z, err := zip.OpenReader(filepath.Join(vdir, "v0.1.0.zip"))
		if err != nil {
			t.Errorf("%s: %v", m.dir, err)
			continue
		}
		var names []string
		for _, f := range z.File {
			names = append(names, f.Name)
		}
		z.Close()
		prefix := m.path + "@v0.1.0/"
		if !slices.Contains(names, prefix+"go.mod") || !slices.Contains(names, prefix+"doc.go") {
			t.Errorf("%s: zip holds %v, want %sgo.mod and doc.go", m.dir, names, prefix)
		}
	}
}

func TestUnwantedNamesOtherAdaptersStoresAndFrameworks(t *testing.T) {
	r, err := loadRepo(writeRepo(t, map[string][]string{
		"core": nil, "adapters/gin": {"core"}, "adapters/echo": {"core"}, "adapters/echov5": {"core"},
		"stores/redis": {"core"}, "stores/memcache": {"core"}, "examples": {"core"},
	}, "v0.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	chosen := []string{"adapters/gin", "stores/redis"}
	graph := strings.Fields(`example.com/app
		github.com/gin-gonic/gin v1.0.0 github.com/redis/go-redis/v9 v9.0.0
		github.com/vishnu-go/vishnu/core v0.1.0 github.com/vishnu-go/vishnu/adapters/gin v0.1.0
		github.com/vishnu-go/vishnu/stores/redis v0.1.0 github.com/vishnu-go/vishnu/examples v0.1.0`)
	if bad := unwanted(r, chosen, graph); len(bad) != 0 {
		t.Fatalf("unwanted(%v) = %v, want none: only chosen modules and applications", graph, bad)
	}
	graph = append(graph, "github.com/labstack/echo/v4", "github.com/labstack/echo/v5", "github.com/vishnu-go/vishnu/stores/memcache", "github.com/bradfitz/gomemcache")
	want := []string{"github.com/labstack/echo/v4", "github.com/labstack/echo/v5", "github.com/vishnu-go/vishnu/stores/memcache", "github.com/bradfitz/gomemcache"}
	if bad := unwanted(r, chosen, graph); !slices.Equal(slices.Sorted(slices.Values(bad)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("unwanted = %v, want %v", bad, want)
	}
	// echo v5's app has echo v5, which is not echo v4's framework.
	graph = strings.Fields(`example.com/echov5 github.com/labstack/echo/v5 v5.4.6
		github.com/vishnu-go/vishnu/core v0.1.0 github.com/vishnu-go/vishnu/adapters/echov5 v0.1.0`)
	if bad := unwanted(r, []string{"adapters/echov5"}, graph); len(bad) != 0 {
		t.Fatalf("unwanted(%v) for an echo v5 app = %v, want none", graph, bad)
	}
}

func TestUserCodeIsEmbedded(t *testing.T) {
	for part, want := range map[string][]string{
		"app": {"main.go"}, "echov5": {"main.go"}, "postgres": {"main.go"}, "mystore": {"store.go", "store_test.go"},
	} {
		var got []string
		for name, text := range files(part) {
			if !strings.HasPrefix(text, "//") && !strings.HasPrefix(text, "package") {
				t.Errorf("%s/%s does not start as a Go file: %.40q", part, name, text)
			}
			got = append(got, name)
		}
		if slices.Sort(got); !slices.Equal(got, want) {
			t.Errorf("files(%q) = %v, want %v", part, got, want)
		}
	}
}

// readme is a README with a pre-release recipe whose loop lists mods.
func readme(mods string) string {
	return "# x\n\n```sh\ngo get x\n```\n\n" + recipeMarker + "\n```sh\n" +
		"git clone https://github.com/vishnu-go/vishnu ../vishnu\n" +
		"for m in " + mods + "; do\n" +
		"\tgo mod edit -replace \"github.com/vishnu-go/vishnu/$m=../vishnu/$m\"\n" +
		"done\n" +
		"go mod edit \\\n" +
		"\t-require github.com/vishnu-go/vishnu/adapters/gin@v0.1.0 \\\n" +
		"\t-require github.com/vishnu-go/vishnu/stores/redis@v0.1.0\n" +
		"go mod tidy\n```\n\nMore text.\n"
}

func TestReadRecipeChecksTheLoop(t *testing.T) {
	root := writeRepo(t, layout, "v0.1.0")
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(root, "README.md"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := "core conformance internal \\\n\tadapters/gin adapters/other stores/aaa stores/pg stores/redis"
	write(readme(all))
	recipe, err := readRecipe(r)
	if err != nil {
		t.Fatalf("readRecipe of a complete loop: %v", err)
	}
	if !strings.HasPrefix(recipe, "git clone ") || !strings.HasSuffix(recipe, "go mod tidy\n") {
		t.Errorf("readRecipe = %q, want the sh block after the marker", recipe)
	}
	write(readme(strings.Replace(all, "stores/pg ", "", 1)))
	if _, err := readRecipe(r); err == nil || !strings.Contains(err.Error(), `missing ["stores/pg"]`) {
		t.Errorf("readRecipe of a loop without stores/pg: %v, want an error naming it", err)
	}
	write(readme(all + " stores/gone"))
	if _, err := readRecipe(r); err == nil || !strings.Contains(err.Error(), `"stores/gone"`) {
		t.Errorf("readRecipe of a loop with stores/gone: %v, want an error naming it", err)
	}
	write(strings.Replace(readme(all), recipeMarker, "<!-- recipe -->", 1))
	if _, err := readRecipe(r); err == nil || !strings.Contains(err.Error(), recipeMarker) {
		t.Errorf("readRecipe without the marker: %v, want an error naming the marker", err)
	}
}

func TestSwapRequires(t *testing.T) {
	recipe, err := recipeBlock(readme("core"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := swapRequires(recipe, []string{ourPath("core"), ourPath("conformance")})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(recipe, "adapters/gin", "core", 1)
	want = strings.Replace(want, "stores/redis", "conformance", 1)
	if got != want {
		t.Fatalf("swapRequires =\n%s\nwant\n%s", got, want)
	}
}

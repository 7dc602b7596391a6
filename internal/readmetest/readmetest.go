// Package readmetest keeps a module's README honest: the Go code a README
// shows must be code that the module's tests compile, so that a snippet
// cannot drift from the API it documents. It is test support for the
// modules of this repository; Go's internal rule keeps it out of users'
// reach.
package readmetest

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var (
	exampleFunc = regexp.MustCompile(`(?s)\nfunc Example\(\) \{\n(.*?)\n\}\n`)
	goBlock     = regexp.MustCompile("(?s)```go\n(.*?)```")
)

// Check fails t unless the README.md of the test's working directory (the
// package being tested) shows only code that its example_test.go compiles:
// every Go block of README.md, less a leading import block, is a part of
// Example's body (one tab less indented), and every import it shows is one
// example_test.go makes.
func Check(t testing.TB) {
	t.Helper()
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	m := exampleFunc.FindStringSubmatch(string(src))
	if m == nil {
		t.Fatal("example_test.go has no Example function")
	}
	body := strings.ReplaceAll("\n"+m[1], "\n\t", "\n")[1:] + "\n"
	blocks := goBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go code")
	}
	for _, b := range blocks {
		code := b[1]
		if imports, rest, ok := strings.Cut(code, ")\n\n"); ok && strings.HasPrefix(code, "import (") {
			for _, imp := range strings.Split(strings.TrimPrefix(imports, "import (\n"), "\n") {
				if imp = strings.TrimSpace(imp); imp != "" && !strings.Contains(string(src), "\t"+imp+"\n") {
					t.Errorf("README.md imports %s, example_test.go does not", imp)
				}
			}
			code = rest
		}
		if !strings.Contains(body, code) {
			t.Errorf("this Go block of README.md is not in Example's body, so nothing compiles it:\n%s", code)
		}
	}
}

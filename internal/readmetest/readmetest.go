// Package readmetest keeps a module's README honest: the Go code a README
// shows must be code that the module's tests compile, so that a snippet
// cannot drift from the API it documents. It is test support for the
// modules of this repository; Go's internal rule keeps it out of users'
// reach.
package readmetest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	exampleFunc = regexp.MustCompile(`(?s)\nfunc Example\(\) \{\n(.*?)\n\}\n`)
	goBlock     = regexp.MustCompile("(?m)^( *)```go\n((?s:.*?))^ *```")
)

// Check fails t unless the README.md of the test's working directory (the
// package being tested) shows only code that the package's Go files
// compile. Every Go block of README.md, less a leading import block, must
// be a part of Example's body in example_test.go (one tab less indented),
// or else a part of one of the directory's Go files, indentation aside;
// every import a block shows must be one example_test.go makes. A block
// nested in a Markdown list is read without the list's indentation.
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
	var files []string // the directory's Go files without indentation, read once needed
	for _, b := range blocks {
		code := outdent(b[2], len(b[1]))
		if imports, rest, ok := strings.Cut(code, ")\n\n"); ok && strings.HasPrefix(code, "import (") {
			for _, imp := range strings.Split(strings.TrimPrefix(imports, "import (\n"), "\n") {
				if imp = strings.TrimSpace(imp); imp != "" && !strings.Contains(string(src), "\t"+imp+"\n") {
					t.Errorf("README.md imports %s, example_test.go does not", imp)
				}
			}
			code = rest
		}
		if strings.Contains(body, code) {
			continue
		}
		if files == nil {
			files = goFiles(t)
		}
		if !containsAny(files, untab(code)) {
			t.Errorf("this Go block of README.md is in no Go file of the package, so nothing compiles it:\n%s", code)
		}
	}
}

// goFiles returns the text of every Go file of the working directory, each
// line without its leading tabs.
func goFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := make([]string, 0, len(names))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, untab(string(b)))
	}
	return files
}

func containsAny(files []string, code string) bool {
	for _, f := range files {
		if strings.Contains(f, code) {
			return true
		}
	}
	return false
}

// outdent removes n leading spaces from every line of s that has them.
func outdent(s string, n int) string {
	if n == 0 {
		return s
	}
	var out strings.Builder
	pad := strings.Repeat(" ", n)
	for line := range strings.Lines(s) {
		out.WriteString(strings.TrimPrefix(line, pad))
	}
	return out.String()
}

// untab removes the leading tabs of every line of s.
func untab(s string) string {
	var out strings.Builder
	for line := range strings.Lines(s) {
		out.WriteString(strings.TrimLeft(line, "\t"))
	}
	return out.String()
}

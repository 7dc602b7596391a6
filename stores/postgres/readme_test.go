package pgstore_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMESnippetIsTheExample keeps the README's Go code the code that
// this module compiles: every Go block of README.md, less a leading import
// block, is a part of Example's body (one tab less indented), and every
// import it shows is one example_test.go makes.
func TestREADMESnippetIsTheExample(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\nfunc Example\(\) \{\n(.*?)\n\}\n`).FindStringSubmatch(string(src))
	if m == nil {
		t.Fatal("example_test.go has no Example function")
	}
	body := strings.ReplaceAll("\n"+m[1], "\n\t", "\n")[1:] + "\n"
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
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

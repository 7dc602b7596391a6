package vishnuechov5_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMESnippet keeps the README's Go code the code that this module
// compiles: every Go block of README.md is a part of example_test.go (as it
// is, or indented less), and one is the whole body of Example, one tab less
// indented.
func TestREADMESnippet(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := exampleBody(t, string(src), "Example")
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go code")
	}
	whole := false
	for _, b := range blocks {
		if b[1] == body {
			whole = true
		}
		if !strings.Contains(string(src), b[1]) && !strings.Contains(body, b[1]) &&
			!strings.Contains(untab(string(src)), untab(b[1])) {
			t.Errorf("this Go block of README.md is not in example_test.go, so nothing compiles it:\n%s", b[1])
		}
	}
	if !whole {
		t.Errorf("README.md has no Go block that is the whole body of Example:\n%s", body)
	}
}

// exampleBody returns the body of func name in src, one tab less indented.
func exampleBody(t *testing.T, src, name string) string {
	start := strings.Index(src, "\nfunc "+name+"() {\n")
	if start < 0 {
		t.Fatalf("example_test.go has no func %s", name)
	}
	rest := src[start+len("\nfunc "+name+"() {\n"):]
	end := strings.Index(rest, "\n}\n")
	if end < 0 {
		t.Fatalf("func %s does not end", name)
	}
	var out strings.Builder
	for line := range strings.Lines(rest[:end+1]) {
		out.WriteString(strings.TrimPrefix(line, "\t"))
	}
	return out.String()
}

// untab removes the indentation of every line of s.
func untab(s string) string {
	var out strings.Builder
	for line := range strings.Lines(s) {
		out.WriteString(strings.TrimLeft(line, "\t"))
	}
	return out.String()
}

package vishnugin_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMESnippetIsTheExample keeps the README's main snippet the same
// as Example's body, which the tests compile.
func TestREADMESnippetIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)\nfunc Example\(\) \{\n(.*?)\n\}\n`).FindSubmatch(src)
	if body == nil {
		t.Fatal("example_test.go has no Example function")
	}
	want := strings.ReplaceAll("\n"+string(body[1]), "\n\t", "\n")[1:] + "\n"
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go code")
	}
	// The first block is the imports, a blank line, then Example's body.
	first := string(blocks[0][1])
	_, code, ok := strings.Cut(first, ")\n\n")
	if !ok || code != want {
		t.Errorf("the README's first Go block is not Example's body; README has:\n%s\nexample_test.go has:\n%s", code, want)
	}
	// The imports it shows are those the snippet needs.
	for _, imp := range []string{`"github.com/gin-gonic/gin"`, `vishnugin "github.com/vishnu-go/vishnu/adapters/gin"`, `vishnu "github.com/vishnu-go/vishnu/core"`} {
		if !strings.Contains(first, imp) || !strings.Contains(string(src), imp) {
			t.Errorf("the README's snippet and example_test.go should both import %s", imp)
		}
	}
}

// TestREADMEErrorHandlerIsTested keeps the README's ErrorHandler snippet
// the one failure_test.go runs.
func TestREADMEErrorHandlerIsTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("failure_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), `c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})`) ||
		!strings.Contains(string(src), `c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})`) {
		t.Error("the README's ErrorHandler snippet is not the one failure_test.go runs")
	}
}

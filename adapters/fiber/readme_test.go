package vishnufiber_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMECodeIsCompiled checks that every Go block of the README is the
// text of a file of this module, or a part of one (the snippet is the body
// of Example), so that what the README shows is what the tests compile
// and run.
func TestREADMECodeIsCompiled(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		b, err := os.ReadFile(path)
		sources = append(sources, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go code")
	}
	for _, b := range blocks {
		found := false
		for _, src := range sources {
			// The README's blocks are unindented; Example's body is not.
			if strings.Contains(src, b[1]) || strings.Contains(src, indent(b[1])) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("this Go block of README.md is not in any file of the module, so nothing compiles it:\n%s", b[1])
		}
	}
}

// indent prefixes every non-empty line of s with a tab.
func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "\t" + l
		}
	}
	return strings.Join(lines, "\n")
}

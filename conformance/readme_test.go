package conformance

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// suiteCase is a subtest of one of the suites, with the rule it checks.
type suiteCase struct{ name, rule string }

// storeSuiteCases lists the subtests of TestStore, as Group/Case.
func storeSuiteCases() []suiteCase {
	var out []suiteCase
	for _, g := range storeGroups() {
		switch g.name {
		case "Declared":
			for _, c := range declaredCases() {
				out = append(out, suiteCase{"Declared/" + c.name, c.rule})
			}
		case "Expiry":
			for _, c := range expiryChecks() {
				out = append(out, suiteCase{"Expiry/" + c.name, c.rule})
			}
		case "Unavailable":
			for _, c := range unavailableCalls() {
				out = append(out, suiteCase{"Unavailable/" + c.name, unavailableRule})
			}
		case "Unresponsive":
			for _, c := range unavailableCalls() {
				out = append(out, suiteCase{"Unresponsive/" + c.name, unresponsiveRule})
			}
		case "UserIndex":
			for _, c := range userCases() {
				out = append(out, suiteCase{"UserIndex/" + c.name, c.rule})
			}
		case "Instances":
			for _, c := range instanceCases() {
				out = append(out, suiteCase{"Instances/" + c.name, c.rule})
			}
		default:
			for _, c := range g.cases {
				out = append(out, suiteCase{g.name + "/" + c.name, c.rule})
			}
		}
	}
	return out
}

func adapterSuiteCases() []suiteCase {
	var out []suiteCase
	for _, g := range adapterGroups() {
		for _, c := range g.cases {
			out = append(out, suiteCase{g.name + "/" + c.name, c.rule})
		}
	}
	return out
}

func readme(t *testing.T) string {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestREADMEListsEveryCase keeps the README's tables of cases complete.
func TestREADMEListsEveryCase(t *testing.T) {
	doc := readme(t)
	for _, c := range append(storeSuiteCases(), adapterSuiteCases()...) {
		if !strings.Contains(doc, "`"+c.name+"`") {
			t.Errorf("README.md does not list the case `%s` (%s)", c.name, c.rule)
		}
	}
}

// TestREADMECodeIsCompiled checks that every Go block of the README is the
// text of a file of this module, or a part of one, so that what the README
// shows is what the tests compile and run.
func TestREADMECodeIsCompiled(t *testing.T) {
	var sources []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
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
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(readme(t), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go code")
	}
	for _, b := range blocks {
		found := false
		for _, src := range sources {
			if strings.Contains(src, b[1]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("this Go block of README.md is not in any file of the module, so nothing compiles it:\n%s", b[1])
		}
	}
}

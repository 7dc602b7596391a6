package vishnuchi_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMECodeIsCompiled keeps every Go block of the README the text of
// a file of this module (or a part of one), so that the README shows code
// that the tests compile and run.
func TestREADMECodeIsCompiled(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(b))
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go code")
	}
	for _, blk := range blocks {
		found := false
		for _, src := range sources {
			found = found || strings.Contains(src, blk[1])
		}
		if !found {
			t.Errorf("this Go block of README.md is in no file of the module, so nothing compiles it:\n%s", blk[1])
		}
	}
}

// TestExampleRouter drives the README's app over loopback as a browser
// would: turned away to log in, logged in, let in, logged out.
func TestExampleRouter(t *testing.T) {
	m := newManager(t, nil, "", nil)
	h, err := newRouter(m)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, serve(t, h))
	post := func(path string, form url.Values) reply {
		t.Helper()
		resp, err := b.c.PostForm(b.base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return reply{status: resp.StatusCode, header: resp.Header}
	}
	if r := b.get("/account"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Faccount" {
		t.Fatalf("anonymous /account: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	if r := post("/login", url.Values{"user": {"ann"}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
		t.Fatalf("login: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	b.expect("/account", http.StatusOK, "hello ann")
	if r := post("/logout", nil); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("logout: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	if r := b.get("/account"); r.status != http.StatusSeeOther {
		t.Fatalf("/account after logout: status %d", r.status)
	}
}

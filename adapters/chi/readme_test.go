package vishnuchi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/vishnu-go/vishnu/internal/readmetest"
)

// TestREADMECodeIsCompiled keeps the README's Go code the code that this
// module compiles (see readmetest.Check).
func TestREADMECodeIsCompiled(t *testing.T) {
	readmetest.Check(t)
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

package vishnugin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

// TestReadSessionNotSharedCacheable: a page whose handler only read the
// session is personal: Vary: Cookie and a Cache-Control no shared cache may
// store, without a Set-Cookie; a page that never touched its session gets
// neither.
func TestReadSessionNotSharedCacheable(t *testing.T) {
	m := newManager(t, nil)
	e := gin.New()
	e.Use(vishnugin.Middleware(m))
	e.GET("/set", func(c *gin.Context) { _ = vishnugin.Session(c).Set("k", "v"); c.String(http.StatusOK, "set") })
	e.GET("/read", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=60")
		v, _ := vishnu.Get[string](vishnugin.Session(c), "k")
		c.String(http.StatusOK, v)
	})
	e.GET("/plain", func(c *gin.Context) { c.String(http.StatusOK, "plain") })
	url := serve(t, e)
	c := newClient(t)
	check := func(path, cacheControl, vary string) {
		t.Helper()
		r := get(t, c, url+path)
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a Set-Cookie on a read", path)
		}
		if got := r.header.Get("Cache-Control"); got != cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", path, got, cacheControl)
		}
		if got := strings.Join(r.header.Values("Vary"), ", "); got != vary {
			t.Errorf("%s: Vary %q, want %q", path, got, vary)
		}
	}
	check("/read", "private, max-age=60", "Cookie")
	if r := get(t, c, url+"/set"); r.sessionCookie(m.CookieName()) == "" {
		t.Fatal("no session cookie")
	}
	check("/read", "private, max-age=60", "Cookie")
	check("/plain", "", "")
}

package vishnugin_test

import (
	"bufio"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

// ginPaths are the ways a gin handler sends its response. Each handler
// first changes a new session (AutoSave is on): the response must carry the
// session cookie, and the next request must see the change.
func ginPaths(t *testing.T) map[string]gin.HandlerFunc {
	file := filepath.Join(t.TempDir(), "file.txt")
	if err := os.WriteFile(file, []byte("file body"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]gin.HandlerFunc{
		"String":              func(c *gin.Context) { c.String(http.StatusOK, "hello") },
		"JSON":                func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"ok": true}) },
		"HTML":                func(c *gin.Context) { c.HTML(http.StatusOK, "page", "there") },
		"Data":                func(c *gin.Context) { c.Data(http.StatusOK, "text/plain", []byte("data")) },
		"Render204":           func(c *gin.Context) { c.JSON(http.StatusNoContent, nil) },
		"Status":              func(c *gin.Context) { c.Status(http.StatusCreated) },
		"Nothing":             func(c *gin.Context) {},
		"AbortWithStatus":     func(c *gin.Context) { c.AbortWithStatus(http.StatusUnauthorized) },
		"AbortWithStatusJSON": func(c *gin.Context) { c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"no": 1}) },
		"Redirect":            func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/elsewhere") },
		"Stream": func(c *gin.Context) {
			i := 0
			c.Stream(func(w io.Writer) bool {
				fmt.Fprintf(w, "chunk %d\n", i)
				i++
				return i < 3
			})
		},
		"SSEvent": func(c *gin.Context) {
			c.SSEvent("message", "one")
			c.Writer.Flush()
			c.SSEvent("message", "two")
		},
		"FlushFirst": func(c *gin.Context) {
			c.Writer.Flush()
			_, _ = c.Writer.WriteString("after the flush")
		},
		"File":           func(c *gin.Context) { c.File(file) },
		"DataFromReader": func(c *gin.Context) { c.DataFromReader(http.StatusOK, 4, "text/plain", strings.NewReader("read"), nil) },
		"WriteHeaderNow": func(c *gin.Context) { c.Writer.WriteHeader(http.StatusAccepted); c.Writer.WriteHeaderNow() },
		"ResponseController": func(c *gin.Context) {
			// What net/http code given c.Writer does to stream.
			_ = http.NewResponseController(c.Writer).Flush()
		},
		// An error left for gin's error-rendering middleware, inside and
		// outside the session middleware (see pathsEngine).
		"ErrorInside":  func(c *gin.Context) { _ = c.Error(errors.New("handler failed")).SetMeta("inside") },
		"ErrorOutside": func(c *gin.Context) { _ = c.Error(errors.New("handler failed")).SetMeta("outside") },
	}
}

// renderErrors renders the errors left in c.Errors whose meta is where, as
// gin applications do in a middleware after c.Next.
func renderErrors(where string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) > 0 && c.Errors.Last().Meta == where && !c.Writer.Written() {
			c.JSON(http.StatusBadRequest, gin.H{"error": c.Errors.Last().Error()})
		}
	}
}

func pathsEngine(t *testing.T, m *vishnu.Manager) *gin.Engine {
	e := gin.New()
	e.SetHTMLTemplate(template.Must(template.New("page").Parse("hello {{.}}")))
	e.Use(renderErrors("outside"), vishnugin.Middleware(m), renderErrors("inside"))
	e.GET("/get", func(c *gin.Context) {
		v, _ := vishnu.Get[string](vishnugin.Session(c), "path")
		c.String(http.StatusOK, v)
	})
	for name, h := range ginPaths(t) {
		e.GET("/"+name, func(c *gin.Context) {
			if err := vishnugin.Session(c).Set("path", name); err != nil {
				t.Errorf("%s: Set: %v", name, err)
			}
			h(c)
		})
	}
	return e
}

func TestGinPathsCommitBeforeTheHeaders(t *testing.T) {
	m := newManager(t, nil)
	url := serve(t, pathsEngine(t, m))
	want := map[string]int{
		"Render204": http.StatusNoContent, "Status": http.StatusCreated, "AbortWithStatus": http.StatusUnauthorized,
		"AbortWithStatusJSON": http.StatusForbidden, "Redirect": http.StatusSeeOther, "WriteHeaderNow": http.StatusAccepted,
		"ErrorInside": http.StatusBadRequest, "ErrorOutside": http.StatusBadRequest,
	}
	for name := range ginPaths(t) {
		t.Run(name, func(t *testing.T) {
			c := newClient(t)
			r := get(t, c, url+"/"+name)
			status := http.StatusOK
			if s, ok := want[name]; ok {
				status = s
			}
			if r.status != status {
				t.Errorf("status %d, want %d (body %q)", r.status, status, r.body)
			}
			if r.sessionCookie(m.CookieName()) == "" {
				t.Fatalf("the response carries no session cookie (headers %v)", r.header)
			}
			if r.header.Get("Vary") == "" || r.header.Get("Cache-Control") == "" {
				t.Errorf("a response with a session cookie has no Vary or Cache-Control: %v", r.header)
			}
			if got := get(t, c, url+"/get"); got.body != name {
				t.Errorf("the next request sees %q in the session, want %q", got.body, name)
			}
		})
	}
}

// TestHijack upgrades the connection as websocket libraries do: with gin,
// by writing the 101 through the writer (WriteHeader, WriteHeaderNow) and
// then hijacking; or by hijacking first and writing the 101 by hand from
// c.Writer.Header(). The 101 must carry the session cookie either way, and
// the connection must then be the handler's.
func TestHijack(t *testing.T) {
	m := newManager(t, nil)
	e := gin.New()
	e.Use(vishnugin.Middleware(m))
	upgrade := func(c *gin.Context, throughGin bool) {
		if err := vishnugin.Session(c).Set("path", "ws"); err != nil {
			t.Error(err)
		}
		h := c.Writer.Header()
		h.Set("Upgrade", "echo")
		h.Set("Connection", "Upgrade")
		if throughGin {
			c.Writer.WriteHeader(http.StatusSwitchingProtocols)
			c.Writer.WriteHeaderNow()
		}
		conn, brw, err := c.Writer.Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		if !throughGin {
			fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\n")
			_ = h.Write(brw)
			fmt.Fprintf(brw, "\r\n")
			_ = brw.Flush()
		}
		line, _ := brw.ReadString('\n')
		fmt.Fprintf(brw, "echo: %s", line)
		_ = brw.Flush()
	}
	e.GET("/gin", func(c *gin.Context) { upgrade(c, true) })
	e.GET("/raw", func(c *gin.Context) { upgrade(c, false) })
	e.GET("/get", func(c *gin.Context) {
		v, _ := vishnu.Get[string](vishnugin.Session(c), "path")
		c.String(http.StatusOK, v)
	})
	url := serve(t, e)
	for _, path := range []string{"/gin", "/raw"} {
		t.Run(path, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n", path)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %d, want 101", resp.StatusCode)
			}
			var cookie *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == m.CookieName() {
					cookie = ck
				}
			}
			if cookie == nil {
				t.Fatalf("the 101 carries no session cookie: %v", resp.Header)
			}
			fmt.Fprintf(conn, "ping\n")
			if line, _ := br.ReadString('\n'); line != "echo: ping\n" {
				t.Errorf("after the upgrade the connection answers %q, want %q", line, "echo: ping\n")
			}
			req, _ := http.NewRequest(http.MethodGet, url+"/get", nil)
			req.AddCookie(cookie)
			resp2, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp2.Body)
			resp2.Body.Close()
			if string(b) != "ws" {
				t.Errorf("the next request sees %q in the session, want %q", b, "ws")
			}
		})
	}
}

// TestChangeAfterHeadersIsAnError: once the response started, a change
// that needs a cookie (the first save of a new session, a regeneration)
// fails with ErrHeadersWritten from the call that made it, and a change
// that needs none (to a stored session) is still committed.
func TestChangeAfterHeadersIsAnError(t *testing.T) {
	m := newManager(t, nil)
	errs := make(chan error, 4)
	e := gin.New()
	e.Use(vishnugin.Middleware(m))
	e.GET("/late-new", func(c *gin.Context) {
		c.String(http.StatusOK, "sent")
		s := vishnugin.Session(c)
		if err := s.Set("k", "v"); err != nil {
			errs <- err
			return
		}
		errs <- s.Save()
	})
	e.GET("/seed", func(c *gin.Context) { _ = vishnugin.Session(c).Set("k", "seed") })
	e.GET("/late-stored", func(c *gin.Context) {
		c.String(http.StatusOK, "sent")
		errs <- vishnugin.Session(c).Set("k", "late")
	})
	e.GET("/late-regenerate", func(c *gin.Context) {
		c.String(http.StatusOK, "sent")
		errs <- vishnugin.Session(c).Regenerate()
	})
	e.GET("/get", func(c *gin.Context) {
		v, _ := vishnu.Get[string](vishnugin.Session(c), "k")
		c.String(http.StatusOK, v)
	})
	url := serve(t, e)

	c := newClient(t)
	r := get(t, c, url+"/late-new")
	if err := <-errs; !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Errorf("saving a new session after the response started: got %v, want ErrHeadersWritten", err)
	}
	if r.sessionCookie(m.CookieName()) != "" {
		t.Errorf("a cookie went out for a session saved after the headers: %v", r.header)
	}

	get(t, c, url+"/seed")
	get(t, c, url+"/late-stored")
	if err := <-errs; err != nil {
		t.Errorf("changing a stored session after the response started: %v", err)
	}
	if got := get(t, c, url+"/get").body; got != "late" {
		t.Errorf("a late change to a stored session was not kept: got %q", got)
	}
	get(t, c, url+"/late-regenerate")
	if err := <-errs; !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Errorf("regenerating after the response started: got %v, want ErrHeadersWritten", err)
	}
	if got := get(t, c, url+"/get").body; got != "late" {
		t.Errorf("after a refused late Regenerate the session holds %q, want %q", got, "late")
	}
}

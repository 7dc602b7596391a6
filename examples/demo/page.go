package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

//go:embed page.html
var pageHTML string

// pageTmpl is parsed once; Must is safe here because the template is part of
// the binary, and a test renders it.
var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// pageData is what the page shows of the visitor's session.
type pageData struct {
	Visits     int
	User       string // empty when logged out
	IsNew      bool
	Timeout    string
	Flash      string
	MaxNameLen int
}

// render writes the page, rendered first into a buffer so that a template
// error becomes a clean 500 rather than half a page.
func (a *app) render(w http.ResponseWriter, d pageData) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		a.log.Error("render page", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page is one visitor's; no cache may keep it, and Back must not
	// show a flash again.
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// describeTimeout says how long a session lives unused, in words.
func describeTimeout(d time.Duration) string {
	if d == vishnu.UntilBrowserCloses {
		return "until the browser closes"
	}
	for _, u := range []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if d%u.size == 0 {
			n := int(d / u.size)
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return d.String()
}

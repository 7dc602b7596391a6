package main

import (
	"net/http"

	"github.com/vishnu-go/vishnu/examples/pages"
)

// render writes the page.
func (a *app) render(w http.ResponseWriter, d pages.Data) {
	body, err := pages.Render(d)
	if err != nil {
		a.log.Error("render page", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page is one visitor's; no cache may keep it, and Back must not
	// show a flash again.
	h.Set("Cache-Control", "no-store")
	w.Write(body)
}

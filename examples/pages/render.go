package pages

import (
	"log/slog"
	"net/http"
)

// WriteHTML writes the page to a net/http response, rendered whole so that
// a template error is a clean 500 rather than half a page.
func WriteHTML(w http.ResponseWriter, d Data, log *slog.Logger) {
	body, err := Render(d)
	if err != nil {
		log.Error("render page", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page is one visitor's: no cache may keep it, and Back must not
	// show a flash again.
	h.Set("Cache-Control", "no-store")
	w.Write(body)
}

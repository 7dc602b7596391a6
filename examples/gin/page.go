package main

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// render writes the page.
func (a *app) render(c *gin.Context, d pages.Data) {
	body, err := pages.Render(d)
	if err != nil {
		a.log.Error("render page", "err", err)
		c.String(http.StatusInternalServerError, "Internal Server Error")
		return
	}
	// The page is one visitor's; no cache may keep it, and Back must not
	// show a flash again.
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/html; charset=utf-8", body)
}

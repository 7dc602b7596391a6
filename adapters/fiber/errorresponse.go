package vishnufiber

import (
	"bufio"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// fail replaces the handler's response with the error response for err: the
// handler's status, headers and body go (a body stream is closed, so that
// the stream writer's writes fail instead of half a response going out),
// the headers set before the middleware ran stay, and the session's pending
// Set-Cookie and Vary lines and Cache-Control: no-store are set. Then
// Options.ErrorHandler answers, or the configured vishnu.ErrorResponse is
// sent.
func (r *request) fail(c *fiber.Ctx, err error) error {
	resp := &r.ctx.Response
	resp.ResetBody()
	r.restoreHeader()
	er := r.mw.a.ErrorResponse(r.s, err)
	h := &resp.Header
	sessionOnly := r.mw.opts.ErrorHandler != nil
	er.EachHeader(sessionOnly, func(key string, values []string, add bool) {
		if !add {
			h.Del(key)
		}
		for _, v := range values {
			h.Add(key, v)
		}
	})
	if sessionOnly {
		return r.mw.opts.ErrorHandler(c, err)
	}
	resp.SetStatusCode(er.Status)
	resp.SetBody(er.Body)
	return nil
}

// restoreHeader puts back the response header as it was when the
// middleware started.
func (r *request) restoreHeader() {
	h := &r.ctx.Response.Header
	if r.outer != nil {
		r.outer.CopyTo(h)
		return
	}
	// Nothing was set before the middleware: the header goes back to empty,
	// with the settings fasthttp's server gave the response from fiber's
	// configuration (DisableDefaultDate, DisableDefaultContentType,
	// DisableHeaderNormalizing). Reset would clear them too, and
	// DisableDefaultDate has no setter to put it back; a read that finds no
	// input empties the header and keeps them (fasthttp resets a header it
	// could not read, settings aside).
	_ = h.Read(bufio.NewReaderSize(strings.NewReader(""), 16))
}

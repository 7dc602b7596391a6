package vishnufiber

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
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
	r.restoreHeader(c)
	er := r.mw.m.ErrorResponse(r.s, err)
	h := &resp.Header
	if r.mw.opts.ErrorHandler != nil {
		addValues(h, "Set-Cookie", er.Header["Set-Cookie"])
		addValues(h, "Vary", er.Header["Vary"])
		h.Set(fasthttp.HeaderCacheControl, "no-store")
		return r.mw.opts.ErrorHandler(c, err)
	}
	send(h, er.Header)
	resp.SetStatusCode(er.Status)
	resp.SetBody(er.Body)
	return nil
}

// restoreHeader puts back the response header as it was when the
// middleware started.
func (r *request) restoreHeader(c *fiber.Ctx) {
	h := &r.ctx.Response.Header
	if r.outer != nil {
		r.outer.CopyTo(h)
		return
	}
	// Reset also clears the settings that fasthttp's server applies to each
	// response from fiber's configuration.
	h.Reset()
	cfg := c.App().Config()
	if cfg.DisableHeaderNormalizing {
		h.DisableNormalizing()
	}
	h.SetNoDefaultContentType(cfg.DisableDefaultContentType)
}

// send sets the error response's headers on h: its Set-Cookie and Vary
// lines are added to those already set, its other headers replace theirs.
func send(h *fasthttp.ResponseHeader, header http.Header) {
	for k, values := range header {
		switch http.CanonicalHeaderKey(k) {
		case "Set-Cookie", "Vary":
		default:
			h.Del(k)
		}
		addValues(h, k, values)
	}
}

func addValues(h *fasthttp.ResponseHeader, key string, values []string) {
	for _, v := range values {
		h.Add(key, v)
	}
}

package vishnugin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

// serveWith returns the conformance ServeFunc of a gin engine whose
// middleware is around, then the session middleware, then inside, in front
// of a catch-all route that hands every request to the suite's handler.
func serveWith(around, inside []gin.HandlerFunc) conformance.ServeFunc {
	return func(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
		e := gin.New()
		e.Use(around...)
		e.Use(vishnugin.Middleware(m))
		e.Use(inside...)
		e.Any("/*path", func(c *gin.Context) {
			send(c, h(vishnugin.Session(c), conformance.NewRequest(c.Request)))
		})
		return serve(t, e)
	}
}

// send writes the suite's response as gin handlers do: nothing at all for
// a nil one, c.AbortWithError for a failure, c.Status for a status alone,
// c.Data for a whole body, c.Stream for the chunks of a streamed one (after
// its head, written and flushed).
func send(c *gin.Context, resp *conformance.Response) {
	if resp == nil {
		return
	}
	if resp.ErrorStatus != 0 {
		_ = c.AbortWithError(resp.ErrorStatus, errors.New("the handler failed"))
		return
	}
	for k, v := range resp.Header {
		c.Writer.Header()[k] = v
	}
	if resp.FlushFirst {
		c.Writer.Flush()
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case resp.Chunks != nil:
		c.Status(status)
		_, _ = c.Writer.Write(resp.Body)
		c.Writer.Flush()
		c.Stream(func(w io.Writer) bool {
			chunk, ok := <-resp.Chunks
			if ok {
				_, _ = w.Write(chunk)
			}
			return ok
		})
	case len(resp.Body) == 0:
		c.Status(status)
	default:
		ct := c.Writer.Header().Get("Content-Type")
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		c.Data(status, ct, resp.Body) // which sets Content-Length
	}
}

// commonMiddleware is what gin applications usually run: recovery, the
// request log, compression and a request deadline.
func commonMiddleware() []gin.HandlerFunc {
	return []gin.HandlerFunc{gin.Recovery(), gin.LoggerWithWriter(io.Discard), gzipMiddleware, deadlineMiddleware}
}

// deadlineMiddleware bounds the request as gin applications usually do: a
// request context with a deadline, in a new c.Request.
func deadlineMiddleware(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Minute)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

func TestConformance(t *testing.T) {
	conformance.TestAdapter(t, serveWith(nil, nil), conformance.AdapterOptions{})
}

func TestConformanceCommonMiddlewareAround(t *testing.T) {
	conformance.TestAdapter(t, serveWith(commonMiddleware(), nil), conformance.AdapterOptions{})
}

func TestConformanceCommonMiddlewareInside(t *testing.T) {
	conformance.TestAdapter(t, serveWith(nil, commonMiddleware()), conformance.AdapterOptions{})
}

func TestConformanceCookieStore(t *testing.T) {
	conformance.TestAdapter(t, serveWith(nil, nil), conformance.AdapterOptions{
		NewStore: func(*testing.T) vishnu.Store { return vishnu.NewCookieStore() },
	})
}

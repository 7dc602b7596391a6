package vishnufiber

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestCopyHeadAllocatesOnce: the copy of the request's lines is sized up
// front, so taking it costs one allocation whatever the headers, and it
// holds every header line but the cookies.
func TestCopyHeadAllocatesOnce(t *testing.T) {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/account?tab=devices")
	ctx.Request.Header.SetMethod(fasthttp.MethodPost)
	ctx.Request.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0")
	ctx.Request.Header.Set("X-Forwarded-For", "203.0.113.7, 198.51.100.2")
	ctx.Request.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	ctx.Request.Header.SetCookie("vishnu", "a-long-cookie-value-that-must-not-be-copied-into-the-lines")
	r := &request{ctx: &ctx}
	if n := testing.AllocsPerRun(100, r.copyHead); n != 1 {
		t.Errorf("copyHead allocates %v times, want 1", n)
	}
	if got := r.head.values("x-forwarded-for"); len(got) != 1 || got[0] != "203.0.113.7, 198.51.100.2" {
		t.Errorf("X-Forwarded-For in the copy: %q", got)
	}
	if got := r.head.values("Cookie"); got != nil {
		t.Errorf("the copy holds the cookies: %q", got)
	}
	if c := cap(r.head.lines); c != len(r.head.lines) {
		t.Errorf("the copy's room is %d bytes for %d: sized wrong", c, len(r.head.lines))
	}
}

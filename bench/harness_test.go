package bench

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/valyala/fasthttp"
)

// Every library is set up with keys of the same sizes: 32 bytes to sign
// (HMAC-SHA256) and, for data kept in cookies, 32 bytes to encrypt (AES-256).
var (
	signKey    = []byte("bench-signing-key-0123456789abcdef")[:32]
	encryptKey = []byte("bench-encrypt-key-0123456789abcdef")[:32]
)

// The session values every scenario works with.
const (
	userKey   = "user"  // a string, set by the seed request, read by read
	userValue = "alice" //
	countKey  = "n"     // an int, written by write
)

// A scenario is one kind of request, served the same way by every library.
type scenario int

const (
	untouched   scenario = iota // the handler never uses the session
	read                        // read userKey from an existing session
	write                       // set countKey in an existing session, persisted
	newSession                  // no cookie: create a session holding userKey
	cookieRead                  // read, with the data kept in the cookie
	cookieWrite                 // write, with the data kept in the cookie
)

func (sc scenario) String() string {
	return [...]string{"untouched", "read", "write", "new", "cookie-read", "cookie-write"}[sc]
}

// needsSession reports whether the scenario's requests carry the cookie of
// a session made in setup.
func (sc scenario) needsSession() bool { return sc != newSession }

// inCookie reports whether the scenario keeps session data in the cookie.
func (sc scenario) inCookie() bool { return sc == cookieRead || sc == cookieWrite }

// want is the response body every library's handler writes for sc.
func (sc scenario) want() string {
	if sc == read || sc == cookieRead {
		return userValue
	}
	return "ok"
}

// An app is one library set up over one fresh store. Its endpoints share
// that store; an endpoint the library cannot serve is the zero endpoint.
//
//   - seed stores userKey=userValue in a new session (the setup request).
//   - run serves the scenario the app was made for.
//   - probe writes "<user> <n>", the session's userKey and countKey, to check
//     what a scenario left behind.
//   - setKey reads userKey, works for a few milliseconds, then sets the key
//     named by the query parameter k: the lost-update check.
//   - count writes how many keys starting with "k" the session holds.
type app struct {
	cookieName                        string
	seed, run, probe, setKey, countKs endpoint
}

// An endpoint is one handler: net/http's, or fasthttp's for fiber.
type endpoint struct {
	h  http.Handler
	fh fasthttp.RequestHandler
}

func (e endpoint) ok() bool { return e.h != nil || e.fh != nil }

// A lib makes an app for a scenario, or reports that the library has no
// equivalent (scs and fiber keep no data in cookies, for instance).
type lib struct {
	name string
	app  func(tb testing.TB, sc scenario) (app, bool)
}

// libs in the order of the columns of the results: each baseline before
// the libraries it is the baseline of.
var libs = []lib{
	{"bare", bareApp},
	{"vishnu", vishnuApp},
	{"scs", scsApp},
	{"gorilla", gorillaApp},
	{"gin-bare", ginBareApp},
	{"gin", ginApp},
	{"echo-bare", echoBareApp},
	{"echo", echoApp},
	{"fiber", fiberApp},
}

// result is what a test needs from one response.
type result struct {
	status int
	body   string
	cookie *http.Cookie // the Set-Cookie for the app's cookie, or nil
}

// do serves one request carrying cookie ("name=value", or "") and returns
// its response.
func (e endpoint) do(tb testing.TB, name, target, cookie string) result {
	tb.Helper()
	if e.fh != nil {
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		req.SetRequestURI(target)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		ctx.Init(&req, nil, nil)
		e.fh(&ctx)
		res := result{status: ctx.Response.StatusCode(), body: string(ctx.Response.Body())}
		for _, line := range ctx.Response.Header.PeekAll("Set-Cookie") {
			if c, err := http.ParseSetCookie(string(line)); err == nil && c.Name == name {
				res.cookie = c
			}
		}
		return res
	}
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	res := result{status: w.Code, body: w.Body.String()}
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			res.cookie = c
		}
	}
	return res
}

// cookie returns the cookie header that sc's requests carry: none for a new
// session; otherwise one naming the session that a's seed request makes, or,
// for the baselines (which have no session), a cookie the handler ignores,
// so that every request of a scenario has the same shape.
func (a app) cookie(tb testing.TB, sc scenario) string {
	tb.Helper()
	switch {
	case !sc.needsSession():
		return ""
	case !a.seed.ok():
		return "session=" + strings.Repeat("x", 64)
	}
	res := a.seed.do(tb, a.cookieName, "/", "")
	if res.status != http.StatusOK || res.cookie == nil {
		tb.Fatalf("seed request: status %d, cookie %v, body %q", res.status, res.cookie, res.body)
	}
	return res.cookie.Name + "=" + res.cookie.Value
}

// bench serves the same request b.N times. cookie is sent on each request;
// every response must be a 200, and the last one's body must be want.
func (e endpoint) bench(b *testing.B, cookie, want string) {
	b.ReportAllocs()
	if e.fh != nil {
		e.benchFast(b, cookie, want)
		return
	}
	tmpl := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		tmpl.Header.Set("Cookie", cookie)
	}
	var w *httptest.ResponseRecorder
	cpu := startCPU()
	for b.Loop() {
		// A shallow copy per request, as a server makes a new Request per
		// request: gorilla/sessions keeps its registry in the request it is
		// given (*r = *r.WithContext(...)), so reusing one would hand later
		// iterations the first one's session without reading the store.
		r := new(http.Request)
		*r = *tmpl
		w = httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d, body %q", w.Code, w.Body)
		}
	}
	cpu.report(b)
	if got := w.Body.String(); got != want {
		b.Fatalf("body %q, want %q", got, want)
	}
}

// benchFast is bench for fasthttp handlers. A fasthttp server keeps one
// RequestCtx per connection and reuses it for each request, without the
// per-request Request, ResponseWriter and header maps of net/http; this does
// the same: the request is copied into the context's (no allocation once
// warm) and the response reset, where the net/http loop allocates a Request
// copy and a ResponseRecorder. So fiber's figures include less of the HTTP
// layer's own cost than the others'; compare them with each other (fiber
// untouched is fiber's baseline) more than with net/http's.
func (e endpoint) benchFast(b *testing.B, cookie, want string) {
	var tmpl fasthttp.Request
	tmpl.SetRequestURI("/")
	if cookie != "" {
		tmpl.Header.Set("Cookie", cookie)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&tmpl, nil, nil)
	for b.Loop() {
		tmpl.CopyTo(&ctx.Request)
		ctx.Response.Reset()
		e.fh(&ctx)
		if code := ctx.Response.StatusCode(); code != http.StatusOK {
			b.Fatalf("status %d, body %q", code, ctx.Response.Body())
		}
	}
	if got := string(ctx.Response.Body()); got != want {
		b.Fatalf("body %q, want %q", got, want)
	}
}

// runScenario runs sc as one sub-benchmark per library, named lib=<name> so
// that benchstat -col /lib sets the libraries side by side.
func runScenario(b *testing.B, sc scenario) {
	for _, l := range libs {
		b.Run("lib="+l.name, func(b *testing.B) {
			a, ok := l.app(b, sc)
			if !ok {
				b.Skipf("%s has no %s equivalent", l.name, sc)
			}
			a.run.bench(b, a.cookie(b, sc), sc.want())
		})
	}
}

// Handler bodies shared by the libraries: each library's handlers do their
// session work, then answer with one of these.

func writeOK(w io.Writer) { io.WriteString(w, "ok") }

func writeProbe(w io.Writer, user string, n int) { fmt.Fprintf(w, "%s %d", user, n) }

// keyParam is the key named by a setKey request, like "k42".
func keyParam(query string) string {
	for part := range strings.SplitSeq(query, "&") {
		if v, ok := strings.CutPrefix(part, "k="); ok {
			return v
		}
	}
	return ""
}

// countKeys counts the keys of the lost-update check, "k0" to "k99", for
// which has reports true.
func countKeys(has func(key string) bool) int {
	n := 0
	for i := range writers {
		if has("k" + strconv.Itoa(i)) {
			n++
		}
	}
	return n
}

func writeCount(w io.Writer, n int) { io.WriteString(w, strconv.Itoa(n)) }

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // no debug output per route and request
	m.Run()
}

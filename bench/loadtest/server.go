package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Config is what every library's server is built from: the Redis that holds
// its sessions, or for the rows on PostgreSQL (see postgres.go) the
// PostgreSQL. Each library keeps its keys under a prefix of its own; the
// generator empties the database before each run (Options.Flush).
type Config struct {
	RedisAddr string // host:port
	RedisDB   int

	PostgresURL    string // postgres://…
	PostgresSchema string // prefix of the schemas of the rows on PostgreSQL. Default DefaultPostgresSchema
}

// Every library is set up with the same secret (32 bytes, HMAC-SHA256 where
// the library signs its cookie) and the same session lifetime.
var secret = []byte("loadtest-signing-key-0123456789ab")[:32]

const lifetime = 24 * time.Hour

// A Server serves one library's routes on a listener until it is closed.
type Server struct {
	serve func(net.Listener) error
	close func() error
}

// Serve serves on ln until Close; it returns nil once closed.
func (s *Server) Serve(ln net.Listener) error { return s.serve(ln) }

// Close stops serving and closes the server's Redis clients (or PostgreSQL pool).
func (s *Server) Close() error { return s.close() }

// A library builds the server of one session library.
type library struct {
	name  string
	build func(Config) (*Server, error)
}

// libraries in the order of the result tables' columns: Vishnu on each
// framework, then the peers, then the rows on PostgreSQL.
var libraries = []library{
	{"vishnu", vishnuNetHTTP},
	{"vishnu-gin", vishnuGin},
	{"vishnu-echo", vishnuEcho},
	{"vishnu-fiber", vishnuFiber},
	{"scs", scsServer},
	{"gin-contrib", ginContribServer},
	{"echo-contrib", echoContribServer},
	{"fiber", fiberServer},
	{"vishnu" + postgresSuffix, vishnuPostgres},
	{"scs" + postgresSuffix, scsPostgres},
}

// Libraries returns the names NewServer knows, in table order.
func Libraries() []string {
	names := make([]string, len(libraries))
	for i, l := range libraries {
		names[i] = l.name
	}
	return names
}

// NewServer returns the server of the library called lib.
func NewServer(lib string, cfg Config) (*Server, error) {
	for _, l := range libraries {
		if l.name == lib {
			s, err := l.build(cfg)
			if err != nil {
				return nil, fmt.Errorf("loadtest: %s: %w", lib, err)
			}
			return s, nil
		}
	}
	return nil, fmt.Errorf("loadtest: unknown library %q (have %s)", lib, strings.Join(Libraries(), ", "))
}

// A body is one of the handler bodies of handlers.go, given the session
// and the raw query.
type body func(s session, query string) response

// routes maps each path to its body; every server registers exactly these.
var routes = []struct {
	path string
	body body
}{
	{PathLogin, login},
	{PathRead, func(s session, _ string) response { return read(s) }},
	{PathIncr, incr},
	{PathSum, sum},
}

// netHTTPServer serves h with net/http; closers run after the server stops.
func netHTTPServer(h http.Handler, closers ...io.Closer) *Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return &Server{
		serve: func(ln net.Listener) error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		close: func() error { return closeAll(srv.Close(), closers) },
	}
}

// netHTTPRoutes is a mux of every route, each body given the session that
// sess finds in the request.
func netHTTPRoutes(sess func(r *http.Request) session) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc("GET "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			send(w, rt.body(sess(r), r.URL.RawQuery))
		})
	}
	return mux
}

func send(w http.ResponseWriter, res response) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(res.status)
	io.WriteString(w, res.body)
}

// fiberApp is a fiber app that prints nothing at start.
func fiberApp() *fiber.App { return fiber.New(fiber.Config{DisableStartupMessage: true}) }

// fiberRoutes registers every route on app, each body given the session
// that sess finds for the request (or an error, answered with a 500).
func fiberRoutes(app *fiber.App, sess func(c *fiber.Ctx) (session, error)) {
	for _, rt := range routes {
		app.Get(rt.path, func(c *fiber.Ctx) error {
			res := response{}
			if s, err := sess(c); err != nil {
				res = failed(err)
			} else {
				res = rt.body(s, string(c.Request().URI().QueryString()))
			}
			return c.Status(res.status).SendString(res.body)
		})
	}
}

// fiberListener is the Server of a fiber app.
func fiberListener(app *fiber.App, closers ...io.Closer) *Server {
	return &Server{
		serve: app.Listener,
		close: func() error { return closeAll(app.ShutdownWithTimeout(5*time.Second), closers) },
	}
}

func closeAll(first error, closers []io.Closer) error {
	errs := []error{first}
	for _, c := range closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Command echo is the Vishnu demo on echo: a visit counter, a login that
// regenerates the session, a flash message, a "remember me" timeout and a
// logout, the same pages as examples/demo on net/http.
//
//	go run ./examples/echo              # then open http://127.0.0.1:8080/
//	go run ./examples/echo -addr :9000
//
// Set VISHNU_SECRET (at least 32 bytes) to keep cookies valid across
// restarts; without it a random secret is made at start.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vishnu-go/vishnu/examples/pages"
)

func main() { pages.Main(run) }

// run serves the app on addr until ctx is done, then shuts down gracefully.
// ready, when not nil, is told the address actually listened on, since addr
// may ask for any free port (":0").
func run(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
	m, err := pages.NewManager(secret, log)
	if err != nil {
		return err
	}
	e := newApp(m, log)
	pages.SetTimeouts(e.Server, log)
	ln, err := pages.Listen(addr, "the Vishnu demo on echo", log, ready)
	if err != nil {
		return err
	}
	e.Listener = ln

	served := make(chan error, 1)
	go func() { served <- e.Start("") }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

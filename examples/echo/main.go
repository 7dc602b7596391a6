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
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vishnu-go/vishnu/examples/pages"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, *addr, os.Getenv("VISHNU_SECRET"), log, nil); err != nil {
		log.Error("demo stopped", "err", err)
		os.Exit(1)
	}
}

// run serves the app on addr until ctx is done, then shuts down gracefully.
// ready, when not nil, is told the address actually listened on, since addr
// may ask for any free port (":0").
func run(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
	m, err := pages.NewManager(secret, log)
	if err != nil {
		return err
	}
	e := newApp(m, log)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	e.Listener = ln
	// Timeouts so that slow or idle clients cannot hold connections
	// forever; the zero values mean no limit at all.
	e.Server.ReadHeaderTimeout = 5 * time.Second
	e.Server.ReadTimeout = 10 * time.Second
	e.Server.WriteTimeout = 10 * time.Second
	e.Server.IdleTimeout = 60 * time.Second
	e.Server.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	log.Info("serving the Vishnu demo on echo", "url", "http://"+ln.Addr().String()+"/")
	if ready != nil {
		ready(ln.Addr())
	}

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

// Command chi is Vishnu's demo on a chi router: a visit counter, a login
// that regenerates the session, a flash message, a "remember me" timeout,
// a logout, and an account page behind a route guard.
//
//	go run ./examples/chi              # then open http://127.0.0.1:8080/
//	go run ./examples/chi -addr :9000
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

// run serves the demo on addr until ctx is done, then shuts down gracefully.
// ready, when not nil, is told the address listened on (addr may be ":0").
func run(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
	m, err := pages.NewManager(secret, log)
	if err != nil {
		return err
	}
	h, err := newApp(m, log)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: h,
		// Without timeouts, slow or idle clients could hold connections
		// forever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("serving the Vishnu demo on chi", "url", "http://"+ln.Addr().String()+"/")
	if ready != nil {
		ready(ln.Addr())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

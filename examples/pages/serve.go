package pages

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
)

// RunFunc is an example app's run: it serves on addr until ctx is done,
// then shuts down gracefully. ready, when not nil, is told the address
// actually listened on, since addr may ask for any free port (":0").
type RunFunc func(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error

// Main is the main of every example app: the -addr flag, a text logger on
// stderr, the secret from VISHNU_SECRET, and run until SIGINT or SIGTERM.
// It exits with status 1 when run fails.
func Main(run RunFunc) {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, *addr, os.Getenv("VISHNU_SECRET"), log, nil); err != nil {
		log.Error("demo stopped", "err", err)
		stop() // os.Exit skips the deferred call
		os.Exit(1)
	}
}

// SetTimeouts gives srv the example apps' timeouts, so that slow or idle
// clients cannot hold connections forever (the zero values mean no limit
// at all), and logs its errors to log.
func SetTimeouts(srv *http.Server, log *slog.Logger) {
	srv.ReadHeaderTimeout = 5 * time.Second
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.IdleTimeout = 60 * time.Second
	srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
}

// Serve serves h over net/http on addr until ctx is done, then shuts down
// gracefully, waiting up to ShutdownTimeout for the requests in flight. what
// names the app in the log; ready is as for RunFunc.
func Serve(ctx context.Context, addr string, h http.Handler, what string, log *slog.Logger, ready func(net.Addr)) error {
	srv := &http.Server{Handler: h}
	SetTimeouts(srv, log)
	ln, err := Listen(addr, what, log, ready)
	if err != nil {
		return err
	}

	return ServeUntil(ctx, func() error { return srv.Serve(ln) }, srv.Shutdown, log)
}

// ShutdownTimeout is how long a shutdown waits for the requests in flight.
const ShutdownTimeout = 10 * time.Second

// ServeUntil runs serve until ctx is done, then stops it gracefully with
// shutdown, given ShutdownTimeout, and waits for serve to return. A serve
// that returns first is the error. http.ErrServerClosed, what a net/http
// server's Serve returns after Shutdown, is a clean stop.
func ServeUntil(ctx context.Context, serve func() error, shutdown func(context.Context) error, log *slog.Logger) error {
	served := make(chan error, 1)
	go func() { served <- serve() }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Listen listens on addr over TCP, logs the URL the app named what is
// served at, and tells ready (when not nil) the address listened on.
func Listen(addr, what string, log *slog.Logger, ready func(net.Addr)) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	log.Info("serving "+what, "url", "http://"+ln.Addr().String()+"/")
	if ready != nil {
		ready(ln.Addr())
	}
	return ln, nil
}

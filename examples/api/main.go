// Command api serves web pages with cookie sessions beside a JSON API whose
// session token travels in "Authorization: Bearer", on one store.
//
//	go run ./examples/api        # then open http://127.0.0.1:8080/, or:
//	curl -si -X POST -d '{"user":"ada"}' http://127.0.0.1:8080/api/login
//	curl -s -H "Authorization: Bearer <the X-Session-Token answered>" http://127.0.0.1:8080/api/me
//
// Set VISHNU_SECRET (at least 32 bytes) to keep tokens valid across
// restarts; without it a random secret is made at start.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, os.Getenv("VISHNU_SECRET"), log); err != nil {
		log.Error("api example", "err", err)
		os.Exit(1)
	}
}

// run serves the app on addr until ctx is done.
func run(ctx context.Context, addr, secret string, log *slog.Logger) error {
	key := []byte(secret)
	if secret == "" {
		key = []byte(rand.Text() + rand.Text())
	}
	// Plain HTTP on loopback: the web cookie cannot be Secure here.
	web, api, err := managers(key, true, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newApp(web, api, log), ReadHeaderTimeout: 10 * time.Second}
	log.Info("serving the api example", "addr", "http://"+ln.Addr().String()+"/")
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

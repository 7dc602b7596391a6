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
	"log/slog"
	"net"

	"github.com/vishnu-go/vishnu/examples/pages"
)

func main() { pages.Main(run) }

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
	return pages.Serve(ctx, addr, h, "the Vishnu demo on chi", log, ready)
}

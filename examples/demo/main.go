// Command demo is a small web app that shows Vishnu's sessions at work: a
// visit counter, a login that regenerates the session, a flash message, a
// "remember me" timeout, a logout, and "Your sessions": the user's sessions
// with their device, IP address and times, each of the others with an End
// button, "sign out everywhere else", and a notice in a browser signed out
// that way.
//
//	go run ./examples/demo              # then open http://127.0.0.1:8080/
//	go run ./examples/demo -addr :9000
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

func main() {
	pages.Main(func(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
		return run(ctx, addr, secret, log, ready)
	})
}

// run serves the demo on addr until ctx is done, then shuts down gracefully.
// ready, when not nil, is told the address actually listened on, since addr
// may ask for any free port (":0").
func run(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
	m, err := pages.NewManager(secret, log)
	if err != nil {
		return err
	}
	return pages.Serve(ctx, addr, pages.Handler(m, log), "the Vishnu demo", log, ready)
}

// Command echov5 is the Vishnu demo on echo v5: a visit counter, a login
// that regenerates the session, a flash message, a "remember me" timeout
// and a logout, the same pages as examples/demo on net/http.
//
//	go run ./examples/echov5              # then open http://127.0.0.1:8080/
//	go run ./examples/echov5 -addr :9000
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

// run serves the app on addr until ctx is done, then shuts down gracefully.
// ready, when not nil, is told the address actually listened on, since addr
// may ask for any free port (":0").
func run(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
	m, err := pages.NewManager(secret, log)
	if err != nil {
		return err
	}
	return pages.Serve(ctx, addr, newApp(m, log), "the Vishnu demo on echo v5", log, ready)
}

package bench

import (
	"net/http"
	"testing"
)

// bareApp is the untouched scenario's handler without any session library:
// the cost of the request and recorder themselves.
func bareApp(tb testing.TB, sc scenario) (app, bool) {
	if sc != untouched {
		return app{}, false
	}
	return app{run: endpoint{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeOK(w) })}}, true
}

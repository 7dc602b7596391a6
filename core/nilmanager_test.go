package vishnu_test

import (
	"net/http"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// TestNilManager: a nil Manager is a set-up mistake, reported where the
// middleware, the guard or an adapter is made (naming the function),
// never at request time.
func TestNilManager(t *testing.T) {
	var m *vishnu.Manager
	for name, make := range map[string]func(){
		"Manager.Handler": func() { m.Handler(http.NotFoundHandler()) },
		"Manager.Adapter": func() { m.Adapter() },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "vishnu: "+name) || !strings.Contains(msg, "nil *Manager") {
					t.Errorf("%s on a nil *Manager panicked with %q; want a panic naming it", name, msg)
				}
			}()
			make()
		})
	}
	t.Run("NewGuard", func(t *testing.T) {
		g, err := vishnu.NewGuard(nil, vishnu.GuardConfig{Key: "user", Status: http.StatusUnauthorized})
		if g != nil || err == nil || !strings.Contains(err.Error(), "NewGuard") {
			t.Errorf("NewGuard(nil, ...) = %v, %v; want an error naming NewGuard", g, err)
		}
	})
}

package pages

import (
	"crypto/rand"
	"log/slog"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Timeout is how long an example app's session lives unused.
const Timeout = 20 * time.Minute

// NewManager configures the sessions of every example app, in memory.
// secret is VISHNU_SECRET; when it is empty a random one is made, which is
// fine for a demo but logs everyone out on restart. A secret that is too
// short is the constructor's error.
func NewManager(secret string, log *slog.Logger) (*vishnu.Manager, error) {
	return NewManagerOn(vishnu.NewMemoryStore(), secret, log)
}

// Secret is the key of an example app's cookies: secret (VISHNU_SECRET) when
// it is set, else a random one, with a warning that sessions will not
// survive a restart.
func Secret(secret string, log *slog.Logger) []byte {
	if secret != "" {
		return []byte(secret)
	}
	key := make([]byte, vishnu.MinSecretLen)
	rand.Read(key) // never fails (crypto/rand panics rather than return an error)
	log.Warn("VISHNU_SECRET is not set: using a random secret, so sessions won't survive a restart")
	return key
}

// NewManagerOn is NewManager with the sessions kept in store, for the
// example apps on a database.
func NewManagerOn(store vishnu.Store, secret string, log *slog.Logger) (*vishnu.Manager, error) {
	return vishnu.New(vishnu.Config{
		Store:   store,
		Secret:  Secret(secret, log),
		Timeout: Timeout,
		// The default is AutoSave false, with which every handler that
		// changes the session must call Save. On, a changed session is saved
		// by itself just before the response goes out.
		AutoSave: true,
		Cookie: vishnu.CookieConfig{
			// The apps serve plain HTTP on loopback, where a browser would
			// never send back a Secure cookie. Never do this in production.
			Insecure: true,
		},
		Logger: log,
	})
}

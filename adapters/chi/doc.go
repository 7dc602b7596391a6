// Package vishnuchi puts Vishnu sessions on a chi router
// (github.com/go-chi/chi/v5).
//
// chi's middleware is net/http's, func(http.Handler) http.Handler, so the
// adapter is core's own middleware under chi's name, and everything a
// net/http user learnt holds: the session is vishnu.FromContext(r.Context())
// and route guards are vishnu.Guard.
//
// # Example
//
//	m, err := vishnu.New(vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: secret})
//	if err != nil {
//		log.Fatal(err)
//	}
//	loggedIn, err := vishnu.NewGuard(m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	r := chi.NewRouter()
//	r.Use(middleware.Logger, middleware.Recoverer) // outside the session middleware
//	r.Use(vishnuchi.Middleware(m))
//	r.Get("/", home)
//	r.With(loggedIn.Handler).Get("/account", account)
//
// # Middleware order
//
// chi's Logger, Recoverer, RealIP and Heartbeat work on either side of the
// session middleware, and so do Compress, Timeout and Throttle; the
// recommended order, and what changes with the other one, is in the
// README. Recoverer belongs outside: a handler that panics then has its
// session changes dropped, as a failed request should, instead of
// committed with the 500 that Recoverer writes.
package vishnuchi

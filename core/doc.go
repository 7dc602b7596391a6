// Package vishnu manages HTTP sessions: a signed (and optionally encrypted)
// cookie holding a random token, and session data in a pluggable store.
//
// # Getting started
//
// Make one Manager at start-up and wrap your handler with its middleware:
//
//	m, err := vishnu.New(vishnu.Config{
//		Store:  vishnu.NewMemoryStore(),
//		Secret: secret, // 32 random bytes, kept out of the source
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.ListenAndServe(addr, m.Handler(mux))
//
// In a handler, the session is in the request's context:
//
//	s := vishnu.FromContext(r.Context())
//	n, _ := vishnu.Get[int](s, "visits")
//	s.Set("visits", n+1)
//	s.Save() // or Config.AutoSave
//
// # How a request goes
//
// The session is read lazily: a request that never uses it touches neither
// the cookie nor the store. It is committed once, just before the response
// headers are sent (the first Write, WriteHeader, Flush, ReadFrom or Hijack,
// or the handler's return), without buffering the body: its cookie is set
// then, and every response whose session was used gets Vary: Cookie and a
// private Cache-Control, so that no shared cache hands one visitor's cookie
// or page to another; and if the store fails, the
// configured error response (Config.ErrorResponse) is sent in place of the
// handler's, so a store outage is never mistaken for "no session" and never
// logs anybody out. A change that needs a cookie after that point fails
// with ErrHeadersWritten. Session methods may be called from any goroutine
// of the request: they record the cookie, and the commit point applies it. An unchanged session is not
// rewritten, and its expiry is pushed back only once a tenth of its timeout
// has passed.
//
// # No lost updates
//
// Each request commits only what it changed (the keys set and deleted), so
// concurrent requests on one session keep each other's changes. With a
// store that implements Committer the merge is atomic, a deleted key stays
// deleted, and a session destroyed by one request is never brought back by
// another that was in flight. A Store with only Load, Save and Delete still
// works, with a small window in which concurrent changes can be lost.
//
// # Security
//
// Tokens are 256 bits from crypto/rand; stores see a SHA-256 of the token,
// never the token. Cookies are signed with HMAC-SHA256 over the token, the
// expiry and the cookie name, and encrypted with AES-256-GCM when an
// EncryptKey is configured; secrets and keys can be rotated. Any cookie that
// fails verification is treated as no cookie at all. Cookies are Secure,
// HttpOnly and SameSite=Lax unless configured otherwise. Call
// Session.Regenerate at login and Session.Destroy at logout; Config.Timeout
// (idle) and Config.AbsoluteTimeout bound every session on the server side,
// with the configuration in force now: lowering a timeout applies to the
// sessions that exist.
//
// # The cookie store
//
// NewCookieStore keeps a session's data in its cookie, encrypted when
// Config.EncryptKey is set. A browser keeps 4096 bytes per cookie (name,
// value and attributes), and every line Vishnu sets stays within that; a
// session larger than one cookie is split over numbered cookies ("vishnu",
// "vishnu.1", ...), up to CookieStoreOptions.MaxCookies (default 4, at most
// 8), and Save or the commit fails with ErrCookieTooLarge past that. The
// value is signed and encrypted once, whole, and then split, so the cookies
// are valid only together: a missing, altered or stale one is no session.
// Each write replaces them all and deletes the ones it no longer needs;
// Destroy deletes every one. All of them travel in each request's Cookie
// header (up to 16 KB at the default), which some proxies refuse (nginx and
// Apache take 8 KB per header line by default). Compression
// (CookieStoreOptions.Compress) is off by default: it makes the cookie's
// length reveal its content to an attacker who can mix chosen data into the
// session (CRIME, BREACH).
//
// # Adapters
//
// Frameworks reach the same Session through an adapter module (gin, echo,
// chi, fiber). Adapters are written against Manager.Adapter, whose doc
// states the contract: open the session with a Transport (the request's
// cookies and headers, the response's headers), commit it just before the headers go
// out, send the error response through the framework's error path when
// the commit fails, and finish it at the end. The session API is the same
// everywhere.
package vishnu

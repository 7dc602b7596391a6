package vishnu

import (
	"net"
	"net/http"
	"strings"
)

// What Login records of the client, for a list of the user's sessions.

// Bounds of what Login records of the client: a client chooses its
// User-Agent, and a proxy header its IP, so neither may grow an index
// entry without limit. Longer values are cut (at a UTF-8 boundary).
const (
	// MaxClientIPLen is the longest client IP Login records, in bytes:
	// room for any IPv6 address with a zone.
	MaxClientIPLen = 64
	// MaxUserAgentLen is the longest User-Agent Login records, in bytes.
	MaxUserAgentLen = 256
)

// ClientReporter is implemented by a Transport that can say who the client
// is, for Login to record (UserSession.IP and UserAgent). Core's net/http
// Transport needs none (Login asks Config.ClientIP); an adapter of a
// framework not built on net/http implements it, and finds the IP with
// Adapter.ClientIP so that Config.ClientIP serves its requests too.
// Without it, Login records neither. Login may call it on any goroutine
// that uses the session.
type ClientReporter interface {
	// ClientIP returns the client's IP address, "" when unknown.
	ClientIP() string
	// UserAgent returns the request's User-Agent header, "" when absent.
	UserAgent() string
}

// ClientIP returns the client's IP address of r as Config.ClientIP finds
// it. An adapter of a framework not built on net/http calls it from its
// ClientReporter with a net/http view of its request.
func (a Adapter) ClientIP(r *http.Request) string { return a.m.cfg.ClientIP(r) }

// RemoteIP returns the host part of r.RemoteAddr: the address of the peer
// that connected, which is the client's unless a proxy stands between. It
// is the default of Config.ClientIP.
func RemoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// clientOf returns what Login records of the session's client.
func (s *Session) clientOf() (ip, userAgent string) {
	switch t := s.t.(type) {
	case *httpTransport:
		ip, userAgent = s.m.cfg.ClientIP(t.r), t.r.UserAgent()
	case ClientReporter:
		ip, userAgent = t.ClientIP(), t.UserAgent()
	}
	return bounded(ip, MaxClientIPLen), bounded(userAgent, MaxUserAgentLen)
}

// bounded cuts v to at most n bytes, dropping a character cut in two.
func bounded(v string, n int) string {
	if len(v) <= n {
		return v
	}
	return strings.ToValidUTF8(v[:n], "")
}

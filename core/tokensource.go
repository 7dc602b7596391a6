package vishnu

import (
	"strconv"
	"strings"
)

// Where a session's token travels: the cookie, a request header, or both.
// A token is the same signed (optionally encrypted) value whichever way it
// travels; what differs is how the request carries it and how the response
// answers it. A token is never read from a URL.

// TokenSource is a place a request carries its session token in.
type TokenSource uint8

const (
	// TokenInCookie is the session cookie (Config.Cookie). A new or
	// refreshed token goes out in Set-Cookie.
	TokenInCookie TokenSource = iota + 1
	// TokenInHeader is the request header TokenConfig.Header (by default
	// X-Session-Token), holding the token alone.
	TokenInHeader
	// TokenInBearer is the Authorization header with the Bearer scheme
	// ("Authorization: Bearer <token>").
	TokenInBearer
)

// DefaultTokenHeader is the header of TokenInHeader, and of every token
// sent in a response header, unless TokenConfig.Header names another.
const DefaultTokenHeader = "X-Session-Token"

// TokenConfig says where a Manager's session tokens travel. The zero value
// is the cookie only.
//
// A request's token is looked for in Sources, in order; the first valid
// token naming a live session wins. The response answers in the same place
// the winning token came from, never elsewhere: a token that came in a
// header is never set as a cookie, and a cookie's token never goes out in
// a header. In a header the answer is the response header Header: a new,
// regenerated or refreshed token as its value (the client replaces the
// token it holds), and an empty value when the session was destroyed (the
// client forgets it); no such header means the token is unchanged.
//
// A new session (no valid token came, or it was destroyed) goes to the
// first source the request carried a token in, valid or not, and else to
// the first of Sources. A header client asks for header sessions by
// sending the header empty (or, for TokenInBearer, "Authorization:
// Bearer" with no token), which matters when TokenInCookie comes first.
type TokenConfig struct {
	// Sources lists where a request's token is looked for, in order, each
	// at most once. Optional. Default is TokenInCookie alone.
	Sources []TokenSource

	// Header is the request header of TokenInHeader and the response
	// header of every token answered in a header (TokenInBearer's too).
	// Optional. Default is DefaultTokenHeader. It may not be a header with
	// a meaning of its own (Cookie, Authorization, Cache-Control and the
	// like).
	Header string
}

// reservedTokenHeaders are headers that already mean something: a token in
// one would be read or rewritten by the browser, a proxy or net/http.
var reservedTokenHeaders = []string{
	"Authorization", "Cache-Control", "Connection", "Content-Length", "Content-Type",
	"Cookie", "Host", "Proxy-Authorization", "Set-Cookie", "Transfer-Encoding", "Vary",
}

// withDefaults validates the token configuration of c (its Store and
// Cookie included: some of their settings contradict header tokens).
func (c TokenConfig) withDefaults(store Store, cookie CookieConfig) (TokenConfig, error) {
	if len(c.Sources) == 0 {
		if c.Header != "" {
			return c, configErr("Token.Header", "set, but Token.Sources is the cookie only")
		}
		c.Sources = []TokenSource{TokenInCookie}
		return c, nil
	}
	c.Sources = append([]TokenSource(nil), c.Sources...)
	cookieUsed, headerUsed := false, false
	for i, src := range c.Sources {
		if src < TokenInCookie || src > TokenInBearer {
			return c, configErr("Token.Sources", "element %d is %d, not a TokenSource", i, src)
		}
		for _, prev := range c.Sources[:i] {
			if prev == src {
				return c, configErr("Token.Sources", "lists %v twice", src)
			}
		}
		cookieUsed = cookieUsed || src == TokenInCookie
		headerUsed = headerUsed || src != TokenInCookie
	}
	if headerUsed {
		if c.Header == "" {
			c.Header = DefaultTokenHeader
		}
		if !validCookieName(c.Header) { // an RFC 9110 token, as a cookie name is
			return c, configErr("Token.Header", "%q is not a valid header name", c.Header)
		}
		for _, r := range reservedTokenHeaders {
			if strings.EqualFold(c.Header, r) {
				return c, configErr("Token.Header", "%q has a meaning of its own; use a header of the session's own, such as %s (TokenInBearer reads Authorization)", c.Header, DefaultTokenHeader)
			}
		}
		if _, ok := store.(*cookieStore); ok {
			return c, configErr("Token.Sources", "header tokens need a server-side store: the cookie store keeps the session in its token, which Destroy could not revoke")
		}
	} else if c.Header != "" {
		return c, configErr("Token.Header", "set, but Token.Sources has no header source")
	}
	if !cookieUsed && cookie != (CookieConfig{Name: cookie.Name}) {
		return c, configErr("Cookie", "sets cookie attributes, but Token.Sources has no TokenInCookie: no cookie is ever sent (only Cookie.Name counts: tokens are signed for it)")
	}
	return c, nil
}

// String returns the source's name, as its constant has it.
func (src TokenSource) String() string {
	switch src {
	case TokenInCookie:
		return "TokenInCookie"
	case TokenInHeader:
		return "TokenInHeader"
	case TokenInBearer:
		return "TokenInBearer"
	}
	return "TokenSource(" + strconv.Itoa(int(src)) + ")"
}

// tokenValues returns the token values the request carries in src, at most
// maxCookieValues of them, and whether it carries src at all (an empty
// header, or "Authorization: Bearer" with no token, counts: it asks for a
// session in that place).
func (s *Session) tokenValues(src TokenSource) (values []string, present bool) {
	switch src {
	case TokenInCookie:
		values = s.t.Cookies(s.m.cfg.Cookie.Name)
		return values, len(values) > 0
	case TokenInHeader:
		for _, v := range s.t.RequestHeader(s.m.cfg.Token.Header) {
			present = true
			if v = strings.TrimSpace(v); v != "" && len(values) < maxCookieValues {
				values = append(values, v)
			}
		}
	case TokenInBearer:
		for _, v := range s.t.RequestHeader("Authorization") {
			scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
			if !strings.EqualFold(scheme, "Bearer") {
				continue
			}
			present = true
			if rest = strings.TrimSpace(rest); rest != "" && len(values) < maxCookieValues {
				values = append(values, rest)
			}
		}
	}
	return values, present
}

// cookieOnly reports whether m's tokens travel in the cookie alone, the
// default, whose paths stay as they were before header tokens.
func (m *Manager) cookieOnly() bool {
	return len(m.cfg.Token.Sources) == 1 && m.cfg.Token.Sources[0] == TokenInCookie
}

// deliver puts the session's token, if one goes out, on the response in the
// place its request's token came from (s.src), with the headers that keep
// caches from storing it; a response whose session was only read is marked
// private alike. It is the commit point's last step.
func (s *Session) deliver() {
	m := s.m
	if m.cookieOnly() {
		switch {
		case s.outLine != "":
			m.setCookie(s.t, s.outLine)
		case s.life.used():
			// What the handler read of the session made the response
			// personal, even though no cookie goes out with it.
			markPrivate(s.t)
		}
		return
	}
	if !s.life.used() {
		return
	}
	out := s.outLine != "" && s.state != nil
	if out && s.src == TokenInCookie {
		m.setCookie(s.t, s.outLine)
	}
	inHeader := out && s.src != TokenInCookie
	m.markTokenPrivate(s.t, inHeader)
	if inHeader {
		s.t.SetHeader(m.cfg.Token.Header, lineValue(s.outLine))
	}
}

// markTokenPrivate marks a response private for a Manager with header
// tokens: it varies with every place a token may come from, and one that
// carries a token in a header is not stored by any cache at all (a private
// cache would keep it, and hand the token to whoever reads the cache).
func (m *Manager) markTokenPrivate(t Transport, tokenOut bool) {
	v := t.Header("Vary")
	for _, name := range m.varyNames() {
		if !hasToken(v, name) && !hasToken(v, "*") {
			v = joinTokens(v, name)
		}
	}
	t.SetHeader("Vary", v)
	if tokenOut {
		t.SetHeader("Cache-Control", "no-store")
		return
	}
	t.SetHeader("Cache-Control", privateCacheControl(t.Header("Cache-Control")))
}

// varyNames returns the request headers a session's response depends on.
func (m *Manager) varyNames() []string {
	names := make([]string, 0, len(m.cfg.Token.Sources))
	for _, src := range m.cfg.Token.Sources {
		switch src {
		case TokenInCookie:
			names = append(names, "Cookie")
		case TokenInHeader:
			names = append(names, m.cfg.Token.Header)
		case TokenInBearer:
			names = append(names, "Authorization")
		}
	}
	return names
}

// lineValue returns the cookie value of a Set-Cookie line as cookieLine
// formats it ("" for the line that deletes it): the token itself, which
// base64url keeps free of ';'.
func lineValue(line string) string {
	_, v, _ := strings.Cut(line, "=")
	v, _, _ = strings.Cut(v, ";")
	return v
}

// addTokenHeader puts on an error response the token answer of a session
// whose token travels in a header (a logout's empty value goes out even
// when the request fails), in place of the Set-Cookie line.
func (m *Manager) addTokenHeader(resp *ErrorResponse, line string) {
	resp.Header.Set(m.cfg.Token.Header, lineValue(line))
	resp.tokenHeader = m.cfg.Token.Header
	for _, name := range m.varyNames() {
		resp.Header.Add("Vary", name)
	}
}

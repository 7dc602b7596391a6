package vishnu

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The session cookie as it goes out: the Set-Cookie line, and the headers
// that keep a shared cache from handing one visitor's cookie to another.

// deletionExpiry is the Expires of a cookie that deletes the session cookie.
var deletionExpiry = time.Unix(1, 0)

// formatAttrs returns the attributes that every cookie of m carries
// ("; Path=/; HttpOnly; Secure; SameSite=Lax" and so on), formatted by
// net/http once, and whether net/http kept the configured Path and Domain
// as they are (it drops bytes and domains it considers invalid).
func (m *Manager) formatAttrs() (attrs string, ok bool) {
	const probe = "x"
	cc := &m.cfg.Cookie
	line := m.cookie(probe, UntilBrowserCloses, time.Time{}).String()
	attrs = strings.TrimPrefix(line, cc.Name+"="+probe)
	ok = strings.Contains(attrs, "; Path="+cc.Path) &&
		(cc.Domain == "" || strings.Contains(attrs, "; Domain="))
	return attrs, ok
}

// cookieLine formats the Set-Cookie line that m.cookie describes, directly:
// the attributes were formatted (and checked) once by New. An empty value
// makes the line that deletes the session cookie.
func (m *Manager) cookieLine(value string, timeout time.Duration, expires time.Time) string {
	return m.namedCookieLine(m.cfg.Cookie.Name, value, timeout, expires)
}

// namedCookieLine is cookieLine for the cookie name, the session cookie's
// own or one of the cookie store's parts (see cookiechunks.go).
func (m *Manager) namedCookieLine(name, value string, timeout time.Duration, expires time.Time) string {
	var b strings.Builder
	m.startCookieLine(&b, name, len(value))
	b.WriteString(value)
	m.writeCookieAttrs(&b, value == "", timeout, expires)
	return b.String()
}

// startCookieLine sizes b for a line of the cookie name with a value of n
// bytes, so that it is built in one allocation, and writes "name=".
func (m *Manager) startCookieLine(b *strings.Builder, name string, n int) {
	b.Grow(len(name) + n + len(m.cookieAttrs) + 80) // 80: Expires and Max-Age
	b.WriteString(name)
	b.WriteByte('=')
}

// writeCookieAttrs writes what follows a cookie line's value: its expiry,
// unless it lasts until the browser closes (or, for deleted, the past), and
// the attributes of every cookie of m.
func (m *Manager) writeCookieAttrs(b *strings.Builder, deleted bool, timeout time.Duration, expires time.Time) {
	var buf [32]byte
	switch {
	case deleted:
		b.WriteString("; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0")
	case timeout != UntilBrowserCloses:
		b.WriteString("; Expires=")
		b.Write(expires.UTC().AppendFormat(buf[:0], http.TimeFormat))
		b.WriteString("; Max-Age=")
		b.Write(strconv.AppendInt(buf[:0], int64(m.maxAge(expires)), 10))
	}
	b.WriteString(m.cookieAttrs)
}

// sessionCookieLines returns the Set-Cookie lines of a session cookie,
// joined by "\n": one line that holds the token, or for the cookie store
// the lines that hold the session (see cookiechunks.go).
func (m *Manager) sessionCookieLines(t *token, expires, refreshed time.Time, record []byte, timeout time.Duration) (string, error) {
	if m.chunks != nil {
		return m.cookieStoreLines(t, expires, refreshed, record, timeout)
	}
	// The value is made on the stack and copied once, into the line.
	var buf [256]byte
	v, err := m.codec.appendEncoded(buf[:0], t, expires, refreshed, nil)
	if err != nil {
		return "", fmt.Errorf("vishnu: encode cookie: %w", err)
	}
	var b strings.Builder
	m.startCookieLine(&b, m.cfg.Cookie.Name, len(v))
	b.Write(v)
	m.writeCookieAttrs(&b, false, timeout, expires)
	return b.String(), nil
}

// maxAge is the Max-Age of a cookie that expires at expires: at least one
// second, since 0 would delete it.
func (m *Manager) maxAge(expires time.Time) int {
	return max(1, int(expires.Sub(m.cfg.Clock()).Round(time.Second)/time.Second))
}

// cookie returns the cookie that cookieLine formats, as net/http has it: New
// formats its attributes with it, and the tests check cookieLine against it.
func (m *Manager) cookie(value string, timeout time.Duration, expires time.Time) *http.Cookie {
	cc := &m.cfg.Cookie
	c := &http.Cookie{
		Name:        cc.Name,
		Value:       value,
		Path:        cc.Path,
		Domain:      cc.Domain,
		Secure:      !cc.Insecure,
		HttpOnly:    !cc.ScriptReadable,
		SameSite:    cc.SameSite,
		Partitioned: cc.Partitioned,
	}
	switch {
	case value == "":
		c.MaxAge = -1
		c.Expires = deletionExpiry
	case timeout != UntilBrowserCloses:
		c.Expires = expires.UTC()
		c.MaxAge = m.maxAge(expires)
	}
	return c
}

// setCookie puts the session's Set-Cookie lines (joined by "\n") on the
// response with the headers that must go with it.
func (m *Manager) setCookie(t Transport, lines string) {
	for line := range strings.SplitSeq(m.withChunkDeletions(t, lines), "\n") {
		name, _, _ := strings.Cut(line, "=")
		t.SetCookie(name, line)
	}
	markPrivate(t)
	if !m.cfg.Cookie.Insecure && !m.warnedPlain.Load() {
		if ht, ok := t.(*httpTransport); ok {
			if host, plain := ht.plainHTTPHost(); plain && m.warnedPlain.CompareAndSwap(false, true) {
				m.cfg.Logger.Warn("vishnu: a Secure session cookie was set on a plain-HTTP request; browsers drop it except on localhost (set Cookie.Insecure for plain-HTTP development)", "host", host)
			}
		}
	}
}

// markPrivate keeps shared caches from storing a response whose session
// was used: a CDN or proxy would otherwise serve it, cookie or personal
// page and all, to the next visitor. Vary: Cookie says the response depends on the
// cookie; Cache-Control gets "private" unless it already forbids storing.
func markPrivate(t Transport) {
	if ht, ok := t.(*httpTransport); ok && ht.markPrivateFast() {
		return
	}
	if v := t.Header("Vary"); !hasToken(v, "Cookie") && !hasToken(v, "*") {
		t.SetHeader("Vary", joinTokens(v, "Cookie"))
	}
	t.SetHeader("Cache-Control", privateCacheControl(t.Header("Cache-Control")))
}

// privateCacheControl returns cc with shared caching forbidden: "private"
// added and "public" and "s-maxage" (which only shared caches obey)
// dropped, unless cc already says "private" or "no-store".
func privateCacheControl(cc string) string {
	if hasToken(cc, "private") || hasToken(cc, "no-store") {
		return cc
	}
	out := "private"
	for d := range strings.SplitSeq(cc, ",") {
		d = strings.TrimSpace(d)
		name, _, _ := strings.Cut(d, "=")
		if d == "" || strings.EqualFold(name, "public") || strings.EqualFold(name, "s-maxage") {
			continue
		}
		out += ", " + d
	}
	return out
}

// hasToken reports whether the comma-separated header value v holds the
// directive tok (ignoring case and any "=value").
func hasToken(v, tok string) bool {
	for d := range strings.SplitSeq(v, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(d), "=")
		if strings.EqualFold(name, tok) {
			return true
		}
	}
	return false
}

func joinTokens(v, tok string) string {
	if strings.TrimSpace(v) == "" {
		return tok
	}
	return v + ", " + tok
}

// isLoopbackHost reports whether a Host header names this machine, where
// browsers accept Secure cookies over plain HTTP.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package vishnu

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The cookie store's session may take several cookies. The session's value
// is made whole by the codec (signed, and encrypted, once), then cut into
// parts:
//
//	name=<value>                          when it fits in one cookie
//	name=<n>.<part 0>; name.1=<part 1>; … name.<n-1>=<part n-1>   otherwise
//
// n is the number of cookies, 2 to MaxCookies. Reading puts the parts back
// together and verifies the whole: the MAC, at the end of the last part,
// covers every byte of every part in order, so a missing, altered,
// reordered or stale part, or a count that was changed, fails it, and the
// request has no session. Nothing is read from a part alone.
//
// Every line of a write goes out in one response; the parts of an earlier
// write that the new one does not replace (it is shorter, or it is the
// deletion of a logout) are deleted in that response too, for every part
// the request carried (see withChunkDeletions).

// maxExpiryAttrs is the longest Expires and Max-Age a session cookie line
// carries: "; Expires=" and an http.TimeFormat date (29 bytes), and
// "; Max-Age=" and at most 8 digits (MaxTimeout is 34,560,000 seconds).
const maxExpiryAttrs = len("; Expires=") + 29 + len("; Max-Age=") + 8

// minChunkBytes is the least room for value a cookie must leave once its
// name and attributes are counted, so that a session of a few values fits.
const minChunkBytes = 1024

// chunkLayout is how the cookie store of a Manager cuts its values.
type chunkLayout struct {
	// names are the cookies' names: the cookie's own, then name.1 to
	// name.7, for every part a session may have had under any MaxCookies.
	names    [maxCookiesLimit]string
	max      int // MaxCookies
	part     int // the most bytes of value in a part
	compress bool
}

// newChunkLayout validates the cookie store's options against the cookie's
// name and attributes (m.cookieAttrs), which every line carries.
func (m *Manager) newChunkLayout(o CookieStoreOptions) (*chunkLayout, error) {
	if o.MaxCookies < 1 || o.MaxCookies > maxCookiesLimit {
		return nil, configErr("Store", "the cookie store's MaxCookies must be between 1 and %d, got %d", maxCookiesLimit, o.MaxCookies)
	}
	name := m.cfg.Cookie.Name
	l := &chunkLayout{max: o.MaxCookies, compress: o.Compress}
	l.names[0] = name
	for i := 1; i < maxCookiesLimit; i++ {
		l.names[i] = name + "." + strconv.Itoa(i)
	}
	// Every line (the whole Set-Cookie value, attributes and all) stays
	// within the 4096 bytes a browser is required to keep: a part's line
	// is "name.i=" part, expiry and attributes; the first cookie's shorter
	// name leaves room for its "n." prefix.
	l.part = maxCookieBytes - len(l.names[1]) - len("=") - maxExpiryAttrs - len(m.cookieAttrs)
	if l.part < minChunkBytes {
		return nil, configErr("Cookie", "the cookie store needs at least %d bytes of each 4096-byte cookie for data; the name and attributes leave %d", minChunkBytes, l.part)
	}
	m.codec.maxValue = l.max * maxCookieBytes
	return l, nil
}

// split cuts a value into the values of its cookies: itself alone when it
// fits in one, else n parts, the first prefixed with n. It returns
// ErrCookieTooLarge when more than MaxCookies would be needed.
func (l *chunkLayout) split(v string) ([]string, error) {
	// A lone cookie has the room of a part and of the "n." prefix.
	if len(v) <= l.part+2 {
		return []string{v}, nil
	}
	n := (len(v) + l.part - 1) / l.part
	if n > l.max {
		return nil, fmt.Errorf("%w: the session takes %d bytes of cookie value, which needs %d cookies; the cookie store allows %d (CookieStoreOptions.MaxCookies) of %d bytes each", ErrCookieTooLarge, len(v), n, l.max, l.part)
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = v[i*l.part : min(len(v), (i+1)*l.part)]
	}
	parts[0] = strconv.Itoa(n) + "." + parts[0]
	return parts, nil
}

// assemble puts a value back together from its first cookie's value and
// chunk, which returns the value of the cookie names[i] the request
// carried. It reports false when a part is missing or the count is not one
// split could have written; whether the whole is genuine is the codec's
// to say.
func (l *chunkLayout) assemble(first string, chunk func(name string) (string, bool)) (string, bool) {
	count, rest, found := strings.Cut(first, ".")
	if !found {
		return first, true // a lone cookie (base64 has no '.')
	}
	if len(count) != 1 || count[0] < '2' || count[0] > '0'+byte(l.max) {
		return "", false
	}
	n := int(count[0] - '0')
	var b strings.Builder
	b.Grow(n * (l.part + 2))
	b.WriteString(rest)
	for i := 1; i < n; i++ {
		v, ok := chunk(l.names[i])
		// A part is never empty, and never longer than a cookie: a
		// request cannot make the server join more than that.
		if !ok || v == "" || len(v) > maxCookieBytes {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

// readCookie verifies and opens the session cookie whose value is v: for
// the cookie store, with the parts the request carries put back together
// and the record decompressed. It reports false for anything but a genuine
// session.
func (m *Manager) readCookie(t Transport, v string, now time.Time) (decoded, bool) {
	if m.chunks == nil {
		return m.codec.decode(v, now)
	}
	v, ok := m.chunks.assemble(v, func(name string) (string, bool) {
		// The first of several cookies of a name is the one the browser
		// holds for the longest path, as the main cookie is.
		// vals may share the transport's buffer, which its next call
		// reuses: the value is taken out at once.
		vals := t.Cookies(name)
		if len(vals) == 0 {
			return "", false
		}
		return vals[0], true
	})
	if !ok {
		return decoded{}, false
	}
	d, ok := m.codec.decode(v, now)
	if !ok {
		return d, false
	}
	d.payload, ok = unpackRecord(d.payload)
	return d, ok
}

// cookieStoreLines returns the Set-Cookie lines, joined by "\n", that hold
// a cookie-store session whose record is record.
func (m *Manager) cookieStoreLines(t *token, expires, refreshed time.Time, record []byte, timeout time.Duration) (string, error) {
	l := m.chunks
	v, err := m.codec.encode(t, expires, refreshed, l.pack(record))
	if err != nil {
		return "", fmt.Errorf("vishnu: encode cookie: %w", err)
	}
	parts, err := l.split(v)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.namedCookieLine(l.names[i], p, timeout, expires))
	}
	return b.String(), nil
}

// withChunkDeletions returns lines, the Set-Cookie lines a response sends
// for the session (joined by "\n"), with a deleting line added for each
// part cookie the request carried that lines do not set: the spare parts
// of a session that shrank, and every part at a logout. Parts are looked
// for under every count a session may have had, so that none outlives a
// lowered MaxCookies.
func (m *Manager) withChunkDeletions(t Transport, lines string) string {
	if m.chunks == nil || lines == "" {
		return lines
	}
	for i := 1 + strings.Count(lines, "\n"); i < maxCookiesLimit; i++ {
		if name := m.chunks.names[i]; len(t.Cookies(name)) > 0 {
			lines += "\n" + m.namedCookieLine(name, "", UntilBrowserCloses, time.Time{})
		}
	}
	return lines
}

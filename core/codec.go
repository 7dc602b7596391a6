package vishnu

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"io"
	"sync"
	"time"
)

// The cookie codec turns (token, expiry, payload) into a cookie value and
// back. Layout, before base64url without padding:
//
//	version (1) | body | HMAC-SHA256 (32)
//	body = token (32) | expiry (8) | lifetime (4) | payload        without a key
//	body = nonce (12) | AES-256-GCM(token | expiry | lifetime | payload)  with a key
//
// expiry is in Unix seconds; lifetime is the seconds from the last refresh
// of the expiry to the expiry, so that the server can tell how long the
// session has been idle and enforce the timeout in force now, not the one
// in force when the cookie was made.
//
// The MAC covers the cookie name, the version and the body, so a value
// cannot be moved to another cookie, and it is checked (in constant time)
// before anything is decrypted. The payload is empty for server-side stores
// and holds the record for the cookie store. Signing and encryption keys are
// derived from the configured secrets with HKDF, so neither is used raw and
// the two can never coincide.

const (
	tokenSize      = 32
	expirySize     = 8
	lifetimeSize   = 4
	macSize        = sha256.Size
	codecVersion   = 2
	maxCookieBytes = 4096 // what a browser must keep of one cookie (RFC 6265, 6.1)
)

// Strict: a value has exactly one encoding, so no altered value can pass.
var b64 = base64.RawURLEncoding.Strict()

// token is a session's secret: 256 bits from crypto/rand.
type token [tokenSize]byte

func newToken() (token, error) {
	var t token
	_, err := rand.Read(t[:])
	return t, err
}

// storeID derives the id a Store sees: a one-way hash, so that what a store
// holds can't be turned back into a cookie.
func (t *token) storeID() string {
	sum := sha256.Sum256(t[:])
	var buf [43]byte // b64.EncodedLen(sha256.Size)
	b64.Encode(buf[:], sum[:])
	return string(buf[:])
}

type signer struct {
	key  []byte
	pool sync.Pool // of *macState; hmac.New costs more than a Reset
}

type macState struct {
	h   hash.Hash
	out [macSize]byte
	// scratch holds a cookie value before base64 while it is made, when
	// it fits: a server-side store's cookie, encrypted or not, does.
	scratch [128]byte
}

func newSigner(secret []byte) (*signer, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, "vishnu cookie signature v1", 32)
	if err != nil {
		return nil, err
	}
	s := &signer{key: key}
	s.pool.New = func() any { return &macState{h: hmac.New(sha256.New, s.key)} }
	return s, nil
}

// sum appends the MAC of msg under the cookie name (prefix is the name and a
// NUL byte) to dst.
func (s *signer) sum(dst, prefix, msg []byte) []byte {
	st := s.pool.Get().(*macState)
	dst = st.sum(dst, prefix, msg)
	s.pool.Put(st)
	return dst
}

// sum is signer.sum with a state taken from the signer's pool.
func (st *macState) sum(dst, prefix, msg []byte) []byte {
	st.h.Reset()
	st.h.Write(prefix)
	st.h.Write(msg)
	return append(dst, st.h.Sum(st.out[:0])...)
}

// verify reports whether mac is the MAC of msg, in constant time.
func (s *signer) verify(prefix, msg, mac []byte) bool {
	st := s.pool.Get().(*macState)
	st.h.Reset()
	st.h.Write(prefix)
	st.h.Write(msg)
	ok := hmac.Equal(st.h.Sum(st.out[:0]), mac)
	s.pool.Put(st)
	return ok
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, key, nil, "vishnu cookie encryption v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// codec holds the current signer and cipher first, then the previous ones
// that are still accepted for reading.
type codec struct {
	name    string
	prefix  []byte // name and a NUL byte: what the MAC starts with
	signers []*signer
	aeads   []cipher.AEAD // empty when cookies are only signed
	random  io.Reader     // nonces; crypto/rand, or a fixed source in tests
	// maxValue is the longest value accepted: one cookie's, or for the
	// cookie store, that of all the cookies a session may take.
	maxValue int
}

func newCodec(name string, secrets, keys [][]byte) (*codec, error) {
	c := &codec{name: name, prefix: append([]byte(name), 0), random: rand.Reader, maxValue: maxCookieBytes}
	for _, s := range secrets {
		sg, err := newSigner(s)
		if err != nil {
			return nil, err
		}
		c.signers = append(c.signers, sg)
	}
	for _, k := range keys {
		a, err := newAEAD(k)
		if err != nil {
			return nil, err
		}
		c.aeads = append(c.aeads, a)
	}
	return c, nil
}

// encode returns the cookie value for a session.
func (c *codec) encode(t *token, expires, refreshed time.Time, payload []byte) (string, error) {
	v, err := c.appendEncoded(nil, t, expires, refreshed, payload)
	return string(v), err
}

// appendEncoded appends the cookie value for a session to dst.
func (c *codec) appendEncoded(dst []byte, t *token, expires, refreshed time.Time, payload []byte) ([]byte, error) {
	plainLen := tokenSize + expirySize + lifetimeSize + len(payload)
	n := 1 + plainLen + macSize
	if len(c.aeads) > 0 {
		n += c.aeads[0].NonceSize() + c.aeads[0].Overhead()
	}
	sg := c.signers[0]
	st := sg.pool.Get().(*macState)
	defer sg.pool.Put(st)
	var buf []byte
	if n <= len(st.scratch) {
		buf = st.scratch[:1]
	} else {
		buf = make([]byte, 1, n)
	}
	buf[0] = codecVersion
	if len(c.aeads) == 0 {
		buf = appendPlain(buf, t, expires, refreshed, payload)
	} else {
		a := c.aeads[0]
		nonce := buf[1 : 1+a.NonceSize()]
		if _, err := io.ReadFull(c.random, nonce); err != nil {
			return dst, err
		}
		buf = buf[:1+len(nonce)]
		// Seal in place: the plaintext is laid where the ciphertext goes.
		plain := appendPlain(buf[len(buf):], t, expires, refreshed, payload)
		buf = a.Seal(buf, nonce, plain, []byte(c.name))
	}
	buf = st.sum(buf, c.prefix, buf)
	return b64.AppendEncode(dst, buf), nil
}

func appendPlain(b []byte, t *token, expires, refreshed time.Time, payload []byte) []byte {
	b = append(b, t[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.Unix()))
	// A lifetime never exceeds MaxTimeout (under 2^32 seconds).
	life := max(0, expires.Unix()-refreshed.Unix())
	b = binary.BigEndian.AppendUint32(b, uint32(min(life, 1<<32-1)))
	return append(b, payload...)
}

// decoded is what a valid cookie carries.
type decoded struct {
	token     token
	expires   time.Time
	refreshed time.Time // when expires was set
	payload   []byte
	// stale is set when the value was made with a previous secret or key,
	// so that it gets re-issued under the current ones.
	stale bool
}

// decode verifies and opens a cookie value. It reports false for anything
// that is not a valid, unexpired value made for this cookie name; it never
// says why, since the answer is the same ("no session") for every reason.
func (c *codec) decode(value string, now time.Time) (d decoded, ok bool) {
	if len(value) > c.maxValue || len(value) < b64.EncodedLen(1+tokenSize+expirySize+lifetimeSize+macSize) {
		return d, false
	}
	raw, err := b64.DecodeString(value)
	// The decoder skips line breaks; a value is valid only in its one form.
	if err != nil || b64.EncodedLen(len(raw)) != len(value) || raw[0] != codecVersion {
		return d, false
	}
	msg, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	verified := -1
	for i, s := range c.signers {
		if s.verify(c.prefix, msg, mac) {
			verified = i
			break
		}
	}
	if verified < 0 {
		return d, false
	}
	d.stale = verified > 0
	plain := msg[1:]
	if len(c.aeads) > 0 {
		opened := false
		for i, a := range c.aeads {
			ns := a.NonceSize()
			if len(plain) < ns+a.Overhead() {
				return d, false
			}
			if p, err := a.Open(nil, plain[:ns], plain[ns:], []byte(c.name)); err == nil {
				plain, opened = p, true
				d.stale = d.stale || i > 0
				break
			}
		}
		if !opened {
			return d, false
		}
	}
	if len(plain) < tokenSize+expirySize+lifetimeSize {
		return d, false
	}
	copy(d.token[:], plain)
	exp := int64(binary.BigEndian.Uint64(plain[tokenSize:]))
	life := int64(binary.BigEndian.Uint32(plain[tokenSize+expirySize:]))
	d.expires, d.refreshed = time.Unix(exp, 0), time.Unix(exp-life, 0)
	if !now.Before(d.expires) {
		return d, false
	}
	d.payload = plain[tokenSize+expirySize+lifetimeSize:]
	return d, true
}

package vishnu

import (
	"bytes"
	"testing"
	"time"
)

// A cookie value is at most maxCookieBytes long: the longest value the
// codec makes is accepted, one longer is not, whatever it carries.
func TestCodecLengthBounds(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		c := testCodec(t, encrypt)
		tok, _ := newToken()
		exp := testNow.Add(time.Hour)
		raw, _ := b64.DecodeString(encodeOrFatal(t, c, &tok, exp, nil))
		// Base64 without padding: 3 bytes make 4 characters.
		fits := maxCookieBytes/4*3 - len(raw)
		for _, n := range []int{fits, fits + 1, fits + 2, fits + 3} {
			v := encodeOrFatal(t, c, &tok, exp, bytes.Repeat([]byte{'p'}, n))
			_, ok := c.decode(v, testNow)
			if want := len(v) <= maxCookieBytes; ok != want {
				t.Errorf("encrypt=%v: a valid value of %d bytes: accepted %v, want %v", encrypt, len(v), ok, want)
			}
		}
		v := encodeOrFatal(t, c, &tok, exp, bytes.Repeat([]byte{'p'}, fits))
		if len(v) != maxCookieBytes {
			t.Fatalf("encrypt=%v: the longest value is %d bytes, want %d", encrypt, len(v), maxCookieBytes)
		}
	}
}

func encodeOrFatal(t *testing.T, c *codec, tok *token, exp time.Time, payload []byte) string {
	t.Helper()
	v, err := c.encode(tok, exp, testNow, payload)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A value is valid in its one encoding: line breaks, which the base64
// decoder would skip, make it invalid.
func TestCodecRejectsLineBreaks(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		c := testCodec(t, encrypt)
		tok, _ := newToken()
		v := encodeOrFatal(t, c, &tok, testNow.Add(time.Hour), nil)
		for _, brk := range []string{"\n", "\r\n", "\r"} {
			for _, at := range []int{1, len(v) / 2, len(v) - 1} {
				if _, ok := c.decode(v[:at]+brk+v[at:], testNow); ok {
					t.Errorf("encrypt=%v: %q inserted at %d accepted", encrypt, brk, at)
				}
			}
		}
	}
}

// sign returns a value whose MAC is valid under c's current secret but
// whose body is body as given: what only the holder of the secret could
// make, to check that the codec does not trust a verified body's layout.
func (c *codec) sign(body []byte) string {
	return b64.EncodeToString(c.signers[0].sum(body, c.prefix, body))
}

// A correctly signed value whose version or length is wrong is rejected,
// and never panics.
func TestCodecRejectsSignedMalformedBodies(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		c := testCodec(t, encrypt)
		tok, _ := newToken()
		good := encodeOrFatal(t, c, &tok, testNow.Add(time.Hour), nil)
		raw, _ := b64.DecodeString(good)
		body := raw[:len(raw)-macSize]
		if _, ok := c.decode(c.sign(body), testNow); !ok {
			t.Fatalf("encrypt=%v: re-signing a valid body broke it", encrypt)
		}
		other := append([]byte{codecVersion - 1}, body[1:]...)
		if _, ok := c.decode(c.sign(other), testNow); ok {
			t.Errorf("encrypt=%v: version %d accepted", encrypt, codecVersion-1)
		}
		for n := 1; n < len(body); n++ {
			if _, ok := c.decode(c.sign(body[:n]), testNow); ok {
				t.Errorf("encrypt=%v: a signed body cut to %d bytes accepted", encrypt, n)
			}
		}
		// Padded to the least length the codec reads, but short inside.
		short := append([]byte{codecVersion}, bytes.Repeat([]byte{1}, tokenSize+expirySize+lifetimeSize)...)
		if _, ok := c.decode(c.sign(short[:len(short)-1]), testNow); ok {
			t.Errorf("encrypt=%v: a signed body one byte short accepted", encrypt)
		}
		if encrypt {
			a := c.aeads[0]
			// Sealed, but too short to hold the token, expiry and lifetime.
			nonce := make([]byte, a.NonceSize())
			for _, n := range []int{0, tokenSize, tokenSize + expirySize + lifetimeSize - 1} {
				sealed := a.Seal(append([]byte{codecVersion}, nonce...), nonce, make([]byte, n), []byte(c.name))
				if _, ok := c.decode(c.sign(sealed), testNow); ok {
					t.Errorf("a sealed body of %d plain bytes accepted", n)
				}
			}
		}
	}
}

// A cookie made under a previous encryption key is stale (re-issued under
// the current one) even when its secret is the current one, and under any
// previous secret, not only the first.
func TestCodecStaleUnderAnyPreviousSecretOrKey(t *testing.T) {
	secretC := []byte("a third secret, thirty-two bytes")
	keyC := []byte("a third key, of thirty-two bytes")
	tok, _ := newToken()
	exp := testNow.Add(time.Hour)
	cases := []struct {
		name          string
		made, read    [2][][]byte // secrets, keys
		stale, accept bool
	}{
		{"current", [2][][]byte{{testSecretA}, {testSecretB}}, [2][][]byte{{testSecretA, secretC}, {testSecretB, keyC}}, false, true},
		{"previous key, current secret", [2][][]byte{{testSecretA}, {keyC}}, [2][][]byte{{testSecretA}, {testSecretB, keyC}}, true, true},
		{"second previous key", [2][][]byte{{testSecretA}, {keyC}}, [2][][]byte{{testSecretA}, {testSecretB, secretC, keyC}}, true, true},
		{"second previous secret", [2][][]byte{{secretC}, nil}, [2][][]byte{{testSecretA, testSecretB, secretC}, nil}, true, true},
		{"first previous secret", [2][][]byte{{testSecretB}, nil}, [2][][]byte{{testSecretA, testSecretB, secretC}, nil}, true, true},
		{"dropped key", [2][][]byte{{testSecretA}, {keyC}}, [2][][]byte{{testSecretA}, {testSecretB}}, false, false},
		{"dropped secret", [2][][]byte{{secretC}, nil}, [2][][]byte{{testSecretA, testSecretB}, nil}, false, false},
	}
	for _, tc := range cases {
		made, err := newCodec("vishnu", tc.made[0], tc.made[1])
		if err != nil {
			t.Fatal(err)
		}
		read, err := newCodec("vishnu", tc.read[0], tc.read[1])
		if err != nil {
			t.Fatal(err)
		}
		v := encodeOrFatal(t, made, &tok, exp, []byte("data"))
		d, ok := read.decode(v, testNow)
		if ok != tc.accept || (ok && (d.stale != tc.stale || d.token != tok || string(d.payload) != "data")) {
			t.Errorf("%s: accepted %v (want %v), stale %v (want %v)", tc.name, ok, tc.accept, d.stale, tc.stale)
		}
	}
}

// The lifetime a cookie carries (from its last refresh to its expiry) is
// kept within its four bytes: never negative, never wrapped around.
func TestCodecLifetimeIsClamped(t *testing.T) {
	c := testCodec(t, false)
	tok, _ := newToken()
	exp := testNow.Add(time.Hour)
	for _, tc := range []struct {
		refreshed, want time.Time
	}{
		{testNow, testNow},
		{exp.Add(time.Hour), exp}, // refreshed "after" its expiry: lifetime 0
		{exp.Add(-(1 << 32) * time.Second), exp.Add(-(1<<32 - 1) * time.Second)}, // clamped to the largest
		{exp.Add(-(1<<32 - 1) * time.Second), exp.Add(-(1<<32 - 1) * time.Second)},
	} {
		v, err := c.encode(&tok, exp, tc.refreshed, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := c.decode(v, testNow)
		if !ok || !d.refreshed.Equal(tc.want) {
			t.Errorf("refreshed %v: decoded %v (ok %v), want %v", tc.refreshed, d.refreshed, ok, tc.want)
		}
	}
}

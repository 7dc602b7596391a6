package vishnu

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// chunkManager returns a Manager of the cookie store with the options o,
// signing only or encrypting too, whose nonces are zeros so that fuzzing
// processes agree on the genuine values.
func chunkManager(t testing.TB, o CookieStoreOptions, encrypt bool) *Manager {
	t.Helper()
	st, err := NewCookieStoreWithOptions(o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, Secret: testSecretA, Cookie: CookieConfig{Insecure: true}, Logger: slog.New(slog.DiscardHandler)}
	if encrypt {
		cfg.EncryptKey = testSecretB
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.codec.random = zeroReader{}
	return m
}

// fromParts returns the chunk function of assemble over the cookie values
// parts (parts[i] under names[i]).
func fromParts(l *chunkLayout, parts []string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for i, p := range parts {
			if l.names[i] == name && i > 0 {
				return p, true
			}
		}
		return "", false
	}
}

// Values of every length around each boundary between n and n+1 cookies
// are cut into the right number of parts, each within its room, and put
// back together whole.
func TestChunkSplitBoundaries(t *testing.T) {
	m := chunkManager(t, CookieStoreOptions{}, true)
	l := m.chunks
	if l.max != 4 {
		t.Fatalf("default MaxCookies = %d, want 4", l.max)
	}
	lone := l.part + 2 // a lone cookie has the room of the "n." prefix too
	cases := map[int]int{lone - 1: 1, lone: 1, lone + 1: 2}
	for n := 2; n <= l.max; n++ {
		cases[n*l.part-1], cases[n*l.part] = n, n
		cases[n*l.part+1] = n + 1
	}
	for size, want := range cases {
		v := strings.Repeat("A", size)
		parts, err := l.split(v)
		if want > l.max {
			if !errors.Is(err, ErrCookieTooLarge) {
				t.Fatalf("%d bytes: err %v, want ErrCookieTooLarge", size, err)
			}
			continue
		}
		if err != nil || len(parts) != want {
			t.Fatalf("%d bytes: %d parts, %v; want %d", size, len(parts), err, want)
		}
		for i, p := range parts {
			line := m.namedCookieLine(l.names[i], p, time.Hour, time.Now().Add(MaxTimeout))
			if len(line) > maxCookieBytes {
				t.Fatalf("%d bytes: the line of part %d is %d bytes", size, i, len(line))
			}
		}
		got, ok := l.assemble(parts[0], fromParts(l, parts))
		if !ok || got != v {
			t.Fatalf("%d bytes: assembled %d bytes, %v", size, len(got), ok)
		}
	}
}

// Through the codec: a session of each size round-trips, compressed or not.
func TestCookieStoreRecordRoundTrip(t *testing.T) {
	now := time.Now()
	for _, compress := range []bool{false, true} {
		m := chunkManager(t, CookieStoreOptions{Compress: compress}, true)
		m.codec.random = rand.Reader
		for _, size := range []int{0, 100, 3000, 4000, 8000, 11000} {
			rec := EncodeRecord(map[string][]byte{"k": randomText(size)})
			tok := token{7}
			lines, err := m.cookieStoreLines(&tok, now.Add(time.Hour), now, rec, time.Hour)
			if err != nil {
				t.Fatalf("compress %v, %d bytes: %v", compress, size, err)
			}
			var parts []string
			for line := range strings.SplitSeq(lines, "\n") {
				_, v, _ := strings.Cut(line, "=")
				v, _, _ = strings.Cut(v, ";")
				parts = append(parts, v)
			}
			v, ok := m.chunks.assemble(parts[0], fromParts(m.chunks, parts))
			if !ok {
				t.Fatalf("compress %v, %d bytes: does not assemble", compress, size)
			}
			d, ok := m.codec.decode(v, now)
			if !ok {
				t.Fatalf("compress %v, %d bytes: does not decode", compress, size)
			}
			if got, ok := unpackRecord(d.payload); !ok || !bytes.Equal(got, rec) || d.token != tok {
				t.Fatalf("compress %v, %d bytes: the record changed", compress, size)
			}
		}
	}
}

// Compression is used only where it makes the record shorter.
func TestPackOnlyWhenShorter(t *testing.T) {
	l := &chunkLayout{compress: true}
	text := bytes.Repeat([]byte("session data "), 100)
	if p := l.pack(text); p[0] != packedDeflate || len(p) >= len(text) {
		t.Fatalf("repetitive text not compressed: %d bytes of %d", len(p), len(text))
	}
	noise := randomText(2000)
	if p := l.pack(noise); !bytes.Equal(p, noise) {
		t.Fatal("incompressible data must be kept as it is")
	}
	if p := (&chunkLayout{}).pack(text); !bytes.Equal(p, text) {
		t.Fatal("compression is off by default")
	}
	// What inflates past maxUnpacked is refused; up to it is accepted.
	for _, n := range []int{maxUnpacked, maxUnpacked + 1} {
		var buf bytes.Buffer
		buf.WriteByte(packedDeflate)
		w, _ := flate.NewWriter(&buf, flate.BestSpeed)
		_, _ = w.Write(make([]byte, n))
		_ = w.Close()
		if _, ok := unpackRecord(buf.Bytes()); ok != (n <= maxUnpacked) {
			t.Fatalf("%d bytes inflated: accepted %v", n, ok)
		}
	}
}

// randomText returns n bytes that do not compress.
func randomText(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// FuzzAssembleCookie feeds arbitrary cookie values, as a request would
// carry them under the names of a session's four cookies, to the cookie
// store's reader: it must never panic, and must accept nothing but the
// values it made, whole.
func FuzzAssembleCookie(f *testing.F) {
	now := time.Unix(1_900_000_000, 0)
	ms := []*Manager{chunkManager(f, CookieStoreOptions{}, false), chunkManager(f, CookieStoreOptions{Compress: true}, true)}
	genuine := map[string]bool{}
	for _, m := range ms {
		for _, size := range []int{10, 2500, 5000, 8000} {
			rec := EncodeRecord(map[string][]byte{"k": bytes.Repeat([]byte{'a', 'b', 'c', byte(size)}, size/4)})
			v, err := m.codec.encode(&token{1}, now.Add(time.Hour), now, m.chunks.pack(rec))
			if err != nil {
				f.Fatal(err)
			}
			genuine[v] = true
			parts, err := m.chunks.split(v)
			if err != nil {
				f.Fatal(err)
			}
			parts = append(parts, "", "", "")
			f.Add(parts[0], parts[1], parts[2], parts[3])
		}
	}
	f.Add("2.AAAA", "", "x", "")
	f.Add("4.", "A", "A", "A")
	f.Fuzz(func(t *testing.T, first, c1, c2, c3 string) {
		for _, m := range ms {
			v, ok := m.chunks.assemble(first, fromParts(m.chunks, []string{first, c1, c2, c3}))
			if !ok {
				continue
			}
			d, ok := m.codec.decode(v, now)
			if !ok {
				continue
			}
			if !genuine[v] {
				t.Fatalf("accepted a value it did not make: %q", v)
			}
			if _, ok := unpackRecord(d.payload); !ok {
				t.Fatal("a genuine value's record does not unpack")
			}
		}
	})
}

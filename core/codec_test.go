package vishnu

import (
	"bytes"
	"encoding/binary"
	"maps"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	testNow     = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	testSecretA = []byte("0123456789abcdef0123456789abcdef")
	testSecretB = []byte("fedcba9876543210fedcba9876543210")
)

func testCodec(t testing.TB, encrypt bool) *codec {
	var keys [][]byte
	if encrypt {
		keys = [][]byte{testSecretB}
	}
	c, err := newCodec("vishnu", [][]byte{testSecretA}, keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCodecRoundTripAndEveryAlterationRejected(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		c := testCodec(t, encrypt)
		tok, _ := newToken()
		exp := testNow.Add(time.Hour)
		v, err := c.encode(&tok, exp, testNow, []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		d, ok := c.decode(v, testNow)
		if !ok || d.token != tok || !d.expires.Equal(exp) || string(d.payload) != "payload" || d.stale {
			t.Fatalf("encrypt=%v: round trip failed: %+v %v", encrypt, d, ok)
		}
		// Every single-character change, every truncation, is rejected.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		for i := range len(v) {
			for _, ch := range []byte{alphabet[(bytes.IndexByte([]byte(alphabet), v[i])+1)%64], '='} {
				altered := v[:i] + string(ch) + v[i+1:]
				if _, ok := c.decode(altered, testNow); ok {
					t.Fatalf("encrypt=%v: altered at %d accepted", encrypt, i)
				}
			}
			if _, ok := c.decode(v[:i], testNow); ok {
				t.Fatalf("encrypt=%v: truncated to %d accepted", encrypt, i)
			}
		}
		if _, ok := c.decode(v, exp); ok {
			t.Fatal("accepted at its expiry")
		}
		renamed, _ := newCodec("other", [][]byte{testSecretA}, c.keys())
		if _, ok := renamed.decode(v, testNow); ok {
			t.Fatal("accepted under another cookie name")
		}
	}
}

// keys returns the encryption keys the codec was made with, for tests.
func (c *codec) keys() [][]byte {
	if len(c.aeads) == 0 {
		return nil
	}
	return [][]byte{testSecretB}
}

func TestCodecRotation(t *testing.T) {
	old := testCodec(t, true)
	tok, _ := newToken()
	v, _ := old.encode(&tok, testNow.Add(time.Hour), testNow, nil)
	newKey := []byte("a new key, thirty-two bytes long")
	rotated, _ := newCodec("vishnu", [][]byte{newKey, testSecretA}, [][]byte{newKey, testSecretB})
	d, ok := rotated.decode(v, testNow)
	if !ok || !d.stale || d.token != tok {
		t.Fatalf("old cookie under rotated codec: ok=%v stale=%v", ok, d.stale)
	}
	v2, _ := rotated.encode(&tok, testNow.Add(time.Hour), testNow, nil)
	if d, ok := rotated.decode(v2, testNow); !ok || d.stale {
		t.Fatal("a current cookie must not be stale")
	}
	if _, ok := old.decode(v2, testNow); ok {
		t.Fatal("the old codec accepted a cookie under the new secret")
	}
}

func TestRecordRoundTripAndApply(t *testing.T) {
	fields := map[string][]byte{"a": []byte("1"), "": {}, "\x00meta": {0, 1, 2}}
	got, err := DecodeRecord(EncodeRecord(fields))
	if err != nil || len(got) != 3 || string(got["\x00meta"]) != "\x00\x01\x02" {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := (&Change{}).Apply(nil); err != ErrNotFound {
		t.Fatalf("Apply without Create on nothing: %v", err)
	}
	rec, err := (&Change{Replace: true, Set: []Field{{"b", []byte("2")}}}).Apply(EncodeRecord(fields))
	if got, _ := DecodeRecord(rec); err != nil || len(got) != 1 || string(got["b"]) != "2" {
		t.Fatalf("Replace: %v %v", got, err)
	}
	for _, bad := range [][]byte{nil, {}, {2}, {1}, {1, 1}, {1, 1, 5, 'a'}, {1, 0, 0}, {1, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200}} {
		if _, err := DecodeRecord(bad); err == nil {
			t.Errorf("DecodeRecord(%v) accepted", bad)
		}
	}
}

// TestApplyMatchesMapMerge checks Change.Apply against the obvious merge of
// decoded fields, on random records and changes.
func TestApplyMatchesMapMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() string { return string(rune('a' + rng.IntN(24))) }
	for range 2000 {
		cur := map[string][]byte{}
		for range rng.IntN(8) {
			cur[key()] = []byte(key())
		}
		c := &Change{Create: true, Replace: rng.IntN(4) == 0}
		for range rng.IntN(30) {
			if rng.IntN(2) == 0 {
				c.Delete = append(c.Delete, key())
			} else {
				c.Set = append(c.Set, Field{key(), []byte(key() + key())})
			}
		}
		want := map[string][]byte{}
		if !c.Replace {
			maps.Copy(want, cur)
		}
		for _, k := range c.Delete {
			delete(want, k)
		}
		for _, f := range c.Set {
			want[f.Key] = f.Value
		}
		out, err := c.Apply(EncodeRecord(cur))
		got, derr := DecodeRecord(out)
		if err != nil || derr != nil || !maps.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("Apply(%v, %+v) = %v (%v %v), want %v", cur, c, got, err, derr, want)
		}
		if n, _ := binary.Uvarint(out[1:]); int(n) != len(want) {
			t.Fatalf("record says %d fields, holds %d", n, len(want))
		}
	}
}

package memcachestore

import (
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

func TestNewRejectsBadInput(t *testing.T) {
	c := memcache.New(DefaultServer)
	if s, err := New(nil); err == nil || s != nil {
		t.Fatalf("New(nil) = %v, %v; want an error", s, err)
	}
	bad := map[string][]Option{
		"prefix with a space":       {WithPrefix("my app:")},
		"prefix with a newline":     {WithPrefix("app\n")},
		"prefix with a NUL":         {WithPrefix("app\x00")},
		"prefix with DEL":           {WithPrefix("app\x7f")},
		"prefix too long":           {WithPrefix(strings.Repeat("p", MaxPrefixLen+1))},
		"item size below memcached": {WithMaxItemSize(1023)},
		"negative retries":          {WithMaxRetries(-1)},
	}
	for name, opts := range bad {
		s, err := New(c, opts...)
		if err == nil || s != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, s, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "memcachestore: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	s, err := New(memcache.New(DefaultServer))
	if err != nil {
		t.Fatal(err)
	}
	if s.prefix != "vishnu:" || s.maxItemSize != 1<<20 || s.maxRetries != 50 {
		t.Fatalf("defaults: prefix %q, max item size %d, max retries %d", s.prefix, s.maxItemSize, s.maxRetries)
	}
	for _, opts := range [][]Option{
		{WithPrefix("")},
		{WithPrefix(strings.Repeat("p", MaxPrefixLen))},
		{WithPrefix("ünïcode:")}, // bytes over 0x7f are valid in memcached keys
		{WithMaxItemSize(1024), WithMaxRetries(0)},
	} {
		if _, err := New(memcache.New(DefaultServer), opts...); err != nil {
			t.Errorf("New: %v", err)
		}
	}
}

func TestKeys(t *testing.T) {
	long := strings.Repeat("p", MaxPrefixLen)
	for _, prefix := range []string{"", "vishnu:", long} {
		s, err := New(memcache.New(DefaultServer), WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, id := range []string{
			"Vq3Jx0-_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXy", // Vishnu's form
			"", "a", "with space", "tab\there", "nl\n", "nul\x00", "del\x7f", "#hashlike",
			"#" + strings.Repeat("A", 43), strings.Repeat("x", 250), strings.Repeat("x", 251),
		} {
			k := s.key(id)
			if len(k) > maxKeyLen || illegalKeyByte(k) >= 0 {
				t.Errorf("prefix %d bytes, id %q: key %q is not a valid memcached key", len(prefix), id, k)
			}
			if !strings.HasPrefix(k, prefix) {
				t.Errorf("key %q lacks prefix %q", k, prefix)
			}
			if other, dup := seen[k]; dup {
				t.Errorf("ids %q and %q share key %q", other, id, k)
			}
			seen[k] = id
		}
		if id := "Vq3Jx0-_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXy"; prefix != long && s.key(id) != prefix+id {
			t.Errorf("a Vishnu id is not used as it is: %q", s.key(id))
		}
	}
}

func TestExpiration(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 250_000_000, time.UTC)
	const day = 24 * time.Hour
	cases := []struct {
		name    string
		expires time.Time
		want    int32
		live    bool
	}{
		{"zero time", time.Time{}, 0, false},
		{"past", now.Add(-time.Second), 0, false},
		{"now", now, 0, false},
		{"a nanosecond", now.Add(1), 2, true},
		{"one second", now.Add(time.Second), 2, true},
		{"1.5 seconds", now.Add(1500 * time.Millisecond), 3, true},
		{"an hour", now.Add(time.Hour), 3601, true},
		{"30 days less 1s: relative", now.Add(30*day - time.Second), 30 * 86400, true},
		{"30 days: absolute", now.Add(30 * day), int32(now.Add(30*day).Unix()) + 2, true},
		{"31 days: absolute", now.Add(31 * day), int32(now.Add(31*day).Unix()) + 2, true},
		{"whole second: absolute", time.Unix(1_900_000_000, 0), 1_900_000_001, true},
		{"past 2038: no expiry", time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), 0, true},
		{"far future: no expiry", now.Add(1<<63 - 1), 0, true},
	}
	for _, c := range cases {
		got, live := expiration(now, c.expires)
		if got != c.want || live != c.live {
			t.Errorf("%s: expiration = %d, %v; want %d, %v", c.name, got, live, c.want, c.live)
		}
		if live && got > maxRelativeExpiry {
			// An absolute time must not be before the expiry asked for.
			if at := time.Unix(int64(got), 0); at.Before(c.expires) {
				t.Errorf("%s: absolute %v is before %v", c.name, at, c.expires)
			}
		}
	}
}

package vishnu_test

import (
	"context"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The OWASP ASVS 4.0 session requirements a library can own, each mapped to
// the test that shows it (see the README's table). Those not tested here
// are tested in the file named beside them.
//
//	V3.2.1 new token at authentication     TestRegenerate (http_test.go)
//	V3.2.2 at least 64 bits of entropy     TestASVS_TokensAreRandom256Bits
//	V3.2.3 tokens kept in secure cookies   TestDefaultCookieAttributesOverTLS (cookie_test.go),
//	       or a header, never a URL        TestTokenNotFromURL, TestTokenNoFixationAcrossSources (tokensource_test.go)
//	V3.3.1 logout and expiry invalidate    TestDestroy, TestServerEnforcesExpiry (http_test.go)
//	V3.3.2 periodic re-authentication      TestAbsoluteTimeout (http_test.go)
//	V3.4.1-3 Secure, HttpOnly, SameSite    TestDefaultCookieAttributesOverTLS (cookie_test.go)
//	V3.4.4 __Host- prefix                  TestConfiguredCookieAttributes, TestConfigErrorsNameTheField
//	V3.4.5 precise Path                    TestConfiguredCookieAttributes (cookie_test.go)
//	store dump cannot be replayed          TestASVS_StoreDumpCannotBeReplayed
//	V7.4.1 (5.0) ending ends, every store   TestCookieStorePasswordChangeEndsOtherSessions (userend_test.go)

// recordingStore remembers the ids it was given.
type recordingStore struct {
	vishnu.Store
	mu  sync.Mutex
	ids map[string]bool
}

func (s *recordingStore) Save(ctx context.Context, id string, data []byte, exp time.Time) error {
	s.mu.Lock()
	s.ids[id] = true
	s.mu.Unlock()
	return s.Store.Save(ctx, id, data, exp)
}

func TestASVS_TokensAreRandom256Bits(t *testing.T) {
	cfg, _ := testConfig(newClock())
	rs := &recordingStore{Store: vishnu.NewMemoryStore(), ids: map[string]bool{}}
	cfg.Store = rs
	base := serve(t, newManager(t, cfg), app())
	cookies := map[string]bool{}
	const n = 200
	for range n {
		b := newBrowser(t, base)
		b.expect("/set?k=a&v=1", "ok")
		v := b.cookie("vishnu")
		raw, err := base64.RawURLEncoding.DecodeString(v)
		// version, 32-byte token, 8-byte expiry, 4-byte lifetime, 32-byte MAC
		if err != nil || len(raw) != 1+32+8+4+32 {
			t.Fatalf("cookie of %d bytes: %v", len(raw), err)
		}
		cookies[string(raw[1:33])] = true
	}
	if len(cookies) != n || len(rs.ids) != n {
		t.Fatalf("%d sessions gave %d distinct tokens and %d distinct store ids", n, len(cookies), len(rs.ids))
	}
}

func TestASVS_StoreDumpCannotBeReplayed(t *testing.T) {
	cfg, _ := testConfig(newClock())
	rs := &recordingStore{Store: vishnu.NewMemoryStore(), ids: map[string]bool{}}
	cfg.Store = rs
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=user&v=ann", "ok")
	token := b.cookie("vishnu")
	for id := range rs.ids {
		if id == token || len(id) != 43 {
			t.Fatalf("the store sees %q; it must be a hash of the token, not the token", id)
		}
		thief := newBrowser(t, base)
		thief.setCookie("vishnu", id)
		thief.expect("/get?k=user", "false:")
	}
}

package vishnu_test

import (
	"testing"
)

// A cookie made under a previous encryption key (with the secret unchanged),
// or under any of several previous secrets, is accepted and re-issued under
// the current ones at once; the re-issued cookie is then current, and
// still works once the previous secrets and keys are dropped.
func TestRotationReissuesUnderTheCurrentSecretAndKey(t *testing.T) {
	secret2 := []byte("a second secret of thirty-two b.")
	secret3 := []byte("a third secret of thirty-two by.")
	key1 := []byte("an encryption key of 32 bytes!!!")
	key2 := []byte("another encryption key, 32 bytes")
	cases := []struct {
		name                  string
		secret, key           []byte
		prevSecrets, prevKeys [][]byte
	}{
		{"previous key", testSecret, key2, nil, [][]byte{key1}},
		{"second previous secret", secret3, key1, [][]byte{secret2, testSecret}, nil},
		{"previous secret and key", secret2, key2, [][]byte{testSecret}, [][]byte{key1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, st := testConfig(newClock())
			cfg.EncryptKey = key1
			b := newBrowser(t, serve(t, newManager(t, cfg), app()))
			b.expect("/set?k=a&v=1", "ok")
			old := b.cookie("vishnu")

			rotated := cfg
			rotated.Store = st
			rotated.Secret, rotated.EncryptKey = tc.secret, tc.key
			rotated.PreviousSecrets, rotated.PreviousEncryptKeys = tc.prevSecrets, tc.prevKeys
			b.base = serve(t, newManager(t, rotated), app())
			set := b.expect("/get?k=a", "true:1")
			if len(set) != 1 || b.cookie("vishnu") == old {
				t.Fatalf("a cookie of a previous secret or key must be re-issued, got %q", set)
			}
			if set := b.expect("/get?k=a", "true:1"); len(set) != 0 {
				t.Fatalf("the re-issued cookie must be current, got Set-Cookie %q", set)
			}
			rotated.PreviousSecrets, rotated.PreviousEncryptKeys = nil, nil
			b.base = serve(t, newManager(t, rotated), app())
			b.expect("/get?k=a", "true:1")
		})
	}
}

package memcachestore

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Keys ---
//
// The memcached key of a record is the prefix followed by the id, as long as
// that is a valid key. Vishnu's ids (43 characters of unpadded base64url)
// always are. Any other id — too long, holding a space or a control
// character, or starting with hashedMark — is replaced by hashedMark and the
// base64url SHA-256 of the id, so that every id, whatever its bytes, has
// a key of its own and the two forms cannot collide.

const (
	maxKeyLen   = 250 // memcached's limit
	hashedMark  = "#"
	hashedIDLen = 43 // unpadded base64 of 32 bytes
)

func (s *Store) key(id string) string {
	if len(s.prefix)+len(id) <= maxKeyLen && !strings.HasPrefix(id, hashedMark) && illegalKeyByte(id) < 0 {
		return s.prefix + id
	}
	sum := sha256.Sum256([]byte(id))
	return s.prefix + hashedMark + base64.RawURLEncoding.EncodeToString(sum[:])
}

// illegalKeyByte returns the offset of the first byte of k that a memcached
// key cannot hold (space, control characters, DEL), or -1.
func illegalKeyByte(k string) int {
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] == 0x7f {
			return i
		}
	}
	return -1
}

package conformance

import (
	"fmt"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Names as exact bytes -------------------------------------------------------------
//
// Ids, field names and user names are byte strings to Vishnu. A backend
// that compares text its own way (a case-insensitive or accent-insensitive
// collation, Unicode normalisation, SQL LIKE or glob patterns, a prefix a
// store keeps for itself) finds, changes or keeps the wrong thing: another
// user's sessions, a field the request did not name, a field a Replace was
// meant to drop. These cases give names that such comparisons confuse.

func exactIDDeletes(c *storeT) {
	base := []byte(newID())
	base[7], base[len(base)-1] = 'q', 'k'
	variant := func(at int, ch byte) string {
		v := append([]byte(nil), base...)
		v[at] = ch
		return string(v)
	}
	ids := []string{string(base), variant(7, '_'), variant(7, '-'), variant(7, 'Q'), variant(len(base)-1, '_')}
	for _, id := range ids {
		c.save(id, []byte("record of "+id), c.longExpiry())
	}
	// Each id but the first deleted in turn, those after it checked: the
	// first has a letter where the others differ.
	for i, id := range ids[1:] {
		c.del(id)
		c.wantNotFound(id, "after its Delete")
		for _, kept := range append([]string{ids[0]}, ids[i+2:]...) {
			c.wantData(kept, []byte("record of "+kept), fmt.Sprintf("after Delete(%q) of an id that differs from it in one character", id))
		}
	}
}

func commitFieldNames(c *storeT) {
	id := newID()
	c.save(id, record("cart", "lower case", "Straße", "eszett", "caf\u00e9", "composed"), c.longExpiry())
	c.commitOK(id, &vishnu.Change{
		Set: fields(
			"Cart", "capital",
			"\uff43\uff41\uff52\uff54", "full-width", // ｃａｒｔ
			"cafe\u0301", "decomposed",
			"cart ", "trailing space",
		),
		Delete:  []string{"CART", "STRASSE", "Caf\u00e9", "cafe"},
		Expires: c.longExpiry(),
	})
	c.wantFields(id, map[string]string{
		"cart": "lower case", "Straße": "eszett", "caf\u00e9": "composed",
		"Cart": "capital", "\uff43\uff41\uff52\uff54": "full-width", "cafe\u0301": "decomposed", "cart ": "trailing space",
	}, "after a Commit that set and deleted fields whose names differ from the record's only in letter case, width, Unicode normal form or a trailing space")
}

// reservedNames are field names that start with what a store might keep for
// itself: NUL (as Vishnu's own fields do), other control bytes, a byte that
// is not UTF-8, and the prefixes of metadata in common backends.
var reservedNames = []string{"\x00created", "\x00", "\x01meta", "\xffx", "_id", "$expires", ".hidden", ":ttl", "__proto__"}

func commitReservedNames(c *storeT) {
	var kv []string
	for _, n := range reservedNames {
		kv = append(kv, n, "old")
	}
	replaced := newID()
	c.save(replaced, record(append(kv, "plain", "old")...), c.longExpiry())
	c.commitOK(replaced, &vishnu.Change{Replace: true, Set: fields("plain", "new"), Expires: c.longExpiry()})
	c.wantFields(replaced, map[string]string{"plain": "new"}, "after a Commit with Replace over fields whose names start with NUL or another byte a store might reserve")

	deleted := newID()
	c.save(deleted, record(append(kv, "plain", "old")...), c.longExpiry())
	c.commitOK(deleted, &vishnu.Change{Set: fields("\x00new", "set", "_new", "set"), Delete: reservedNames, Expires: c.longExpiry()})
	c.wantFields(deleted, map[string]string{"plain": "old", "\x00new": "set", "_new": "set"}, "after a Commit that deleted every field whose name starts with NUL or another byte a store might reserve, and set two such")
}

func userExactNames(c *storeT) {
	tag := fmt.Sprintf("%x@example.com", newID()[:6])
	// Pairs of names that an inexact comparison takes for one another; no
	// two names here differ in letter case alone (UserIndex/Isolation
	// checks that).
	pairs := [][2]string{
		{"ada_" + tag, "adaX" + tag},                     // LIKE: '_' is any character
		{"bob%" + tag, "bob.lovelace" + tag},             // LIKE: '%' is any run of them
		{"\uff23arol" + tag, "Carol" + tag},              // NFKC: full-width 'Ｃ' is 'C'
		{"d\u00e9" + tag, "de\u0301" + tag},              // NFC: é composed or not
		{"\u00e9ve" + tag, "eve" + tag},                  // accent-insensitive collation
		{"gus" + tag + "\u00a0", "gus" + tag + "\u0020"}, // NFKC: no-break space is a space
	}
	entry := map[string]string{}
	for _, p := range pairs {
		for _, u := range p {
			entry[u] = newID()
			c.addEntry(u, entry[u], []byte("entry of "+u), c.longExpiry())
		}
	}
	for _, p := range pairs {
		for _, u := range p {
			c.wantEntries(u, entryText(entry[u], "entry of "+u), "among users whose names are equal under Unicode normalisation, an accent-insensitive collation or as SQL LIKE patterns")
		}
	}
	for _, p := range pairs {
		c.removeEntry(p[0], entry[p[1]])
		c.wantEntries(p[1], entryText(entry[p[1]], "entry of "+p[1]), fmt.Sprintf("after RemoveUserSession(%q) of its entry's id", p[0]))
	}

	// Ids of one user: an id with '_' where another has a letter is not
	// that one.
	user := newUser()
	base := []byte(newID())
	base[7] = 'q'
	under := append([]byte(nil), base...)
	under[7] = '_'
	upper := append([]byte(nil), base...)
	upper[7] = 'Q'
	for _, id := range [][]byte{base, under, upper} {
		c.addEntry(user, string(id), []byte("entry "+string(id)), c.longExpiry())
	}
	c.removeEntry(user, string(under))
	c.wantEntries(user, entryText(string(base), "entry "+string(base), string(upper), "entry "+string(upper)), "after RemoveUserSession of an id that differs from the two others by '_' where they have a letter")
}

package memcachestore

import (
	"math"
	"time"
)

// Expiry ---
//
// memcached takes an item's expiry as a number of seconds. Up to 30 days
// (2,592,000 seconds) it is relative to now; above that it is read as an
// absolute Unix time, so a relative 31 days would mean a date in January
// 1970 and the item would be dead on arrival. memcached's clock also moves
// in whole seconds, once a second, so an item given n seconds may expire up
// to a second early. Hence: round up to whole seconds, add one, and switch
// to an absolute time past 30 days. An item then never expires before the
// time Vishnu asked for, and at most two seconds after it.

const (
	maxRelativeExpiry = 30 * 24 * 60 * 60 // memcached's REALTIME_MAXDELTA
	clockSlack        = 1                 // seconds; memcached's clock ticks once a second
)

// expiration returns the exptime to send to memcached for an item that must
// live until expires, and false when expires is not after now (the item
// must not exist at all). An expiry beyond what a 32-bit exptime can say
// (January 2038) is sent as 0, "no expiry": memcached then drops the item
// only to make room, which is still never early.
func expiration(now, expires time.Time) (int32, bool) {
	d := expires.Sub(now)
	if d <= 0 {
		return 0, false
	}
	secs := int64(d / time.Second)
	if d%time.Second != 0 {
		secs++
	}
	secs += clockSlack
	if secs <= maxRelativeExpiry {
		return int32(secs), true
	}
	abs := expires.Unix() + clockSlack
	if expires.Nanosecond() > 0 {
		abs++
	}
	if abs > math.MaxInt32 {
		return 0, true
	}
	return int32(abs), true
}

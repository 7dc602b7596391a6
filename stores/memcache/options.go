package memcachestore

import "fmt"

const (
	// DefaultServer is the address of a memcached on this machine with its
	// standard port. Pass it to memcache.New for a local server:
	//
	//	memcache.New(memcachestore.DefaultServer)
	DefaultServer = "localhost:11211"

	// DefaultPrefix is put in front of every key, so that session records
	// can share a memcached with other data.
	DefaultPrefix = "vishnu:"

	// DefaultMaxItemSize is memcached's default item size limit (its -I
	// option): 1 MiB.
	DefaultMaxItemSize = 1 << 20

	// DefaultMaxRetries is how many times a commit is retried after losing
	// a compare-and-swap race before it gives up. With the backoff between
	// attempts (up to 50 ms), a hundred writers on one session all get
	// through on a loaded machine, and a commit gives up after about two
	// seconds of losing.
	DefaultMaxRetries = 50

	// MaxPrefixLen is the longest key prefix New accepts: memcached keys
	// are at most 250 bytes, and a hashed key (see [Store]) needs 44 bytes
	// after the prefix.
	MaxPrefixLen = maxKeyLen - len(hashedMark) - hashedIDLen
)

// An Option configures New.
type Option func(*options)

type options struct {
	prefix      string
	maxItemSize int
	maxRetries  int
}

func defaultOptions() options {
	return options{prefix: DefaultPrefix, maxItemSize: DefaultMaxItemSize, maxRetries: DefaultMaxRetries}
}

// WithPrefix sets the string put in front of every key. It must be a valid
// part of a memcached key: at most [MaxPrefixLen] bytes, without spaces or
// control characters. Use a distinct prefix per application when several
// share a memcached. Optional. Default is [DefaultPrefix], "vishnu:"; the
// empty string is allowed.
func WithPrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

// WithMaxItemSize sets the item size limit of the memcached servers (their
// -I option), so that a record too large for them fails before it is sent.
// An item holds the record, its key and about 60 bytes of memcached's own
// header. Optional. Default is [DefaultMaxItemSize], 1 MiB, memcached's own
// default; at least 1024.
func WithMaxItemSize(bytes int) Option {
	return func(o *options) { o.maxItemSize = bytes }
}

// WithMaxRetries sets how many times Commit retries after another writer
// changed the record between its read and its compare-and-swap, waiting a
// short random time before each retry. When they are used up, Commit
// returns an error wrapping [ErrTooMuchContention]. Optional. Default is
// [DefaultMaxRetries], 50; 0 means no retry.
func WithMaxRetries(n int) Option {
	return func(o *options) { o.maxRetries = n }
}

func (o *options) validate() error {
	if len(o.prefix) > MaxPrefixLen {
		return fmt.Errorf("memcachestore: key prefix is %d bytes; at most %d are allowed, since memcached keys are at most %d bytes", len(o.prefix), MaxPrefixLen, maxKeyLen)
	}
	if i := illegalKeyByte(o.prefix); i >= 0 {
		return fmt.Errorf("memcachestore: key prefix %q has byte %#x at offset %d; memcached keys cannot hold spaces or control characters", o.prefix, o.prefix[i], i)
	}
	if o.maxItemSize < minItemSize {
		return fmt.Errorf("memcachestore: max item size %d is below memcached's minimum of %d bytes", o.maxItemSize, minItemSize)
	}
	if o.maxRetries < 0 {
		return fmt.Errorf("memcachestore: max retries must not be negative, got %d", o.maxRetries)
	}
	return nil
}

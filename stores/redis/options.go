package redisstore

// DefaultKeyPrefix is the prefix of every session key unless WithKeyPrefix
// sets another.
const DefaultKeyPrefix = "vishnu:"

// An Option configures a Store in New.
type Option func(*options)

type options struct {
	prefix string
}

// WithKeyPrefix sets the prefix of every session key, so that sessions can
// share a database with other data, or several applications (or several
// managers with different cookie names) can share a server. Optional.
// Default is DefaultKeyPrefix, "vishnu:". An empty prefix is allowed for a
// database that holds nothing but sessions.
func WithKeyPrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

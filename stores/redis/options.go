package redisstore

// DefaultPrefix is the prefix of every session key unless WithPrefix
// sets another.
const DefaultPrefix = "vishnu:"

// An Option configures a Store in New.
type Option func(*options)

type options struct {
	prefix string
}

// WithPrefix sets the prefix of every session key, so that sessions can
// share a database with other data, or several applications (or several
// managers with different cookie names) can share a server. Optional.
// Default is DefaultPrefix, "vishnu:". An empty prefix is allowed for a
// database that holds nothing but sessions.
func WithPrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

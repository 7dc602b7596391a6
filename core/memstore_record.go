package vishnu

// memRecord is a record of the memory store, kept in one of two forms. A
// small record is kept encoded (data), as Load returns it: a commit
// rewrites it whole with Change.Apply, which costs little at its size, and
// it costs no memory beyond its bytes. A larger one is kept as its fields
// (fields), to which a commit applies the change in place, so that a write
// of one key into a session of many costs what that key costs, not what
// the session weighs. Such a record is encoded afresh by Load, and core's
// sessions take a copy of its fields instead (MemoryStore.load).
//
// Either way, whatever a caller was given stays as it was: data is never
// modified once stored (a commit makes new bytes), a stored value is never
// modified (a set stores a new slice), and the fields map itself is never
// handed out.
type memRecord struct {
	data   []byte
	fields map[string][]byte
}

// memFieldsOver is the size above which a record is kept as fields: under
// it, copying the record on a commit costs less than a map's upkeep, and a
// map would cost more memory than the record (a few hundred bytes).
const memFieldsOver = 1 << 10

// newMemRecord returns the record data, which the store owns.
func newMemRecord(data []byte) memRecord {
	r := memRecord{data: data}
	if len(data) > memFieldsOver {
		// A record that does not decode stays as it is: the store keeps
		// what it is given, and a commit on it fails as Change.Apply does.
		if fields, err := DecodeRecord(data); err == nil {
			r = memRecord{fields: fields}
		}
	}
	return r
}

// encoded returns the record's bytes, which later changes leave as they
// are.
func (r *memRecord) encoded() []byte {
	if r.fields != nil {
		return EncodeRecord(r.fields)
	}
	return r.data
}

// apply applies c to the record, which exists or is the zero memRecord,
// with the result of Change.Apply. A record kept as fields is changed in
// place; it stays in that form whatever size it comes down to.
func (r *memRecord) apply(c *Change, exists bool) error {
	if r.fields == nil {
		var cur []byte
		if exists {
			cur = r.data
		}
		next, err := c.Apply(cur)
		if err != nil {
			return err
		}
		*r = newMemRecord(next)
		return nil
	}
	if c.Replace {
		clear(r.fields)
	}
	for _, k := range c.Delete {
		delete(r.fields, k)
	}
	for _, f := range c.Set {
		// A copy: the store must not share the caller's memory. Never
		// nil, which a session takes for a deleted field; appending to an
		// empty slice spares zeroing memory that is overwritten at once.
		// The last value of a name set twice wins, as in Change.Apply.
		r.fields[f.Key] = append([]byte{}, f.Value...)
	}
	return nil
}

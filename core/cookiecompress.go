package vishnu

import (
	"bytes"
	"compress/flate"
	"io"
	"sync"
)

// The cookie store may compress a session's record before the codec seals
// it (CookieStoreOptions.Compress, off by default: see there for why). A
// compressed record is marked by its first byte, which a record proper
// never has (it starts with recordVersion), and is followed by the record
// in raw DEFLATE. Reading always understands both forms, so that turning
// Compress off or on logs nobody out.

// packedDeflate is the first byte of a compressed record.
const packedDeflate = 0x80

// maxUnpacked bounds a decompressed record. The codec verifies a value
// before it is opened, so only what this server wrote is ever inflated;
// the bound keeps even that from growing past what a cookie session is for.
const maxUnpacked = 1 << 20

// minPack is the shortest record worth trying to compress: DEFLATE's own
// framing makes smaller ones no shorter.
const minPack = 64

// flateWriters holds DEFLATE compressors, which are costly to make.
var flateWriters sync.Pool

// pack returns the form of record the cookie carries: compressed when
// compression is on and makes it shorter, else record itself.
func (l *chunkLayout) pack(record []byte) []byte {
	if !l.compress || len(record) < minPack || len(record) > maxUnpacked {
		return record
	}
	var buf bytes.Buffer
	buf.Grow(len(record))
	buf.WriteByte(packedDeflate)
	w, _ := flateWriters.Get().(*flate.Writer)
	if w == nil {
		// The level is a valid constant: NewWriter cannot fail.
		w, _ = flate.NewWriter(&buf, flate.BestCompression)
	} else {
		w.Reset(&buf)
	}
	_, _ = w.Write(record) // a bytes.Buffer does not fail
	_ = w.Close()
	w.Reset(io.Discard) // not to keep buf alive in the pool
	flateWriters.Put(w)
	if buf.Len() >= len(record) {
		return record
	}
	return buf.Bytes()
}

// unpackRecord returns the record a cookie's payload holds, decompressing
// it when it was compressed; false when it does not inflate.
func unpackRecord(p []byte) ([]byte, bool) {
	if len(p) == 0 || p[0] != packedDeflate {
		return p, true
	}
	r := flate.NewReader(bytes.NewReader(p[1:]))
	rec, err := io.ReadAll(io.LimitReader(r, maxUnpacked+1))
	if err != nil || len(rec) > maxUnpacked {
		return nil, false
	}
	return rec, true
}

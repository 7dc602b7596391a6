package vishnu

import (
	"testing"
	"time"
)

func BenchmarkCodec(b *testing.B) {
	tok, _ := newToken()
	exp := testNow.Add(time.Hour)
	payload := EncodeRecord(map[string][]byte{"user": []byte("\x02ann"), "\x00created": {2}})
	for _, tc := range []struct {
		name    string
		encrypt bool
		payload []byte
	}{{"sign", false, nil}, {"seal", true, payload}} {
		c := testCodec(b, tc.encrypt)
		v, _ := c.encode(&tok, exp, testNow, tc.payload)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.encode(&tok, exp, testNow, tc.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/open", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := c.decode(v, testNow); !ok {
					b.Fatal("rejected")
				}
			}
		})
	}
}

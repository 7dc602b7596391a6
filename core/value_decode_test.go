package vishnu

import "testing"

// A stored value whose payload does not match its tag (a damaged record) is
// an error, never a zero value taken for the real one.
func TestDecodeValueRejectsMalformedPayloads(t *testing.T) {
	for _, raw := range [][]byte{
		nil,
		{tagInt},
		{tagInt, 0x80},
		{tagInt, 2, 0},
		{tagInt64},
		{tagInt64, 0xff, 0xff},
		{tagBool},
		{tagBool, 1, 1},
		{tagFlash | tagBool},
		{tagBool + 1, 1},
	} {
		if v, err := decodeValue[int](raw); err == nil {
			t.Errorf("decodeValue[int](%v) = %v, want an error", raw, v)
		}
		if v, err := decodeValue[bool](raw); err == nil {
			t.Errorf("decodeValue[bool](%v) = %v, want an error", raw, v)
		}
		if v, err := decodeValue[any](raw); err == nil {
			t.Errorf("decodeValue[any](%v) = %v, want an error", raw, v)
		}
	}
	for raw, want := range map[string]int{string([]byte{tagInt, 2}): 1, string([]byte{tagInt64 | tagFlash, 3}): -2} {
		if v, err := decodeValue[int]([]byte(raw)); err != nil || v != want {
			t.Errorf("decodeValue[int](%v) = %v, %v; want %d", []byte(raw), v, err, want)
		}
	}
}

// Only a value with the flash tag is a flash; an empty one is not.
func TestIsFlash(t *testing.T) {
	for raw, want := range map[string]bool{"": false, string([]byte{tagString}): false, string([]byte{tagString | tagFlash}): true, string([]byte{tagFlash}): true} {
		if got := isFlash([]byte(raw)); got != want {
			t.Errorf("isFlash(%v) = %v", []byte(raw), got)
		}
	}
}

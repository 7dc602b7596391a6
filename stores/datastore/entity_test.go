package datastorestore

import (
	"testing"
	"time"
)

// TestStoredExpiry checks the rounding that keeps a session from expiring
// before its time: up to the next microsecond, never down, and clamped to
// the Datastore's range.
func TestStoredExpiry(t *testing.T) {
	base := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"whole microsecond stays", base.Add(123456 * time.Microsecond), base.Add(123456 * time.Microsecond)},
		{"one nanosecond past rounds up", base.Add(123456*time.Microsecond + time.Nanosecond), base.Add(123457 * time.Microsecond)},
		{"999 nanoseconds past rounds up", base.Add(123456*time.Microsecond + 999), base.Add(123457 * time.Microsecond)},
		{"whole second stays", base, base},
		{"before 1970", time.Date(1960, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1960, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{"before year 1 clamps up", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), minExpiry},
		{"zero time is year 1", time.Time{}, minExpiry},
		{"after year 9999 clamps down", time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), maxExpiry},
		{"other zones come back in UTC", base.In(time.FixedZone("X", 3600)).Add(1), base.Add(time.Microsecond)},
	}
	for _, tt := range tests {
		got := storedExpiry(tt.in)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%s: storedExpiry(%v) = %v, want %v in UTC", tt.name, tt.in, got, tt.want)
		}
		if tt.in.After(minExpiry) && tt.in.Before(maxExpiry) && got.Before(tt.in) {
			t.Errorf("%s: storedExpiry(%v) = %v is earlier: the session would expire early", tt.name, tt.in, got)
		}
	}
	// With a monotonic reading, as time.Now gives.
	now := time.Now()
	if got := storedExpiry(now); got.Before(now) || got.Sub(now) >= time.Microsecond {
		t.Errorf("storedExpiry(now) = %v for %v: want within the microsecond after", got, now)
	}
}

func TestCheckSize(t *testing.T) {
	if err := checkSize(MaxRecordSize); err != nil {
		t.Errorf("checkSize(MaxRecordSize) = %v", err)
	}
	if err := checkSize(MaxRecordSize + 1); err == nil {
		t.Error("checkSize(MaxRecordSize+1) = nil")
	}
}

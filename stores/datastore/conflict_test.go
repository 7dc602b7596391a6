package datastorestore

import (
	"errors"
	"fmt"
	"testing"

	"cloud.google.com/go/datastore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestConflict checks which errors are retried as conflicts: the client's
// aborted Commit, and an aborted Lookup (Firestore's pessimistic locking,
// which the emulator never does), wrapped or not; nothing else.
func TestConflict(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{datastore.ErrConcurrentTransaction, true},
		{fmt.Errorf("x: %w", datastore.ErrConcurrentTransaction), true},
		{status.Error(codes.Aborted, "too much contention"), true},
		{fmt.Errorf("lookup: %w", status.Error(codes.Aborted, "lock wait")), true},
		{status.Error(codes.Unavailable, "down"), false},
		{status.Error(codes.DeadlineExceeded, "slow"), false},
		{errors.New("other"), false},
	}
	for _, tt := range tests {
		if got := conflict(tt.err); got != tt.want {
			t.Errorf("conflict(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

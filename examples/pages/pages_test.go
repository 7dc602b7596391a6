package pages

import (
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestDescribeTimeout(t *testing.T) {
	for d, want := range map[time.Duration]string{
		vishnu.UntilBrowserCloses: "until the browser closes",
		20 * time.Minute:          "20 minutes",
		time.Minute:               "1 minute",
		2 * time.Hour:             "2 hours",
		RememberFor:               "30 days",
		24 * time.Hour:            "1 day",
		90 * time.Second:          "1m30s",
	} {
		if got := DescribeTimeout(d); got != want {
			t.Errorf("DescribeTimeout(%v) = %q, want %q", d, got, want)
		}
	}
}

package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// TestUserSessionsPrunesDeadEntries lists a user with 10,000 entries of
// sessions that ended (their record deleted) or expired (their record gone
// at its expiry), left in the index as a session leaves its entry when
// nothing removes it, and 3 live sessions: the listing gives the 3, leaves
// only their entries in the user's hash, and counts its round trips with a
// go-redis hook. It is one script call wherever the script can reach the
// records: one server, and a cluster whose prefix tags every key alike.
// On a cluster whose keys are spread over the nodes it takes three: the
// script, one pipeline of EXISTS and one HDEL.
func TestUserSessionsPrunesDeadEntries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		newClient func(t testing.TB) redis.UniversalClient
		tagged    bool
		trips     int64
	}{
		{"single", singleClient, false, 1},
		{"cluster-tagged-prefix", clusterClient, true, 1},
		{"cluster", clusterClient, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.newClient(t)
			prefix := testPrefix()
			if tc.tagged {
				prefix = "{" + strings.TrimSuffix(prefix, ":") + "}:"
			}
			t.Cleanup(func() { deleteKeys(t, c, prefix) })
			s, err := redisstore.New(c, redisstore.WithPrefix(prefix))
			if err != nil {
				t.Fatal(err)
			}
			trips := new(tripCounter)
			c.AddHook(trips)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			const user, deadCount = "ada@example.com", 10000

			// Three live sessions, as Login makes them: the record first,
			// then the entry, which lives as long as a session could.
			live := map[string][]byte{}
			for i := range 3 {
				id := sessionID()
				live[id] = fmt.Appendf(nil, "device %d", i)
				login(ctx, t, s, user, id, live[id], time.Now().Add(time.Hour))
			}
			// The first listing loads the script on the user's node, so
			// that the one measured is what every later listing costs.
			wantListing(ctx, t, s, user, live)

			// Sessions that ended or expired: each logged in as the
			// live ones did, then half had their record deleted (Destroy
			// whose RemoveUserSession did not get through), and half saw
			// it expire.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 8 {
				wg.Go(func() {
					for i := w; i < deadCount; i += 8 {
						if err := deadSession(ctx, s, user, i%2 == 0); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			userKey := prefix + "user:" + user
			if n := c.HLen(ctx, userKey).Val(); n != deadCount+3 {
				t.Fatalf("the user's hash has %d entries before the listing, want %d", n, deadCount+3)
			}
			waitExpired(ctx, t, c, prefix)

			var got map[string][]byte
			start := time.Now()
			n := trips.count(func() { got, err = s.UserSessions(ctx, user) })
			took := time.Since(start)
			if err != nil {
				t.Fatalf("UserSessions: %v", err)
			}
			if d := diffListing(got, live); d != "" {
				t.Errorf("UserSessions of a user with %d dead entries and 3 live ones: %s", deadCount, d)
			}
			if n != tc.trips {
				t.Errorf("UserSessions took %d round trips, want %d", n, tc.trips)
			}
			if left := c.HLen(ctx, userKey).Val(); left != 3 {
				t.Errorf("the user's hash has %d entries after the listing, want 3", left)
			}
			t.Logf("listing %d dead entries and 3 live ones: %d round trip(s), %v", deadCount, n, took.Round(time.Millisecond))
			wantListing(ctx, t, s, user, live)
		})
	}
}

// expiring is how long the records of the sessions that expire live.
const expiring = 200 * time.Millisecond

// deadSession logs a session in, as Login does, and ends it: its record is
// deleted when ended is set, and otherwise expires shortly.
func deadSession(ctx context.Context, s *redisstore.Store, user string, ended bool) error {
	id := sessionID()
	exp := time.Now().Add(time.Hour)
	if !ended {
		exp = time.Now().Add(expiring)
	}
	if err := s.Save(ctx, id, vishnu.EncodeRecord(map[string][]byte{"user": []byte(user)}), exp); err != nil {
		return err
	}
	if err := s.AddUserSession(ctx, user, id, []byte("gone"), time.Now().Add(vishnu.MaxTimeout)); err != nil {
		return err
	}
	if ended {
		return s.Delete(ctx, id)
	}
	return nil
}

// login saves a record for id and lists it for user, as Login does.
func login(ctx context.Context, t *testing.T, s *redisstore.Store, user, id string, info []byte, expires time.Time) {
	t.Helper()
	if err := s.Save(ctx, id, vishnu.EncodeRecord(map[string][]byte{"user": []byte(user)}), expires); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUserSession(ctx, user, id, info, time.Now().Add(vishnu.MaxTimeout)); err != nil {
		t.Fatal(err)
	}
}

// waitExpired waits until Redis has no record left under prefix but those
// of the live sessions: each expiring record is past its expiry. It polls
// SCAN, so its time depends on Redis alone.
func waitExpired(ctx context.Context, t *testing.T, c redis.UniversalClient, prefix string) {
	t.Helper()
	time.Sleep(expiring)
	for {
		n := 0
		count := func(ctx context.Context, c *redis.Client) error {
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				if !strings.HasPrefix(iter.Val(), prefix+"user:") {
					n++
				}
			}
			return iter.Err()
		}
		var err error
		if cc, ok := c.(*redis.ClusterClient); ok {
			var mu sync.Mutex
			err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
				mu.Lock()
				defer mu.Unlock()
				return count(ctx, m)
			})
		} else {
			err = count(ctx, c.(*redis.Client))
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%d records left, want 3: the others did not expire", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantListing checks that the user's listing is want.
func wantListing(ctx context.Context, t *testing.T, s *redisstore.Store, user string, want map[string][]byte) {
	t.Helper()
	got, err := s.UserSessions(ctx, user)
	if err != nil {
		t.Fatalf("UserSessions: %v", err)
	}
	if d := diffListing(got, want); d != "" {
		t.Errorf("UserSessions: %s", d)
	}
}

// diffListing describes how a listing differs from want.
func diffListing(got, want map[string][]byte) string {
	var d []string
	for id, info := range want {
		if g, ok := got[id]; !ok {
			d = append(d, "missing "+id)
		} else if string(g) != string(info) {
			d = append(d, fmt.Sprintf("%s: info %q, want %q", id, g, info))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			d = append(d, "extra "+id)
		}
	}
	if len(d) > 5 {
		d = append(d[:5], fmt.Sprintf("and %d more", len(d)-5))
	}
	return strings.Join(d, "; ")
}

// sessionID returns a random id shaped like those Vishnu gives stores.
func sessionID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

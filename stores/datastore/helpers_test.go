package datastorestore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/datastore"
	"github.com/vishnu-go/vishnu/conformance"
	"github.com/vishnu-go/vishnu/internal/testserver"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The project of the tests' clients, when the environment names none.
const envProject = "DATASTORE_PROJECT_ID"

// emulatorAddr returns the address of the shared emulator
// (testserver.Datastore), or marks the service unavailable.
func emulatorAddr(t testing.TB) string {
	t.Helper()
	addr := testserver.Datastore(t)
	if err := emulatorReady(addr, 3*time.Second); err != nil {
		conformance.Unavailable(t, "Datastore emulator at %s: %v", addr, err)
	}
	return addr
}

func TestMain(m *testing.M) { os.Exit(testserver.Run(m)) }

// emulatorReady waits up to wait for the emulator at addr to answer its
// health check.
func emulatorReady(addr string, wait time.Duration) error {
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	deadline := time.Now().Add(wait)
	for {
		resp, err := hc.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health check: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func projectID() string {
	if p := os.Getenv(envProject); p != "" {
		return p
	}
	return "vishnu-test"
}

// rpcCounter counts the Datastore RPCs a client makes, by method, through a
// gRPC interceptor.
type rpcCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *rpcCounter) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	name := method[strings.LastIndexByte(method, '/')+1:]
	c.mu.Lock()
	if c.n == nil {
		c.n = make(map[string]int)
	}
	c.n[name]++
	c.mu.Unlock()
	return invoker(ctx, method, req, reply, cc, opts...)
}

// rpcs is a count of RPCs by method.
type rpcs map[string]int

func (r rpcs) total() int {
	n := 0
	for _, v := range r {
		n += v
	}
	return n
}

// String lists the methods in a fixed order, e.g. "Lookup 1, Commit 1".
func (r rpcs) String() string {
	var parts []string
	for _, m := range []string{"Lookup", "RunQuery", "BeginTransaction", "Commit", "Rollback"} {
		if r[m] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", m, r[m]))
		}
	}
	for m, n := range r {
		switch m {
		case "Lookup", "RunQuery", "BeginTransaction", "Commit", "Rollback":
		default:
			parts = append(parts, fmt.Sprintf("%s %d", m, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// during returns the RPCs made while f ran.
func (c *rpcCounter) during(f func()) rpcs {
	before := c.snapshot()
	f()
	after := c.snapshot()
	for m, n := range before {
		if after[m] -= n; after[m] == 0 {
			delete(after, m)
		}
	}
	return after
}

func (c *rpcCounter) snapshot() rpcs {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := make(rpcs, len(c.n))
	for m, n := range c.n {
		r[m] = n
	}
	return r
}

// dialEmulator returns a client of the emulator at addr for database (""
// for the default one), closed when t ends, whose RPCs counter counts
// when it is not nil. It dials addr itself rather than through
// DATASTORE_EMULATOR_HOST, so that a test can use an emulator of its own.
func dialEmulator(t testing.TB, addr, database string, counter *rpcCounter) *datastore.Client {
	t.Helper()
	opts := []option.ClientOption{
		option.WithEndpoint("passthrough:///" + addr),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
	if counter != nil {
		opts = append(opts, option.WithGRPCDialOption(grpc.WithUnaryInterceptor(counter.intercept)))
	}
	c, err := datastore.NewClientWithDatabase(context.Background(), projectID(), database, opts...)
	if err != nil {
		t.Fatalf("datastore client of %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newClient returns a client of the shared emulator with an RPC counter.
func newClient(t testing.TB) (*datastore.Client, *rpcCounter) {
	t.Helper()
	counter := new(rpcCounter)
	return dialEmulator(t, emulatorAddr(t), "", counter), counter
}

// testNamespace returns a namespace that no other test (or test run) uses:
// each test's sessions are apart from the others' without resetting the
// shared emulator.
func testNamespace() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "vishnu-test-" + hex.EncodeToString(b)
}

// newStore returns a Store on c in a fresh namespace, whose entities are
// deleted when t ends, so that the shared emulator's memory does not grow
// with every test.
func newStore(t testing.TB, c *datastore.Client, opts ...datastorestore.Option) (*datastorestore.Store, string) {
	t.Helper()
	ns := testNamespace()
	s, err := datastorestore.New(c, append([]datastorestore.Option{datastorestore.WithNamespace(ns)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { dropNamespace(t, c, ns) })
	return s, ns
}

// dropNamespace deletes every session and index entry in namespace ns.
func dropNamespace(t testing.TB, c *datastore.Client, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, kind := range []string{datastorestore.DefaultKind, datastorestore.DefaultKind + "UserEntry"} {
		keys, err := c.GetAll(ctx, datastore.NewQuery(kind).Namespace(ns).KeysOnly(), nil)
		for len(keys) > 0 && err == nil {
			n := min(len(keys), 500)
			err = c.DeleteMulti(ctx, keys[:n])
			keys = keys[n:]
		}
		if err != nil {
			t.Logf("deleting the %s entities of namespace %s: %v", kind, ns, err)
		}
	}
}

// sessionKey returns the key of a session entity, for looking at it
// directly.
func sessionKey(ns, id string) *datastore.Key {
	k := datastore.NameKey(datastorestore.DefaultKind, id, nil)
	k.Namespace = ns
	return k
}

// freeAddr returns a loopback address where nothing listens (until someone
// else takes the port, which the tests accept as unlikely).
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startEmulator starts an emulator of t's own, for a test that kills it.
// Queries that need a composite index fail on it, as on the Datastore until
// one is deployed: the store must need none.
func startEmulator(t testing.TB) *testserver.Server {
	t.Helper()
	return testserver.StartDatastore(t, "--require_indexes")
}

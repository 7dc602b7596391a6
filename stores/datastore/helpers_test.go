package datastorestore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/datastore"
	"github.com/vishnu-go/vishnu/conformance"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The emulator the tests use comes from the environment, as the
// repository's test command (or the official client's documentation) sets
// it. The fault test starts an emulator of its own.
const (
	envHost    = "DATASTORE_EMULATOR_HOST"
	envProject = "DATASTORE_PROJECT_ID"
)

// emulatorAddr returns the address of the shared emulator, or marks the
// service unavailable.
func emulatorAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(envHost)
	if addr == "" {
		conformance.Unavailable(t, "Datastore emulator: %s is not set", envHost)
	}
	if err := emulatorReady(addr, 3*time.Second); err != nil {
		conformance.Unavailable(t, "Datastore emulator at %s (%s): %v", addr, envHost, err)
	}
	return addr
}

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

// emulator is a Datastore emulator process that a test starts on a port of
// its own.
type emulator struct {
	t      testing.TB
	bin    string
	addr   string
	dir    string // its working directory, where it writes WEB-INF/
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for

	mu  sync.Mutex // guards log, which the process writes
	log bytes.Buffer
}

// emulatorScript finds the emulator's start script: on PATH, or where the
// Debian package google-cloud-cli-datastore-emulator installs it.
func emulatorScript() (string, error) {
	if p, err := exec.LookPath("cloud_datastore_emulator"); err == nil {
		return p, nil
	}
	const debian = "/usr/lib/google-cloud-sdk/platform/cloud-datastore-emulator/cloud_datastore_emulator"
	if _, err := os.Stat(debian); err == nil {
		return debian, nil
	}
	if out, err := exec.Command("dpkg", "-L", "google-cloud-cli-datastore-emulator").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if filepath.Base(line) == "cloud_datastore_emulator" {
				return line, nil
			}
		}
	}
	return "", fmt.Errorf("cloud_datastore_emulator is not on PATH, nor installed by google-cloud-cli-datastore-emulator")
}

// startEmulator starts an emulator on a free loopback port and waits until
// it answers; it is stopped when t ends.
func startEmulator(t testing.TB) *emulator {
	t.Helper()
	bin, err := emulatorScript()
	if err != nil {
		conformance.Unavailable(t, "Datastore emulator: %v", err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		conformance.Unavailable(t, "Datastore emulator: java is not on PATH: %v", err)
	}
	e := &emulator{t: t, bin: bin, addr: freeAddr(t), dir: t.TempDir()}
	t.Cleanup(e.stop)
	e.start()
	return e
}

// Write collects the emulator's output, for the failure message of a start
// that does not come up.
func (e *emulator) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.Write(p)
}

// start runs the emulator, in a process group of its own (the script starts
// a JVM that must go with it), and waits until it answers.
func (e *emulator) start() {
	e.t.Helper()
	_, port, _ := net.SplitHostPort(e.addr)
	e.cmd = exec.Command(e.bin, "start", "--host=127.0.0.1", "--port="+port,
		"--store_on_disk=False", "--consistency=1.0",
		// Queries that need a composite index fail, as on the Datastore
		// until one is deployed: the store must need none.
		"--require_indexes")
	e.cmd.Dir = e.dir
	e.cmd.Stdout, e.cmd.Stderr = e, e
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		e.t.Fatalf("start the Datastore emulator: %v", err)
	}
	e.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(e.cmd, e.exited)
	if err := emulatorReady(e.addr, 60*time.Second); err != nil {
		e.kill()
		e.mu.Lock()
		defer e.mu.Unlock()
		e.t.Fatalf("the Datastore emulator on %s did not come up: %v\n%s", e.addr, err, e.log.String())
	}
}

// kill ends the emulator at once (SIGKILL to its process group: no goodbye
// to clients, its in-memory data lost) and waits for it to exit. Killing a
// stopped emulator does nothing.
func (e *emulator) kill() {
	if e.cmd == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.exited
	e.cmd = nil
}

// stop ends the emulator: asked to shut down first, then killed, so that
// no JVM outlives the test.
func (e *emulator) stop() {
	if e.cmd == nil {
		return
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	if resp, err := hc.Post("http://"+e.addr+"/shutdown", "", nil); err == nil {
		resp.Body.Close()
		select {
		case <-e.exited:
		case <-time.After(5 * time.Second):
		}
	}
	e.kill()
}

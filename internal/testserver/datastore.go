package testserver

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DatastoreEmulatorHostEnv is the variable the Cloud Datastore client reads
// to talk to an emulator; when it is set, nothing is started.
const DatastoreEmulatorHostEnv = "DATASTORE_EMULATOR_HOST"

// The Debian package of the emulator (from Google's Cloud SDK apt source).
const emulatorPackage = "google-cloud-cli-datastore-emulator"

// Datastore returns the address of a Cloud Datastore emulator shared by the
// tests of this binary: DATASTORE_EMULATOR_HOST when it is set, else one
// started on first use (in memory, strongly consistent; a JVM that takes
// seconds to start) and stopped by Run. Without the emulator or Java the
// test is unavailable (conformance.Unavailable).
func Datastore(t testing.TB) string {
	t.Helper()
	return addrFor(t, DatastoreEmulatorHostEnv, sharedDatastore)
}

var sharedDatastore = sharedServer("datastore", func(dir string) (program, error) {
	return datastoreProgram(dir)
})

// StartDatastore starts an emulator of t's own on a free loopback port,
// stopped when t ends: for tests that kill or restart it. args come after
// the common ones, e.g. "--require_indexes".
func StartDatastore(t testing.TB, args ...string) *Server {
	t.Helper()
	p, err := datastoreProgram(t.TempDir(), args...)
	if err != nil {
		require(t, err)
	}
	return startTest(t, p)
}

// emulatorCommand returns the command that runs the emulator: java and its
// arguments up to (not including) "start" and the emulator's own flags.
// The package's start script runs the JVM as its child, where a signal to
// the script would not reach it; the JVM is run directly instead.
func emulatorCommand() ([]string, error) {
	script, err := emulatorScript()
	if err != nil {
		return nil, err
	}
	jar := filepath.Join(filepath.Dir(script), "CloudDatastore.jar")
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("%w: the Datastore emulator's CloudDatastore.jar, beside %s", ErrNotInstalled, script)
	}
	java, err := lookPath("java", "default-jre-headless")
	if err != nil {
		return nil, err
	}
	return []string{java, "-cp", jar, "com.google.cloud.datastore.emulator.CloudDatastore"}, nil
}

// emulatorScript finds the emulator's start script: on PATH, or where its
// Debian package installs it (not on PATH).
func emulatorScript() (string, error) {
	if p, err := exec.LookPath("cloud_datastore_emulator"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("dpkg", "-L", emulatorPackage).Output(); err == nil {
		for line := range strings.SplitSeq(string(out), "\n") {
			if filepath.Base(line) == "cloud_datastore_emulator" {
				return line, nil
			}
		}
	}
	return "", fmt.Errorf("%w: the Datastore emulator (apt-get install %s, from Google's Cloud SDK apt source)", ErrNotInstalled, emulatorPackage)
}

// datastoreProgram runs the emulator in dir (where it writes WEB-INF/).
func datastoreProgram(dir string, args ...string) (program, error) {
	cmd, err := emulatorCommand()
	if err != nil {
		return program{}, err
	}
	return program{
		name: "the Datastore emulator",
		path: cmd[0],
		dir:  dir,
		args: func(port string) []string {
			return append(append(cmd[1:len(cmd):len(cmd)], "start", "--host=127.0.0.1", "--port="+port,
				"--store_on_disk=False", "--consistency=1.0"), args...)
		},
		ready: emulatorReady,
		wait:  2 * time.Minute, // a JVM, on a busy machine
	}, nil
}

// emulatorReady asks the emulator at addr for its health check.
func emulatorReady(addr string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://" + addr + "/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s", resp.Status)
	}
	return nil
}

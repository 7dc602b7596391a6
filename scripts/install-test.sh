#!/usr/bin/env bash
# The offline install test: installs the library modules of this working tree
# the way a user gets them, from a module proxy, never through go.work or the
# replace lines (which the go command ignores in a dependency).
#
#  1. publishes every library module (core, conformance, stores/*, adapters/*,
#     found from go.work), and internal, which libraries require for their
#     tests, at the version their siblings require into a temporary file://
#     module proxy, with scripts/modtool;
#  2. installs each library module alone in a scratch module of its own
#     (go get, then go mod tidy of a file importing it);
#  3. in a scratch module outside the repository (GOWORK=off, GOFLAGS=-mod=mod,
#     its own module cache, the checksum database off for our path only), go
#     gets one adapter and one store (adapters/gin and stores/redis; core and
#     stores/redis while there is no adapters/gin), builds a small app after
#     go mod tidy, and checks with go list -m all that no other adapter, store
#     or framework came along;
#  4. in a second scratch module, a custom store whose test calls
#     conformance.TestStore: go get, go mod tidy, go test.
#
# Third-party modules come from this machine's module cache when it has them,
# else from the usual proxy. A failing part prints the go command's own error;
# the others still run, and the script exits non-zero naming the failed parts.
#
# Usage: scripts/install-test.sh   (VISHNU_INSTALL_TEST_KEEP=1 keeps the scratch folder)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUR=github.com/vishnu-go/vishnu

log() { printf 'install-test: %s\n' "$*"; }
fail() {
	printf 'install-test: FAIL: %s\n' "$*" >&2
	exit 1
}
run() {
	printf '+ %s\n' "$*"
	"$@"
}

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vishnu-install.XXXXXX")
cleanup() {
	if [[ ${VISHNU_INSTALL_TEST_KEEP:-} == 1 ]]; then
		log "kept $SCRATCH"
		return
	fi
	# The module cache is read-only, as the go command makes it.
	chmod -R u+w "$SCRATCH" 2>/dev/null || true
	rm -rf -- "$SCRATCH"
}
trap cleanup EXIT

# ---- 1. publish ----------------------------------------------------------------
PROXY=$SCRATCH/proxy
log "publishing the library modules into file://$PROXY"
modtool() { (cd "$ROOT/scripts/modtool" && GOWORK=off go run . -root "$ROOT" "$@"); }
published=$(modtool publish -out "$PROXY") || fail "could not publish the modules"
echo "$published"
VERSION=$(sed -n 's#^published [^@]*@\([^ ]*\) .*#\1#p' <<<"$published" | head -1)
[[ -n $VERSION ]] || fail "no module was published"

LIBS=() # "dir path" of every library module
while read -r dir path kind; do
	[[ $kind == lib ]] && LIBS+=("$dir $path")
done < <(modtool modules)

have_lib() { # dir
	local l
	for l in "${LIBS[@]}"; do [[ ${l%% *} == "$1" ]] && return 0; done
	return 1
}

# The user's environment: nothing of the repository's workspace, a module cache
# of its own, our modules from the proxy above and everything else as usual.
MAIN_CACHE=$(go env GOMODCACHE)
UPSTREAM=$(go env GOPROXY)
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
export GOMODCACHE=$SCRATCH/modcache
export GOPROXY="file://$PROXY,file://$MAIN_CACHE/cache/download,$UPSTREAM"
export GONOSUMDB=$OUR GOPRIVATE='' GONOPROXY=''
# The checksum database's answers this machine has already verified (signed
# tiles and lookups), so that each third-party module is not looked up again;
# anything not in them is still checked against the database.
if [[ -d $MAIN_CACHE/cache/download/sumdb ]]; then
	mkdir -p "$GOMODCACHE/cache/download"
	cp -R "$MAIN_CACHE/cache/download/sumdb" "$GOMODCACHE/cache/download/"
fi

# Third-party modules the user of one adapter and one store must not get, by
# the folder of the library module that brings them.
framework_of() { # dir
	case $1 in
	adapters/gin) echo github.com/gin-gonic/gin ;;
	adapters/echo) echo github.com/labstack/echo ;;
	adapters/chi) echo github.com/go-chi/chi ;;
	adapters/fiber) echo "github.com/gofiber/fiber github.com/valyala/fasthttp" ;;
	stores/redis) echo github.com/redis/go-redis ;;
	stores/memcache) echo github.com/bradfitz/gomemcache ;;
	stores/datastore) echo "cloud.google.com/go/datastore" ;;
	stores/postgres) echo github.com/jackc/pgx ;;
	esac
}

FAILED=() # the parts below that failed; each part runs to its end
# ---- 2. each library module alone ---------------------------------------------------
# A bad requirement of one module (a sibling at a version that was never
# published) shows only when nothing else requires that sibling at a good
# version, so each module is installed on its own first.
for l in "${LIBS[@]}"; do
	dir=${l%% *} path=${l#* }
	alone=$SCRATCH/alone/$dir
	mkdir -p "$alone"
	printf 'package alone\n\nimport _ "%s"\n' "$path" >"$alone/alone.go"
	# go mod tidy loads every package the import needs, and their tests' too,
	# which is where a bad requirement shows; the build is left to the app and
	# the custom store below (and to each module's own tests).
	(
		cd "$alone"
		go mod init example.com/alone >/dev/null 2>&1
		run go get "$path@$VERSION" && run go mod tidy
	) || {
		log "FAIL: $path@$VERSION cannot be installed on its own (the go command's error is above)"
		FAILED+=("$dir alone")
	}
done
((${#FAILED[@]})) || log "each library module installs on its own at $VERSION (${SECONDS}s so far)"

# ---- 3. one adapter and one store ------------------------------------------------
(
APP=$SCRATCH/app
mkdir -p "$APP"
cd "$APP"
run go mod init example.com/app >/dev/null 2>&1
if have_lib adapters/gin; then
	CHOSEN=(adapters/gin stores/redis)
	log "app: adapters/gin and stores/redis at $VERSION"
	cat >main.go <<'EOF'
// A gin app with sessions in Redis, as a user writes it after go get.
package main

import (
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

func main() {
	store, err := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}))
	if err != nil {
		log.Fatal(err)
	}
	m, err := vishnu.New(vishnu.Config{Store: store, Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(vishnugin.Middleware(m))
	r.GET("/", func(c *gin.Context) {
		s := vishnugin.Session(c)
		n, _ := vishnu.Get[int](s, "visits")
		s.Set("visits", n+1)
		c.String(http.StatusOK, "%d visits", n+1)
	})
	log.Fatal(r.Run("127.0.0.1:8080"))
}
EOF
else
	CHOSEN=(core stores/redis)
	log "app: there is no adapters/gin module yet, so core and stores/redis at $VERSION"
	cat >main.go <<'EOF'
// A net/http app with sessions in Redis, as a user writes it after go get.
package main

import (
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

func main() {
	store, err := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}))
	if err != nil {
		log.Fatal(err)
	}
	m, err := vishnu.New(vishnu.Config{Store: store, Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "visits")
		s.Set("visits", n+1)
	}))))
}
EOF
fi
# One go get per module, as a user types them: getting two at once would let
# the second mend a bad requirement of the first.
for dir in "${CHOSEN[@]}"; do
	run go get "$OUR/$dir@$VERSION" || fail "go get $OUR/$dir@$VERSION failed (the go command's error is above)"
done
run go mod tidy || fail "go mod tidy failed in the app"
# -trimpath: the packages compiled from this run's module cache (a new folder
# each time) are then the same build actions as last run's, found in the build cache.
run go build -trimpath -o /dev/null . || fail "go build failed in the app"

# Nothing of the other adapters and stores may be in the module graph.
GRAPH=$(go list -m all) || fail "go list -m all failed in the app"
unwanted=()
for l in "${LIBS[@]}"; do
	dir=${l%% *} path=${l#* }
	case $dir in adapters/* | stores/*) ;; *) continue ;; esac
	chosen=0
	for c in "${CHOSEN[@]}"; do [[ $c == "$dir" ]] && chosen=1; done
	((chosen)) && continue
	unwanted+=("$path")
done
for dir in adapters/gin adapters/echo adapters/chi adapters/fiber stores/redis stores/memcache stores/datastore stores/postgres; do
	chosen=0
	for c in "${CHOSEN[@]}"; do [[ $c == "$dir" ]] && chosen=1; done
	((chosen)) && continue
	read -ra fw <<<"$(framework_of "$dir")"
	unwanted+=("${fw[@]}")
	[[ " ${unwanted[*]} " == *" $OUR/$dir "* ]] || unwanted+=("$OUR/$dir")
done
found=()
while read -r path _; do
	for u in "${unwanted[@]}"; do
		[[ $path == "$u" || $path == "$u"/* ]] && found+=("$path")
	done
done <<<"$GRAPH"
if ((${#found[@]})); then
	fail "the app's module graph holds what it did not ask for: ${found[*]}"
fi
log "app: go list -m all has $(wc -l <<<"$GRAPH") modules, none of: ${unwanted[*]} (${SECONDS}s so far)"
) || FAILED+=("app")

# ---- 4. a custom store tested with the conformance suite ------------------------------
(
STORE=$SCRATCH/mystore
mkdir -p "$STORE"
cd "$STORE"
run go mod init example.com/mystore >/dev/null 2>&1
cat >store.go <<'EOF'
// Package mystore is a custom session store, written by a user against the
// three methods of vishnu.Store.
package mystore

import (
	"context"
	"sync"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

type record struct {
	data    []byte
	expires time.Time
}

// Store keeps records in a map, until they are deleted or cleaned up.
type Store struct {
	mu      sync.Mutex
	records map[string]record
}

// New returns an empty store.
func New() *Store { return &Store{records: map[string]record{}} }

// Load returns the record under id, or vishnu.ErrNotFound.
func (s *Store) Load(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[id]
	if !ok || !time.Now().Before(r.expires) {
		return nil, vishnu.ErrNotFound
	}
	return r.data, nil
}

// Save replaces the record under id.
func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[id] = record{data: append([]byte(nil), data...), expires: expires}
	return nil
}

// Delete removes the record under id.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, id)
	return nil
}

// Cleanup removes up to limit records that expired at least dormantFor ago,
// and reports whether none such are left: a map, like a database table,
// keeps expired records until something removes them.
func (s *Store) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := time.Now().Add(-dormantFor)
	removed := 0
	for id, r := range s.records {
		if r.expires.After(cutoff) {
			continue
		}
		if removed == limit {
			return false, nil
		}
		delete(s.records, id)
		removed++
	}
	return true, nil
}
EOF
cat >store_test.go <<'EOF'
package mystore

import (
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestConformance(t *testing.T) {
	conformance.TestStore(t, func(*testing.T) vishnu.Store { return New() },
		conformance.StoreOptions{TTLResolution: 50 * time.Millisecond, Expiry: conformance.CleanupRemoves})
}
EOF
log "custom store: core and conformance at $VERSION"
for dir in conformance core; do
	run go get "$OUR/$dir@$VERSION" || fail "go get $OUR/$dir@$VERSION failed (the go command's error is above)"
done
run go mod tidy || fail "go mod tidy failed in the custom store's module"
run go test -trimpath -count=1 ./... || fail "go test failed in the custom store's module"
) || FAILED+=("custom store")

if ((${#FAILED[@]})); then
	failed=$(printf '%s, ' "${FAILED[@]}")
	printf 'install-test: FAIL: %s\n' "${failed%, }" >&2
	exit 1
fi
log "ok: installed from the proxy as a user would, at $VERSION (${SECONDS}s)"

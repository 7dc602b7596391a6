// Command loadserver serves one session library's load-test routes, with
// its sessions in Redis (or, for the libraries named *-postgres, in
// PostgreSQL, in a schema it empties at start), until it is interrupted. It
// prints the address it listens on as its first line:
// "listening 127.0.0.1:PORT".
//
//	loadserver -lib vishnu -addr 127.0.0.1:0 -redis 127.0.0.1:6379 -db 12
//	loadserver -lib vishnu-postgres -postgres postgres://postgres@127.0.0.1:5432/postgres
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/vishnu-go/vishnu/bench/loadtest"
)

func main() { os.Exit(run()) }

// run serves until interrupted and returns the exit code, so that the
// deferred profile is written before the process exits.
func run() int {
	lib := flag.String("lib", "vishnu", "library: "+strings.Join(loadtest.Libraries(), ", "))
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback)")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis server")
	db := flag.Int("db", 12, "Redis database")
	pgURL := flag.String("postgres", postgresURL(), "PostgreSQL, for the *-postgres libraries (default from $VISHNU_POSTGRES_URL)")
	pgSchema := flag.String("schema", loadtest.DefaultPostgresSchema, "prefix of the PostgreSQL schema, dropped and created anew at start")
	list := flag.Bool("list", false, "print the libraries, one a line, and exit")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole serving time to this file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("loadserver: ")
	if *list {
		fmt.Println(strings.Join(loadtest.Libraries(), "\n"))
		return 0
	}
	gin.SetMode(gin.ReleaseMode) // no debug line per route

	srv, err := loadtest.NewServer(*lib, loadtest.Config{
		RedisAddr: *redisAddr, RedisDB: *db, PostgresURL: *pgURL, PostgresSchema: *pgSchema,
	})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	fmt.Println("listening", ln.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err = <-done:
	case <-stop:
		err = srv.Close()
		if serveErr := <-done; err == nil {
			err = serveErr
		}
	}
	if err != nil {
		log.Print(err)
		return 1
	}
	return 0
}

// postgresURL is the -postgres flag's default: $VISHNU_POSTGRES_URL, else
// the PostgreSQL of the test machines (loopback, trust authentication).
func postgresURL() string {
	if url := os.Getenv("VISHNU_POSTGRES_URL"); url != "" {
		return url
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

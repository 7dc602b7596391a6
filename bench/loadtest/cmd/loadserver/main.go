// Command loadserver serves one session library's load-test routes, with
// its sessions in Redis, until it is interrupted. It prints the address it
// listens on as its first line: "listening 127.0.0.1:PORT".
//
//	loadserver -lib vishnu -addr 127.0.0.1:0 -redis 127.0.0.1:6379 -db 12
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/vishnu-go/vishnu/bench/loadtest"
)

func main() {
	lib := flag.String("lib", "vishnu", "library: "+strings.Join(loadtest.Libraries(), ", "))
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback)")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis server")
	db := flag.Int("db", 12, "Redis database")
	list := flag.Bool("list", false, "print the libraries, one a line, and exit")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("loadserver: ")
	if *list {
		fmt.Println(strings.Join(loadtest.Libraries(), "\n"))
		return
	}
	gin.SetMode(gin.ReleaseMode) // no debug line per route

	srv, err := loadtest.NewServer(*lib, loadtest.Config{RedisAddr: *redisAddr, RedisDB: *db})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
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
		log.Fatal(err)
	}
}

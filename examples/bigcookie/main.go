// Command bigcookie keeps a session of 12 KB in the browser, with the cookie
// store: no server-side storage, the session split over numbered cookies
// that are written, replaced and deleted together.
//
//	go run ./examples/bigcookie              # then open http://127.0.0.1:8080/
//	go run ./examples/bigcookie -addr 127.0.0.1:9000
//
// Pages: / shows the session, /fill stores 12 KB in it, /logout ends it.
// Keys are random at each start, so sessions do not outlive the process.
package main

import (
	"crypto/rand"
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	h, err := newApp(rand.Text()+rand.Text(), rand.Text()+rand.Text())
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("bigcookie: serving http://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
}

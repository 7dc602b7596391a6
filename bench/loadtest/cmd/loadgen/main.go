// Command loadgen drives a loadserver over loopback with a fixed number of
// keep-alive connections and prints the run's figures as one line of JSON
// (loadtest.Result). With -report it instead reads such lines and prints
// them as Markdown tables.
//
//	loadgen -addr 127.0.0.1:PORT -lib vishnu -mix rw -requests 100000 -duration 20s -flush
//	loadgen -report results/load-latest.jsonl
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vishnu-go/vishnu/bench/loadtest"
)

func main() {
	var o loadtest.Options
	flag.StringVar(&o.Addr, "addr", "", "the server, host:port")
	lib := flag.String("lib", "", "the library's name, for the results")
	mix := flag.String("mix", "rw", "rw (90% read, 10% write over -sessions sessions) or hot (100% write on one session)")
	flag.IntVar(&o.Sessions, "sessions", 10_000, "rw: sessions")
	flag.IntVar(&o.WritePercent, "writes", 10, "rw: percent of writes")
	flag.IntVar(&o.Conns, "conns", 16, "connections")
	flag.IntVar(&o.Requests, "requests", 100_000, "measured requests, at most")
	flag.DurationVar(&o.Duration, "duration", 20*time.Second, "measured time, at most")
	seed := flag.Uint64("seed", 1, "seed of the random choices")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "the Redis the server uses, for INFO commandstats (empty: none)")
	db := flag.Int("db", 12, "its database, for -flush")
	flag.BoolVar(&o.Flush, "flush", false, "FLUSHDB before making the sessions")
	flag.IntVar(&o.Monitor, "monitor", 2000, "requests of a sample under MONITOR after the measured phase, to tell commands sent from those run in scripts (0: none)")
	report := flag.String("report", "", "print the results in this file (JSON lines) as Markdown, and exit")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("loadgen: ")

	if *report != "" {
		if err := printReport(*report); err != nil {
			log.Fatal(err)
		}
		return
	}
	o.Mix, o.Seed = loadtest.Mix(*mix), *seed
	if *redisAddr != "" {
		o.Redis = redis.NewClient(&redis.Options{Addr: *redisAddr, DB: *db})
		defer o.Redis.Close()
	}
	res, err := loadtest.Run(context.Background(), o)
	res.Lib = *lib
	if err != nil {
		log.Fatal(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		log.Fatal(err)
	}
}

func printReport(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var results []loadtest.Result
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r loadtest.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		results = append(results, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return loadtest.WriteTable(os.Stdout, results)
}

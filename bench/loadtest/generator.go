package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Mix is what the generator's requests do.
type Mix string

const (
	// MixReadWrite: each request picks one of Options.Sessions sessions at
	// random; Options.WritePercent of them increment (PathIncr), the others
	// read (PathRead).
	MixReadWrite Mix = "rw"
	// MixHot: every request increments on one shared session, each
	// connection its own key, so that the final sum counts the writes kept.
	MixHot Mix = "hot"
)

// Options configures Run. Requests and Duration both bound the measured
// phase: it ends at whichever comes first.
type Options struct {
	Addr         string        // the server, host:port on loopback
	Mix          Mix           // MixReadWrite or MixHot
	Sessions     int           // MixReadWrite: sessions made before measuring. Default 10,000
	WritePercent int           // MixReadWrite: share of increments, in percent. Default 10
	Conns        int           // connections, one worker each. Default 16
	Requests     int           // measured requests, at most. Required
	Duration     time.Duration // measured time, at most. Required
	Seed         uint64        // the sessions' and requests' random choices

	// Redis, when set, is the server the library keeps its sessions in:
	// INFO commandstats is read before and after the measured phase.
	Redis *redis.Client
	// Flush empties Redis's database (FLUSHDB) before the sessions are made.
	Flush bool
	// Monitor, with Redis, is the number of requests of a sample run after
	// the measured phase under Redis's MONITOR, which tells the commands the
	// server sent from those run inside scripts. 0: no sample.
	Monitor int
}

// Result is one run's figures. Latencies are per request, from writing the
// request to reading the whole response, in microseconds.
type Result struct {
	Lib      string  `json:"lib,omitempty"`
	Mix      Mix     `json:"mix"`
	Conns    int     `json:"conns"`
	Sessions int     `json:"sessions"`
	Requests int     `json:"requests"` // measured requests answered, whatever their status
	Errors   int     `json:"errors"`   // of those, answered with another status than 200
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`

	// RedisCommands is the number of Redis commands per measured request
	// (0 without Options.Redis), and RedisByCommand the same per command.
	RedisCommands  float64            `json:"redis_commands_per_request"`
	RedisByCommand map[string]float64 `json:"redis_by_command,omitempty"`
	// RedisSent and RedisInScripts split the commands per request of the
	// Options.Monitor sample: those the server sent to Redis (each a round
	// trip, unless pipelined) and those Redis ran inside the scripts they
	// called. MonitorRequests is the sample's size (0: none).
	RedisSent       float64 `json:"redis_sent_per_request"`
	RedisInScripts  float64 `json:"redis_in_scripts_per_request"`
	MonitorRequests int     `json:"monitor_requests,omitempty"`

	// Writes is the number of increments answered 200, Counted the sum of
	// the counters read back at the end, and Lost the difference: the
	// writes that a later write of another request undid.
	Writes  int `json:"writes"`
	Counted int `json:"counted"`
	Lost    int `json:"lost"`

	FirstError string `json:"first_error,omitempty"`
}

func (o *Options) defaults() error {
	if o.Sessions == 0 {
		o.Sessions = 10_000
	}
	if o.Mix == MixHot {
		o.Sessions = 1
	}
	if o.WritePercent == 0 {
		o.WritePercent = 10
	}
	if o.Conns == 0 {
		o.Conns = 16
	}
	switch {
	case o.Mix != MixReadWrite && o.Mix != MixHot:
		return fmt.Errorf("loadtest: unknown mix %q", o.Mix)
	case o.Requests <= 0 || o.Duration <= 0:
		return errors.New("loadtest: Options.Requests and Options.Duration must bound the run")
	case o.Sessions < 0 || o.Conns < 0 || o.WritePercent < 0 || o.WritePercent > 100:
		return errors.New("loadtest: negative Sessions or Conns, or WritePercent out of 0..100")
	}
	return nil
}

// Run makes the sessions, measures the mix, and counts the increments kept.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	res := Result{Mix: o.Mix, Conns: o.Conns, Sessions: o.Sessions}
	if o.Flush && o.Redis != nil {
		if err := o.Redis.FlushDB(ctx).Err(); err != nil {
			return res, fmt.Errorf("loadtest: FLUSHDB: %w", err)
		}
	}
	conns := make([]*conn, o.Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	for i := range conns {
		c, err := dial(o.Addr)
		if err != nil {
			return res, err
		}
		conns[i] = c
	}
	cookies, err := logIn(conns, o.Sessions)
	if err != nil {
		return res, err
	}

	var before map[string]int64
	if o.Redis != nil {
		if before, err = commandStats(ctx, o.Redis); err != nil {
			return res, err
		}
	}
	ws := measure(ctx, conns, cookies, o)
	var lat []time.Duration
	var firstErr error
	for _, w := range ws {
		lat = append(lat, w.lat...)
		res.Errors += w.errors
		res.Writes += w.writes
		if res.FirstError == "" {
			res.FirstError = w.firstErr
		}
		if firstErr == nil {
			firstErr = w.ioErr
		}
	}
	if o.Redis != nil {
		after, err := commandStats(ctx, o.Redis)
		if err != nil {
			return res, err
		}
		res.RedisByCommand = make(map[string]float64)
		for name, n := range commandsBetween(before, after) {
			res.RedisCommands += float64(n)
			res.RedisByCommand[name] = float64(n) / float64(max(1, len(lat)))
		}
		res.RedisCommands /= float64(max(1, len(lat)))
	}
	if firstErr != nil {
		return res, firstErr
	}
	if o.Monitor > 0 && o.Redis != nil {
		if err := sample(ctx, conns, cookies, o, &res); err != nil {
			return res, err
		}
	}
	res.Requests = len(lat)
	res.Seconds = maxElapsed(ws).Seconds()
	res.RPS = float64(res.Requests) / res.Seconds
	slices.Sort(lat)
	res.P50us, res.P99us = percentile(lat, 0.50), percentile(lat, 0.99)

	if res.Counted, err = countKept(conns, cookies, o.Conns); err != nil {
		return res, err
	}
	res.Lost = res.Writes - res.Counted
	return res, nil
}

// sample runs o.Monitor more requests of the mix under MONITOR, and adds
// their increments to res.Writes, so that the final count covers them.
func sample(ctx context.Context, conns []*conn, cookies []string, o Options, res *Result) error {
	opts := o.Redis.Options()
	m, err := startMonitor(opts.Addr, opts.DB)
	if err != nil {
		return err
	}
	so := o
	so.Requests, so.Seed = o.Monitor, o.Seed+1
	ws := measure(ctx, conns, cookies, so)
	sent, lua, merr := m.stop()
	n := 0
	for _, w := range ws {
		if w.ioErr != nil {
			return w.ioErr
		}
		n += len(w.lat)
		res.Writes += w.writes
		res.Errors += w.errors
	}
	if merr != nil {
		return fmt.Errorf("loadtest: MONITOR: %w", merr)
	}
	res.MonitorRequests = n
	res.RedisSent, res.RedisInScripts = float64(sent)/float64(max(1, n)), float64(lua)/float64(max(1, n))
	return nil
}

// logIn makes n sessions, spread over the connections, and returns their
// cookies (name=value).
func logIn(conns []*conn, n int) ([]string, error) {
	cookies := make([]string, n)
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for w, c := range conns {
		wg.Go(func() {
			for i := w; i < n; i += len(conns) {
				r, err := c.get(PathLogin+"?u="+strconv.Itoa(i), "")
				switch {
				case err != nil:
					errs[w] = err
					return
				case r.status != 200 || r.setCookie == "":
					errs[w] = fmt.Errorf("loadtest: login: status %d, cookie %q, body %q", r.status, r.setCookie, r.body)
					return
				}
				cookies[i] = r.setCookie
			}
		})
	}
	wg.Wait()
	return cookies, errors.Join(errs...)
}

// A worker's figures from the measured phase.
type worker struct {
	lat      []time.Duration
	elapsed  time.Duration
	errors   int
	writes   int
	firstErr string // the first non-200 answer
	ioErr    error
}

// measure runs one worker per connection until o.Requests have been sent
// or o.Duration has passed.
func measure(ctx context.Context, conns []*conn, cookies []string, o Options) []worker {
	ws := make([]worker, len(conns))
	var sent atomic.Int64
	start := time.Now()
	deadline := start.Add(o.Duration)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			w := &ws[i]
			w.lat = make([]time.Duration, 0, o.Requests/len(conns)+1)
			rng := rand.New(rand.NewPCG(o.Seed, uint64(i)))
			incrPath := PathIncr + "?c=" + strconv.Itoa(i)
			for ctx.Err() == nil && sent.Add(1) <= int64(o.Requests) {
				t0 := time.Now()
				if t0.After(deadline) {
					break
				}
				cookie, target := cookies[0], incrPath
				if o.Mix == MixReadWrite {
					cookie = cookies[rng.IntN(len(cookies))]
					if rng.IntN(100) >= o.WritePercent {
						target = PathRead
					}
				}
				r, err := c.get(target, cookie)
				if err != nil {
					w.ioErr = err
					break
				}
				w.lat = append(w.lat, time.Since(t0))
				switch {
				case r.status != 200:
					w.errors++
					if w.firstErr == "" {
						w.firstErr = fmt.Sprintf("GET %s: %d %s", target, r.status, r.body)
					}
				case target == incrPath:
					w.writes++
				}
			}
			w.elapsed = time.Since(start)
		})
	}
	wg.Wait()
	return ws
}

func maxElapsed(ws []worker) time.Duration {
	var d time.Duration
	for _, w := range ws {
		d = max(d, w.elapsed)
	}
	return max(d, time.Nanosecond)
}

// percentile is the nearest-rank percentile p of sorted latencies, in
// microseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(p*float64(len(sorted))+0.5)-1)
	return float64(sorted[max(0, i)]) / float64(time.Microsecond)
}

// countKept reads back every session's counters (c0 .. c(conns-1)) and
// returns their sum, spread over the connections.
func countKept(conns []*conn, cookies []string, nconns int) (int, error) {
	sums := make([]int, len(conns))
	errs := make([]error, len(conns))
	target := PathSum + "?n=" + strconv.Itoa(nconns)
	var wg sync.WaitGroup
	for w, c := range conns {
		wg.Go(func() {
			for i := w; i < len(cookies); i += len(conns) {
				r, err := c.get(target, cookies[i])
				if err == nil && r.status != 200 {
					err = fmt.Errorf("loadtest: sum: status %d, body %q", r.status, r.body)
				}
				if err != nil {
					errs[w] = err
					return
				}
				n, err := strconv.Atoi(string(r.body))
				if err != nil {
					errs[w] = fmt.Errorf("loadtest: sum: body %q: %w", r.body, err)
					return
				}
				sums[w] += n
			}
		})
	}
	wg.Wait()
	total := 0
	for _, s := range sums {
		total += s
	}
	return total, errors.Join(errs...)
}

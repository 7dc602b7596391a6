package loadtest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// WriteTable writes results as Markdown, one table per mix, a row per
// library in the order they first appear: the medians over the runs of
// each, and for lost updates the range and the writes of a run. Redis
// commands per request are INFO commandstats' over the measured phase,
// which counts the commands run inside scripts too; "sent / in scripts"
// splits them, from the MONITOR sample (Options.Monitor).
func WriteTable(w io.Writer, results []Result) error {
	type key struct {
		mix Mix
		lib string
	}
	var order []key
	groups := make(map[key][]Result)
	for _, r := range results {
		k := key{r.Mix, r.Lib}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, mix := range []Mix{MixReadWrite, MixHot} {
		var rows []string
		for _, k := range order {
			if k.mix != mix {
				continue
			}
			rs := groups[k]
			rows = append(rows, fmt.Sprintf("| %s | %d | %.0f | %.0f µs | %.0f µs | %s | %s | %s | %s |",
				k.lib, len(rs),
				median(rs, func(r Result) float64 { return r.RPS }),
				median(rs, func(r Result) float64 { return r.P50us }),
				median(rs, func(r Result) float64 { return r.P99us }),
				redisFigures(rs), commands(rs), lost(rs), errorCount(rs)))
		}
		if len(rows) == 0 {
			continue
		}
		first := groups[order[slices.IndexFunc(order, func(k key) bool { return k.mix == mix })]][0]
		title := fmt.Sprintf("90%% read / 10%% write over %s sessions (%d connections)", thousands(first.Sessions), first.Conns)
		if mix == MixHot {
			title = fmt.Sprintf("100%% write on one hot session (%d connections)", first.Conns)
		}
		fmt.Fprintf(w, "#### %s\n\n", title)
		fmt.Fprintln(w, "| library | runs | requests/s | p50 | p99 | Redis commands / request | sent / in scripts | commands (per request) | lost updates | errors |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|---|---:|")
		for _, row := range rows {
			fmt.Fprintln(w, row)
		}
		ratios(w, mix, order, groups)
		fmt.Fprintln(w)
	}
	return nil
}

// redisFigures is the cells of Redis commands per request, and of those
// sent and run in scripts; a dash each for the runs without Redis (the
// rows on PostgreSQL), where every request sends at least one command.
func redisFigures(rs []Result) string {
	if median(rs, func(r Result) float64 { return r.RedisCommands }) == 0 {
		return "— | —"
	}
	return fmt.Sprintf("%.2f | %.2f / %.2f",
		median(rs, func(r Result) float64 { return r.RedisCommands }),
		median(rs, func(r Result) float64 { return r.RedisSent }),
		median(rs, func(r Result) float64 { return r.RedisInScripts }))
}

func median(rs []Result, f func(Result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else if n > 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return 0
}

// commands lists the commands of the first run, most used first.
func commands(rs []Result) string {
	by := rs[0].RedisByCommand
	names := make([]string, 0, len(by))
	for name := range by {
		if by[name] >= 0.005 {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if by[names[i]] != by[names[j]] {
			return by[names[i]] > by[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s %.2f", name, by[name])
	}
	return strings.Join(parts, ", ")
}

// lost is the range of lost updates over the runs, and the writes of a run.
func lost(rs []Result) string {
	lo, hi := rs[0].Lost, rs[0].Lost
	for _, r := range rs {
		lo, hi = min(lo, r.Lost), max(hi, r.Lost)
	}
	writes := int(median(rs, func(r Result) float64 { return float64(r.Writes) }))
	if lo == hi {
		return fmt.Sprintf("%d of %d", lo, writes)
	}
	return fmt.Sprintf("%d–%d of %d", lo, hi, writes)
}

func errorCount(rs []Result) string {
	n := 0
	for _, r := range rs {
		n += r.Errors
	}
	return fmt.Sprint(n)
}

// thousands formats n with commas: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sameFramework pairs each Vishnu row with the peer on the same framework.
var sameFramework = map[string]string{
	"vishnu":       "scs",
	"vishnu-gin":   "gin-contrib",
	"vishnu-echo":  "echo-contrib",
	"vishnu-fiber": "fiber",

	"vishnu" + postgresSuffix: "scs" + postgresSuffix,
}

// ratios writes, under a mix's table, each Vishnu row's median requests/s
// divided by the best peer's on the same store (Redis or PostgreSQL), and
// by the peer's on the same framework.
func ratios[K comparable](w io.Writer, mix Mix, order []K, groups map[K][]Result) {
	rps := map[string]float64{}
	var libs []string
	for _, k := range order {
		rs := groups[k]
		if rs[0].Mix != mix {
			continue
		}
		rps[rs[0].Lib] = median(rs, func(r Result) float64 { return r.RPS })
		libs = append(libs, rs[0].Lib)
	}
	for _, pg := range []bool{false, true} {
		var same []string
		for _, lib := range libs {
			if onPostgres(lib) == pg {
				same = append(same, lib)
			}
		}
		storeRatios(w, same, rps)
	}
}

// storeRatios writes the ratios of ratios for libs, whose sessions are in
// one store, given their median requests/s.
func storeRatios(w io.Writer, libs []string, rps map[string]float64) {
	best, bestLib := 0.0, ""
	for _, lib := range libs {
		if _, ours := sameFramework[lib]; !ours && rps[lib] > best {
			best, bestLib = rps[lib], lib
		}
	}
	if bestLib == "" {
		return
	}
	var vsBest, vsSame []string
	for _, lib := range libs {
		peer, ours := sameFramework[lib]
		if !ours {
			continue
		}
		vsBest = append(vsBest, fmt.Sprintf("%s %.2f×", lib, rps[lib]/best))
		if p, ok := rps[peer]; ok && p > 0 {
			vsSame = append(vsSame, fmt.Sprintf("%s ÷ %s %.2f×", lib, peer, rps[lib]/p))
		}
	}
	fmt.Fprintf(w, "\nRequests/s ÷ the best peer's (%s): %s. On the same framework: %s.\n",
		bestLib, strings.Join(vsBest, ", "), strings.Join(vsSame, ", "))
}

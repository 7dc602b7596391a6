// Command growth turns the raw output of growth.sh's benchmarks
// (BenchmarkSizeRead, BenchmarkSizeWrite, BenchmarkPopulation) into the
// Markdown tables of README.md: medians over the runs, the ratios the
// targets are about, and whether each target is met.
//
//	go run ./cmd/growth -in results/growth.txt > results/growth.md
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "results/growth.txt", "raw go test -bench output")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("growth: ")
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := parse(f)
	if err != nil {
		log.Fatalf("%s: %v", *in, err)
	}
	w := bufio.NewWriter(os.Stdout)
	sizeTables(w, m)
	populationTables(w, m)
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}

// medians maps a benchmark name without its -GOMAXPROCS suffix (like
// "SizeRead/keys=1/value=64/lib=vishnu") to each unit's median.
type medians map[string]map[string]float64

func (m medians) get(name, unit string) (float64, bool) {
	v, ok := m[name][unit]
	return v, ok
}

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) (medians, error) {
	all := map[string]map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		mt := line.FindStringSubmatch(sc.Text())
		if mt == nil {
			continue
		}
		fields := strings.Fields(mt[2])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", sc.Text(), err)
			}
			if all[mt[1]] == nil {
				all[mt[1]] = map[string][]float64{}
			}
			all[mt[1]][fields[i+1]] = append(all[mt[1]][fields[i+1]], v)
		}
	}
	m := medians{}
	for name, units := range all {
		m[name] = map[string]float64{}
		for unit, vs := range units {
			sort.Float64s(vs)
			n := len(vs)
			m[name][unit] = (vs[(n-1)/2] + vs[n/2]) / 2
		}
	}
	return m, sc.Err()
}

// duration formats nanoseconds with 3 significant digits, as benchstat.
func duration(ns float64) string {
	switch {
	case ns < 1000:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return strconv.FormatFloat(ns/1e3, 'g', 3, 64) + " µs"
	default:
		return strconv.FormatFloat(ns/1e6, 'g', 3, 64) + " ms"
	}
}

func bytesOf(n int) string {
	switch {
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

var (
	sizeKeys   = []int{1, 10, 100}
	sizeValues = []int{64, 4 << 10, 64 << 10}
	sizeLibs   = []string{"vishnu", "scs", "gorilla"}
	popSizes   = []int{1_000, 100_000, 1_000_000}
	popLibs    = []string{"vishnu", "scs"}
	popOps     = []string{"read", "write", "new"}
)

func cell(m medians, name string) string {
	ns, ok := m.get(name, "ns/op")
	if !ok {
		return "–"
	}
	c := duration(ns)
	if b, ok := m.get(name, "B/op"); ok {
		c += ", " + humanBytes(b)
	}
	return c
}

func humanBytes(b float64) string {
	switch {
	case b >= 1<<20:
		return strconv.FormatFloat(b/(1<<20), 'g', 3, 64) + " MiB"
	case b >= 1<<10:
		return strconv.FormatFloat(b/(1<<10), 'g', 3, 64) + " KiB"
	}
	return fmt.Sprintf("%.0f B", b)
}

func sizeTables(w io.Writer, m medians) {
	name := func(op string, keys, size int, lib string) string {
		return fmt.Sprintf("%s/keys=%d/value=%d/lib=%s", op, keys, size, lib)
	}
	if _, ok := m.get(name("SizeWrite", 1, 64, "vishnu"), "ns/op"); !ok {
		return
	}
	for _, op := range []string{"SizeRead", "SizeWrite"} {
		title := map[string]string{"SizeRead": "Read one key", "SizeWrite": "Write one key"}[op]
		fmt.Fprintf(w, "#### %s, by session size (median time and bytes allocated per request)\n\n", title)
		fmt.Fprintf(w, "| keys × value | %s |\n|---|%s\n", strings.Join(sizeLibs, " | "), strings.Repeat("---:|", len(sizeLibs)))
		for _, keys := range sizeKeys {
			for _, size := range sizeValues {
				row := []string{}
				for _, lib := range sizeLibs {
					c := cell(m, name(op, keys, size, lib))
					if lib == "vishnu" {
						c = "**" + c + "**"
					}
					row = append(row, c)
				}
				fmt.Fprintf(w, "| %d × %s | %s |\n", keys, bytesOf(size), strings.Join(row, " | "))
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "#### Write one key into a 100-key session ÷ into a 1-key session (target for Vishnu: close to 1)\n\n")
	fmt.Fprintf(w, "| value | %s |\n|---|%s\n", strings.Join(sizeLibs, " | "), strings.Repeat("---:|", len(sizeLibs)))
	for _, size := range sizeValues {
		row := []string{}
		for _, lib := range sizeLibs {
			big, ok1 := m.get(name("SizeWrite", 100, size, lib), "ns/op")
			small, ok2 := m.get(name("SizeWrite", 1, size, lib), "ns/op")
			if !ok1 || !ok2 {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%.2f×", big/small))
		}
		fmt.Fprintf(w, "| %s | %s |\n", bytesOf(size), strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
}

func populationTables(w io.Writer, m medians) {
	name := func(n int, lib, op string) string {
		return fmt.Sprintf("Population/sessions=%d/lib=%s/op=%s", n, lib, op)
	}
	if _, ok := m.get(name(popSizes[0], "vishnu", "read"), "ns/op"); !ok {
		return
	}
	fmt.Fprintf(w, "#### Memory store population (medians)\n\n")
	fmt.Fprintln(w, "| live sessions | library | read | write | new | heap / session | payload / session | GC share of CPU (read, write, new) |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---|")
	for _, n := range popSizes {
		for _, lib := range popLibs {
			cells := []string{}
			gcs := []string{}
			for _, op := range popOps {
				ns, ok := m.get(name(n, lib, op), "ns/op")
				if !ok {
					cells = append(cells, "–")
					continue
				}
				cells = append(cells, duration(ns))
				gc, _ := m.get(name(n, lib, op), "gc-cpu-%") // absent: no GC ran
				gcs = append(gcs, fmt.Sprintf("%.1f%%", gc))
			}
			heap, _ := m.get(name(n, lib, "read"), "heap-B/session")
			payload, _ := m.get(name(n, lib, "read"), "payload-B/session")
			l := lib
			if lib == "vishnu" {
				l = "**vishnu**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %.0f B | %.0f B | %s |\n", thousands(n), l, strings.Join(cells, " | "), heap, payload, strings.Join(gcs, ", "))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "#### Targets: time at 10⁶ sessions ÷ at 10³ (≤ 1.3×), heap per session ≤ payload + 200 B\n\n")
	fmt.Fprintln(w, "| library | read | write | new | heap − payload at 10⁶ |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	lo, hi := popSizes[0], popSizes[len(popSizes)-1]
	for _, lib := range popLibs {
		row := []string{}
		for _, op := range popOps {
			a, ok1 := m.get(name(lo, lib, op), "ns/op")
			b, ok2 := m.get(name(hi, lib, op), "ns/op")
			if !ok1 || !ok2 {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%.2f× %s", b/a, verdict(b/a <= 1.3)))
		}
		heap, _ := m.get(name(hi, lib, "read"), "heap-B/session")
		payload, _ := m.get(name(hi, lib, "read"), "payload-B/session")
		row = append(row, fmt.Sprintf("%.0f B %s", heap-payload, verdict(heap-payload <= 200)))
		fmt.Fprintf(w, "| %s | %s |\n", lib, strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
}

func verdict(met bool) string {
	if met {
		return "(met)"
	}
	return "(missed)"
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var parts []string
	for len(s) > 3 {
		parts = append([]string{s[len(s)-3:]}, parts...)
		s = s[:len(s)-3]
	}
	return strings.Join(slices.Concat([]string{s}, parts), ",")
}

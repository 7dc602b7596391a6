// Command chart draws the benchmark results as an SVG bar chart: time per
// request for each scenario and library, on a log scale, each bar labelled
// with its median and its allocations. With -md it also writes the medians
// as a Markdown table, a row per scenario and a column per library.
//
// It reads the CSV that benchstat writes with -col /lib -format csv (one
// table per metric, a row per scenario, a column group per library):
//
//	go run ./cmd/chart -in results/latest-benchstat.csv -out results/chart.svg -md results/summary.md
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "results/latest-benchstat.csv", "benchstat CSV (-col /lib -format csv)")
	out := flag.String("out", "results/chart.svg", "SVG file to write")
	md := flag.String("md", "", "Markdown file to write the medians to (optional)")
	flag.StringVar(&title, "title", title, "the chart's title")
	flag.StringVar(&subtitle, "subtitle", subtitle, "the line under the title")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("chart: ")

	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		log.Fatalf("%s: %v", *in, err)
	}
	if err := os.WriteFile(*out, draw(res), 0o644); err != nil {
		log.Fatal(err)
	}
	if *md != "" {
		if err := os.WriteFile(*md, markdown(res), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// markdown returns the medians as a table: time per request and
// allocations per request, "–" where a library has no such scenario.
func markdown(res *results) []byte {
	var b bytes.Buffer
	b.WriteString("| scenario |")
	for _, lib := range res.libs {
		fmt.Fprintf(&b, " %s |", lib)
	}
	b.WriteString("\n|---|")
	for range res.libs {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, sc := range res.scenarios {
		fmt.Fprintf(&b, "| %s |", scenarioTitle(sc))
		for _, lib := range res.libs {
			sec, ok := res.get("sec/op", sc, lib)
			if !ok {
				b.WriteString(" – |")
				continue
			}
			cell := duration(sec)
			if a, ok := res.get("allocs/op", sc, lib); ok {
				cell += fmt.Sprintf(", %.0f %s", a, plural(a, "alloc"))
			}
			if lib == "vishnu" {
				cell = "**" + cell + "**"
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// results holds the medians of one benchstat table set.
type results struct {
	libs      []string // in the column order of the CSV
	scenarios []string // in the row order of the CSV
	// metric ("sec/op", "allocs/op", ...) -> scenario -> lib -> median
	values map[string]map[string]map[string]float64
}

func (r *results) get(metric, scenario, lib string) (float64, bool) {
	v, ok := r.values[metric][scenario][lib]
	return v, ok
}

// procSuffix is the -GOMAXPROCS suffix of a benchmark name, like "-2".
var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads benchstat's CSV. Each metric's table starts with a row of
// library names, each at the first of its columns, then a row naming what
// each column holds (the metric, "CI", "vs base", "P"); its rows follow
// until the next table's header.
func parse(r io.Reader) (*results, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	res := &results{values: make(map[string]map[string]map[string]float64)}
	seenLib, seenScenario := map[string]bool{}, map[string]bool{}
	for i := 0; i < len(rows); i++ {
		if len(rows[i]) < 2 || rows[i][0] != "" || rows[i][1] == "" || i+1 >= len(rows) {
			continue
		}
		header, kinds := rows[i], rows[i+1]
		// Each library's median is in its column whose kind is the metric.
		type col struct {
			lib    string
			metric string
		}
		var cols = map[int]col{}
		lib := ""
		for j := 1; j < len(kinds); j++ {
			if j < len(header) && header[j] != "" {
				lib = header[j]
			}
			if k := kinds[j]; lib != "" && k != "" && k != "CI" && k != "vs base" && k != "P" {
				cols[j] = col{lib, k}
			}
		}
		for i += 2; i < len(rows) && len(rows[i]) > 1 && rows[i][0] != ""; i++ {
			name := procSuffix.ReplaceAllString(rows[i][0], "")
			if name == "geomean" {
				continue
			}
			for j, c := range cols {
				if j >= len(rows[i]) || rows[i][j] == "" {
					continue
				}
				v, err := strconv.ParseFloat(rows[i][j], 64)
				if err != nil {
					return nil, fmt.Errorf("row %q, %s of %s: %v", rows[i][0], c.metric, c.lib, err)
				}
				m := res.values[c.metric]
				if m == nil {
					m = make(map[string]map[string]float64)
					res.values[c.metric] = m
				}
				if m[name] == nil {
					m[name] = make(map[string]float64)
				}
				m[name][c.lib] = v
				if !seenLib[c.lib] {
					seenLib[c.lib] = true
					res.libs = append(res.libs, c.lib)
				}
				if !seenScenario[name] {
					seenScenario[name] = true
					res.scenarios = append(res.scenarios, name)
				}
			}
		}
		i-- // csv skips blank lines: the next table's header is this row
	}
	if res.values["sec/op"] == nil {
		return nil, errors.New("no sec/op table (expected benchstat -col /lib -format csv)")
	}
	// The columns of one table come out of a map: put the libraries back in
	// the order of the header.
	res.libs = headerOrder(rows, res.libs)
	return res, nil
}

// headerOrder sorts libs by their first appearance in a header row.
func headerOrder(rows [][]string, libs []string) []string {
	pos := map[string]int{}
	for _, row := range rows {
		if len(row) > 1 && row[0] == "" {
			for j, c := range row {
				if _, ok := pos[c]; !ok && c != "" {
					pos[c] = j
				}
			}
		}
	}
	out := append([]string(nil), libs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && pos[out[j]] < pos[out[j-1]]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Layout, in pixels.
const (
	width      = 980
	left       = 200 // scenario and library labels
	right      = 170 // value labels
	top        = 78
	rowH       = 22
	barH       = 15
	groupGap   = 14
	headingH   = 24
	bottomAxis = 44
)

// colors of the libraries; the baselines (bare, gin-bare, ...) are grey.
var colors = map[string]string{
	"vishnu":  "#d9480f",
	"scs":     "#4263eb",
	"gorilla": "#0c8599",
	"gin":     "#2f9e44",
	"echo":    "#e8a200",
	"fiber":   "#9c36b5",
}

// The chart's title and the line under it (-title, -subtitle).
var (
	title    = "Time per request, by scenario and library"
	subtitle = "Median of the runs, log scale: shorter is faster. Labels: median, allocations per request. Grey: the same handler without session middleware."
)

func colorOf(lib string) string {
	if c, ok := colors[lib]; ok {
		return c
	}
	return "#adb5bd"
}

// scenarioTitle turns "CookieRead" into "Cookie read".
func scenarioTitle(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// duration formats seconds as benchstat does: 3 significant digits.
func duration(sec float64) string {
	switch ns := sec * 1e9; {
	case ns < 1000:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return strconv.FormatFloat(ns/1e3, 'g', 3, 64) + " µs"
	default:
		return strconv.FormatFloat(ns/1e6, 'g', 3, 64) + " ms"
	}
}

func draw(res *results) []byte {
	// The scale: whole decades around every median.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, byLib := range res.values["sec/op"] {
		for _, v := range byLib {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi == dlo {
		dhi++
	}
	plotW := float64(width - left - right)
	x := func(sec float64) float64 {
		return left + (math.Log10(sec)-dlo)/(dhi-dlo)*plotW
	}

	// Rows first, to know the height.
	type bar struct {
		y        float64
		lib      string
		sec      float64
		allocs   float64
		hasAlloc bool
	}
	type heading struct {
		y    float64
		name string
	}
	var bars []bar
	var heads []heading
	y := float64(top)
	for _, sc := range res.scenarios {
		heads = append(heads, heading{y, sc})
		y += headingH
		for _, lib := range res.libs {
			sec, ok := res.get("sec/op", sc, lib)
			if !ok {
				continue
			}
			a, hasA := res.get("allocs/op", sc, lib)
			bars = append(bars, bar{y, lib, sec, a, hasA})
			y += rowH
		}
		y += groupGap
	}
	plotBottom := y - groupGap + 6
	height := int(plotBottom) + bottomAxis
	note := slices.Contains(res.libs, "fiber")
	if note {
		height += 20
	}

	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">`, width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>`)
	p(`<text x="%d" y="28" font-size="18" font-weight="bold" fill="#212529">%s</text>`, 16, html.EscapeString(title))
	p(`<text x="%d" y="50" fill="#495057">%s</text>`, 16, html.EscapeString(subtitle))

	// Grid and axis labels at 1, 2 and 5 of each decade.
	for d := dlo; d <= dhi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > dhi+1e-9 {
				break
			}
			gx := x(v)
			stroke, w := "#e9ecef", 1
			if m == 1 {
				stroke, w = "#ced4da", 1
			}
			p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%d"/>`, gx, top-6, gx, plotBottom, stroke, w)
			label := duration(v)
			weight := "normal"
			if m == 1 {
				weight = "bold"
			}
			p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#495057" font-size="11" font-weight="%s">%s</text>`, gx, plotBottom+16, weight, label)
			p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#495057" font-size="11" font-weight="%s">%s</text>`, gx, top-10, weight, label)
		}
	}

	for _, h := range heads {
		p(`<text x="16" y="%.1f" font-size="14" font-weight="bold" fill="#212529">%s</text>`, h.y+16, html.EscapeString(scenarioTitle(h.name)))
	}
	for _, br := range bars {
		c := colorOf(br.lib)
		weight := "normal"
		if br.lib == "vishnu" {
			weight = "bold"
		}
		p(`<text x="%d" y="%.1f" text-anchor="end" fill="#343a40" font-weight="%s">%s</text>`, left-10, br.y+barH-3, weight, html.EscapeString(br.lib))
		bx := x(math.Pow(10, dlo))
		p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" rx="2"/>`, bx, br.y, math.Max(1, x(br.sec)-bx), barH, c)
		label := duration(br.sec)
		if br.hasAlloc {
			label += fmt.Sprintf(" · %.0f %s", br.allocs, plural(br.allocs, "alloc"))
		}
		p(`<text x="%.1f" y="%.1f" fill="#343a40" font-weight="%s">%s</text>`, x(br.sec)+6, br.y+barH-3, weight, label)
	}
	if note {
		p(`<text x="16" y="%d" fill="#495057" font-size="12">fiber runs on fasthttp and is measured through its in-memory request path, without the request copy and recorder of the net/http rows.</text>`, height-14)
	}
	p(`</svg>`)
	return b.Bytes()
}

func plural(n float64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

package vishnu_test

import (
	"os"
	"testing"
)

// With VISHNU_BENCH_CPU=1, BenchmarkMiddleware also reports cpu-ns/op: the CPU
// time the process spent per request, the garbage collector's included. On a
// machine shared with other work, where waiting for a CPU makes wall time
// swing, it compares two builds more steadily than ns/op does.
const cpuEnv = "VISHNU_BENCH_CPU"

// cpuMeter reports cpu-ns/op for the requests run between its start and
// its report, when cpuEnv asks for it.
type cpuMeter struct {
	start int64
	on    bool
}

func startCPU() cpuMeter {
	if os.Getenv(cpuEnv) != "1" {
		return cpuMeter{}
	}
	d, ok := processCPU()
	return cpuMeter{start: int64(d), on: ok}
}

func (m cpuMeter) report(b *testing.B) {
	if !m.on || b.N == 0 {
		return
	}
	if d, ok := processCPU(); ok {
		b.ReportMetric(float64(int64(d)-m.start)/float64(b.N), "cpu-ns/op")
	}
}

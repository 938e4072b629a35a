package compat

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// The stock Go client under load: N producer instances (own client instance, own connection)
// each sending 1 KiB messages with SendSync in a loop. cmd/loadgen (make bench) builds this
// package's test binary and runs TestGoClientLoad against the NameServer of each broker it
// measures, ours and the stock Java one, reading the figures from a JSON file; the benchmark
// below runs the same load against the in-process harness for a quick look.

// goClientLoad is what one run measured; cmd/loadgen decodes the same field names.
type goClientLoad struct {
	Producers int
	Sent      int64 // acked within the measured window
	Failed    int64
	Seconds   float64
	P50Micros float64
	P99Micros float64
	TotalSent int64 // warm-up included
}

// runGoClientLoad starts n producers on nsAddr, warms them up until every one has sent a
// message (routes fetched, connections open), then measures for d.
func runGoClientLoad(tb testing.TB, nsAddr, topic string, n int, d time.Duration, body []byte) goClientLoad {
	tb.Helper()
	group := uniq("PG_bench")
	ps := make([]rocketmq.Producer, n)
	for i := range ps {
		p, err := rocketmq.NewProducer(
			producer.WithNameServer(primitive.NamesrvAddr{nsAddr}),
			producer.WithGroupName(group),
			producer.WithInstanceName(uniq("bench"+strconv.Itoa(i))),
			producer.WithRetry(2),
			producer.WithSendMsgTimeout(5*time.Second),
		)
		if err != nil {
			tb.Fatalf("new producer: %v", err)
		}
		if err := p.Start(); err != nil {
			tb.Fatalf("start producer: %v", err)
		}
		ps[i] = p
	}
	defer func() {
		for _, p := range ps {
			_ = p.Shutdown()
		}
	}()
	var total atomic.Int64
	// Warm-up: one acknowledged send per producer, retried while the route settles.
	for _, p := range ps {
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := p.SendSync(context.Background(), primitive.NewMessage(topic, body))
			if err == nil && r.Status == primitive.SendOK {
				total.Add(1)
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("warm-up send to %s never succeeded: %v", topic, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		lat     []int64
		sent    atomic.Int64
		failed  atomic.Int64
		stopped atomic.Bool
	)
	t0 := time.Now()
	time.AfterFunc(d, func() { stopped.Store(true) })
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]int64, 0, 1<<14)
			for !stopped.Load() {
				s := time.Now()
				r, err := p.SendSync(context.Background(), primitive.NewMessage(topic, body))
				if err != nil || r.Status != primitive.SendOK {
					failed.Add(1)
					continue
				}
				local = append(local, int64(time.Since(s)))
				sent.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	slices.Sort(lat)
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := max(0, min(len(lat)-1, int(q*float64(len(lat))+0.999999)-1))
		return float64(lat[i]) / 1e3
	}
	return goClientLoad{Producers: n, Sent: sent.Load(), Failed: failed.Load(), Seconds: elapsed.Seconds(),
		P50Micros: pct(0.50), P99Micros: pct(0.99), TotalSent: total.Load() + sent.Load()}
}

// TestGoClientLoad runs only when cmd/loadgen asks for it through the environment:
// ROCKETGO_LOADGEN_NAMESRV (address), ROCKETGO_LOADGEN_TOPIC, ROCKETGO_LOADGEN_DURATION,
// ROCKETGO_LOADGEN_PRODUCERS and ROCKETGO_LOADGEN_OUT (where the JSON figures go).
func TestGoClientLoad(t *testing.T) {
	ns := os.Getenv("ROCKETGO_LOADGEN_NAMESRV")
	if ns == "" {
		t.Skip("load run for cmd/loadgen (make bench); set ROCKETGO_LOADGEN_NAMESRV to run it")
	}
	topic := os.Getenv("ROCKETGO_LOADGEN_TOPIC")
	out := os.Getenv("ROCKETGO_LOADGEN_OUT")
	if topic == "" || out == "" {
		t.Fatal("ROCKETGO_LOADGEN_TOPIC and ROCKETGO_LOADGEN_OUT must be set too")
	}
	d, err := time.ParseDuration(os.Getenv("ROCKETGO_LOADGEN_DURATION"))
	if err != nil || d <= 0 {
		d = 5 * time.Second
	}
	n, err := strconv.Atoi(os.Getenv("ROCKETGO_LOADGEN_PRODUCERS"))
	if err != nil || n <= 0 {
		n = 16
	}
	res := runGoClientLoad(t, ns, topic, n, d, make([]byte, 1024))
	if res.Sent == 0 {
		t.Fatalf("no message acknowledged in %v (%d failed)", d, res.Failed)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d producers: %d sent (%.0f/s), %d failed, p50 %.0f µs, p99 %.0f µs", n, res.Sent,
		float64(res.Sent)/res.Seconds, res.Failed, res.P50Micros, res.P99Micros)
}

// BenchmarkGoClient16Producers sends with 16 sync producers against our servers in this
// process (so client and broker share the CPU profile); b.N bounds the measured seconds'
// worth of messages only loosely, the figure to read is msgs/s.
func BenchmarkGoClient16Producers(b *testing.B) {
	c := newCluster(b, 1, nil)
	topic := uniq("BenchGoClient")
	c.createTopic(topic, 8)
	b.ResetTimer()
	d := time.Duration(b.N) * 100 * time.Microsecond // about what one message costs at 16 producers
	d = max(200*time.Millisecond, min(d, 10*time.Second))
	res := runGoClientLoad(b, c.NamesrvAddr(), topic, 16, d, make([]byte, 1024))
	b.StopTimer()
	if res.Sent == 0 {
		b.Fatalf("no message acknowledged (%d failed)", res.Failed)
	}
	b.ReportMetric(float64(res.Sent)/res.Seconds, "msgs/s")
	b.ReportMetric(res.P99Micros, "p99-µs")
	b.ReportMetric(0, "ns/op")
}

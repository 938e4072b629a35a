package ha

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
)

// BenchmarkPut compares a standalone store with an ASYNC_MASTER and a SYNC_MASTER replicating
// to one slave over loopback: 8 concurrent writers of ~150-byte messages (ASYNC_FLUSH), with
// the p99 put latency and, for the masters, the largest replication lag seen while writing and
// how long the slave took to catch up once writing stopped.
func BenchmarkPut(b *testing.B) {
	for _, mode := range []string{"standalone", "ASYNC_MASTER", "SYNC_MASTER"} {
		b.Run(mode, func(b *testing.B) {
			role := store.AsyncMaster
			if mode == "SYNC_MASTER" {
				role = store.SyncMaster
			}
			m := openBenchStore(b, role)
			var s *store.Store
			if mode != "standalone" {
				cfg := fastCfg()
				svc, err := NewService(m, cfg)
				if err != nil {
					b.Fatal(err)
				}
				svc.Start()
				m.SetReplicator(svc)
				defer svc.Close()
				s = openBenchStore(b, store.Slave)
				c := NewClient(s, cfg, func() string { return svc.Addr().String() })
				c.Start()
				defer c.Close()
				for svc.Push2SlaveMaxOffset() < 0 || svc.ConnectionCount() == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			var maxLag atomic.Int64
			stopLag := make(chan struct{})
			var lagWG sync.WaitGroup
			if s != nil {
				lagWG.Add(1)
				go func() {
					defer lagWG.Done()
					for {
						select {
						case <-stopLag:
							return
						case <-time.After(time.Millisecond):
						}
						if l := m.CommitLogMaxOffset() - s.CommitLogMaxOffset(); l > maxLag.Load() {
							maxLag.Store(l)
						}
					}
				}()
			}
			var mu sync.Mutex
			var lat []time.Duration
			var failed atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				mine := make([]time.Duration, 0, 1024)
				msgv := msg(1)
				for pb.Next() {
					t0 := time.Now()
					if r := m.PutMessage(msgv); r.Status != store.PutOK {
						failed.Add(1)
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			if s != nil {
				close(stopLag)
				lagWG.Wait()
				t0 := time.Now()
				for s.CommitLogMaxOffset() < m.CommitLogMaxOffset() {
					time.Sleep(100 * time.Microsecond)
				}
				b.ReportMetric(float64(maxLag.Load()), "max-lag-bytes")
				b.ReportMetric(float64(time.Since(t0).Microseconds()), "catchup-µs")
			}
			if failed.Load() > 0 {
				b.Fatalf("%d puts not PUT_OK", failed.Load())
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
		})
	}
}

func openBenchStore(b *testing.B, role store.BrokerRole) *store.Store {
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = b.TempDir()
	cfg.MappedFileSizeCommitLog = 64 << 20
	cfg.MappedFileSizeConsumeQueue = 300000 * 20
	cfg.MessageIndexEnable = false
	cfg.BrokerRole = role
	s, err := store.Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

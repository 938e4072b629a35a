package broker

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// Runtime figures for GET_BROKER_RUNTIME_INFO (mqadmin clusterList / brokerStatus, the
// dashboard): the store's counters are sampled once a second into a ring, so the TPS over
// 10 s, 60 s and 600 s (Java StoreStatsService's windows) are differences of two samples.

const statsRing = 601 // one sample per second, 600 s back

type statsSample struct {
	at                 time.Time
	put, get, getFound int64
}

type runtimeStats struct {
	mu      sync.Mutex
	ring    [statsRing]statsSample
	n       int // samples taken
	boot    time.Time
	day     int // yearday of the last midnight roll
	putYest int64
	getYest int64
	putMorn int64
	getMorn int64
}

func (r *runtimeStats) init(now time.Time) {
	r.boot = now
	r.day = now.YearDay()
}

// sample records the store counters; at the first sample of a new day the morning snapshots
// roll (Java's msgPutTotalTodayMorning / YesterdayMorning).
func (r *runtimeStats) sample(now time.Time, st store.Stats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.YearDay() != r.day {
		r.day = now.YearDay()
		r.putYest, r.getYest = r.putMorn, r.getMorn
		r.putMorn, r.getMorn = st.PutCount, st.GetFoundMessages
	}
	r.ring[r.n%statsRing] = statsSample{at: now, put: st.PutCount, get: st.GetCount, getFound: st.GetFoundMessages}
	r.n++
}

// tps returns "t10 t60 t600" for the counter picked by f.
func (r *runtimeStats) tps(f func(statsSample) int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]byte, 0, 32)
	for i, secs := range []int{10, 60, 600} {
		if i > 0 {
			out = append(out, ' ')
		}
		rate := 0.0
		if r.n >= 2 {
			last := r.ring[(r.n-1)%statsRing]
			back := min(secs, r.n-1)
			first := r.ring[(r.n-1-back)%statsRing]
			if d := last.at.Sub(first.at).Seconds(); d > 0 {
				rate = float64(f(last)-f(first)) / d
			}
		}
		out = strconv.AppendFloat(out, rate, 'f', 2, 64)
	}
	return string(out)
}

// runtimeInfo builds the KVTable of GET_BROKER_RUNTIME_INFO with the 4.9.8 keys this broker
// can fill with live values.
func (b *Broker) runtimeInfo() map[string]string {
	st := b.store.Stats()
	r := &b.rstats
	r.mu.Lock()
	putYest, putMorn, getYest, getMorn, boot := r.putYest, r.putMorn, r.getYest, r.getMorn, r.boot
	r.mu.Unlock()
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	cfg := b.conf()
	earliest := int64(-1)
	if st.CommitLogMaxOffset > st.CommitLogMinOffset {
		if m, err := b.store.LookMessageByOffset(st.CommitLogMinOffset); err == nil && m != nil {
			earliest = m.StoreTimestamp
		}
	}
	up := time.Since(boot)
	kv := map[string]string{
		"brokerVersionDesc":                     "V4_9_8",
		"brokerVersion":                         strconv.Itoa(int(remoting.Version)),
		"msgPutTotalYesterdayMorning":           i64(putYest),
		"msgPutTotalTodayMorning":               i64(putMorn),
		"msgPutTotalTodayNow":                   i64(st.PutCount),
		"msgGetTotalYesterdayMorning":           i64(getYest),
		"msgGetTotalTodayMorning":               i64(getMorn),
		"msgGetTotalTodayNow":                   i64(st.GetFoundMessages),
		"sendThreadPoolQueueSize":               "0",
		"sendThreadPoolQueueCapacity":           strconv.Itoa(cfg.SendThreadPoolQueueCapacity),
		"pullThreadPoolQueueSize":               "0",
		"pullThreadPoolQueueCapacity":           strconv.Itoa(cfg.PullThreadPoolQueueCapacity),
		"queryThreadPoolQueueSize":              "0",
		"queryThreadPoolQueueCapacity":          strconv.Itoa(cfg.QueryThreadPoolQueueCapacity),
		"EndTransactionQueueSize":               "0",
		"EndTransactionThreadPoolQueueCapacity": strconv.Itoa(cfg.EndTransactionPoolQueueCapacity),
		"sendThreadPoolQueueHeadWaitTimeMills":  "0",
		"pullThreadPoolQueueHeadWaitTimeMills":  "0",
		"queryThreadPoolQueueHeadWaitTimeMills": "0",
		"dispatchBehindBytes":                   i64(st.DispatchBehindBytes),
		"pageCacheLockTimeMills":                "0",
		"earliestMessageTimeStamp":              i64(earliest),
		"startAcceptSendRequestTimeStamp":       i64(cfg.StartAcceptSendRequestTimeStamp),
		"remainTransientStoreBufferNumbs":       "2147483647",
		"remainHowManyDataToFlush":              "0 B",
		"commitLogDirCapacity":                  dirCapacity(b.cfg.CommitLogDir()),
		"bootTimestamp":                         i64(boot.UnixMilli()),
		"runtime": fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", int(up.Hours())/24,
			int(up.Hours())%24, int(up.Minutes())%60, int(up.Seconds())%60),
		"putMessageTimesTotal":  i64(st.PutCount),
		"putMessageSizeTotal":   i64(st.PutBytes),
		"putMessageAverageSize": fmt.Sprintf("%.2f", avg(st.PutBytes, st.PutCount)),
		"putTps":                r.tps(func(s statsSample) int64 { return s.put }),
		"getTotalTps":           r.tps(func(s statsSample) int64 { return s.get }),
		"getTransferedTps":      r.tps(func(s statsSample) int64 { return s.getFound }),
		"commitLogDiskRatio":    strconv.FormatFloat(orDiskRatio(st.CommitLogDiskRatio, b.cfg.CommitLogDir()), 'f', -1, 64),
		"consumeQueueDiskRatio": strconv.FormatFloat(orDiskRatio(st.ConsumeQueueDiskRatio, b.cfg.ConsumeQueueDir()), 'f', -1, 64),
		"commitLogMinOffset":    i64(st.CommitLogMinOffset),
		"commitLogMaxOffset":    i64(st.CommitLogMaxOffset),
	}
	b.addScheduleRuntimeInfo(kv)
	b.addRuntimeInfo(kv) // stats.go: per-directory disk ratio, dispatchMaxBuffer, getFoundTps
	return kv
}

// orDiskRatio replaces the store's -1 (directory not created yet: no message stored) by the
// used ratio of the file system the directory will live on, which is what Java shows because
// it creates the directories at start.
func orDiskRatio(r float64, dir string) float64 {
	if r >= 0 {
		return r
	}
	for d := dir; ; d = filepath.Dir(d) {
		var fs syscall.Statfs_t
		if syscall.Statfs(d, &fs) == nil {
			used := float64(fs.Blocks-fs.Bfree) * float64(fs.Bsize)
			avail := float64(fs.Bavail) * float64(fs.Bsize)
			if used+avail <= 0 {
				return r
			}
			return math.Ceil(100*used/(used+avail)) / 100
		}
		if d == filepath.Dir(d) {
			return r
		}
	}
}

func avg(sum, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// dirCapacity renders Java's "Total : <x>, Free : <y>." for the file system holding dir.
func dirCapacity(dir string) string {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return "Total : 0 B, Free : 0 B."
	}
	total := int64(fs.Blocks) * int64(fs.Bsize)
	free := int64(fs.Bavail) * int64(fs.Bsize)
	return "Total : " + humanBytes(total) + ", Free : " + humanBytes(free) + "."
}

// humanBytes is Java's UtilAll.humanReadableByteCount(bytes, false): 1024-based units
// with one decimal ("1.5 GiB"), plain bytes below 1024.
func humanBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	const units = "KMGTPE"
	exp, v := 0, float64(n)/1024
	for v >= 1024 && exp < len(units)-1 {
		v /= 1024
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[exp])
}

func (p *adminProcessor) getBrokerRuntimeInfo(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = (&protocol.KVTable{Table: p.b.runtimeInfo()}).Marshal()
	return resp
}

// getTopicStatsInfo answers each write queue's min/max offset and the store time of its last
// message (mqadmin topicStatus); an unknown topic is TOPIC_NOT_EXIST.
func (p *adminProcessor) getTopicStatsInfo(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	topic, err := protocol.Header{Ext: req.ExtFields}.Str("topic")
	if err != nil {
		return headerError(req, err)
	}
	tc := p.b.topics.SelectTopicConfig(topic)
	if tc == nil {
		return remoting.NewResponse(req, protocol.TopicNotExist, "topic["+topic+"] not exist")
	}
	table := protocol.TopicStatsTable{OffsetTable: make(map[protocol.MessageQueue]protocol.TopicOffset, tc.WriteQueueNums)}
	st := p.b.store
	for i := int32(0); i < tc.WriteQueueNums; i++ {
		mn := max(st.MinOffsetInQueue(topic, i), 0)
		mx := max(st.MaxOffsetInQueue(topic, i), 0)
		var ts int64
		if mx > 0 {
			ts = st.GetMessageStoreTimestamp(topic, i, mx-1)
		}
		table.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: p.b.conf().BrokerName, QueueID: i}] =
			protocol.TopicOffset{MinOffset: mn, MaxOffset: mx, LastUpdateTimestamp: ts}
	}
	resp := success(req)
	resp.Body = table.Marshal()
	return resp
}

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// target is a NameServer+Broker pair under test, each a child process.
type target struct {
	name       string
	work       string // its stores, configs and logs
	ns, br     *proc
	nsAddr     string
	brokerAddr string
	startups   []time.Duration // exec to accepting connections, empty store, one per start
	cl         *remoting.Client
}

// serverKind says how to launch one flavour of servers.
type serverKind struct {
	name string
	java bool
	// argv of the NameServer and the broker given their config file.
	nsArgv, brArgv func(conf string) []string
	env            []string
	// waits bound how long a start may take (the Java servers need seconds).
	nsWait, brWait time.Duration
}

func ourKind(binDir string) serverKind {
	return serverKind{
		name:   "rocketgo",
		nsArgv: func(c string) []string { return []string{filepath.Join(binDir, "mqnamesrv"), "-c", c} },
		brArgv: func(c string) []string { return []string{filepath.Join(binDir, "mqbroker"), "-c", c} },
		nsWait: 20 * time.Second, brWait: 20 * time.Second,
	}
}

func javaKind(javaHome, logHome string) serverKind {
	return serverKind{
		name:   "Java 4.9.8",
		java:   true,
		nsArgv: func(c string) []string { return []string{filepath.Join(javaHome, "bin", "mqnamesrv"), "-c", c} },
		brArgv: func(c string) []string { return []string{filepath.Join(javaHome, "bin", "mqbroker"), "-c", c} },
		// The wrappers' defaults: 256 MB NameServer heap, 512 MB broker heap (what issue 5's
		// Java figures were taken with).
		env:    []string{"ROCKETMQ_LOG_HOME=" + logHome},
		nsWait: 90 * time.Second, brWait: 120 * time.Second,
	}
}

// startTarget starts the NameServer, then the broker `starts` times on a fresh empty store,
// timing each start, and leaves the last one running.
func startTarget(k serverKind, work string, starts int) (*target, error) {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	nsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &target{name: k.name, work: work, nsAddr: "127.0.0.1:" + strconv.Itoa(nsPort)}
	nsConf := filepath.Join(work, "namesrv.properties")
	if err := writeProps(nsConf, [][2]string{
		{"listenPort", strconv.Itoa(nsPort)},
		{"kvConfigPath", filepath.Join(work, "namesrv", "kvConfig.json")},
	}); err != nil {
		return nil, err
	}
	t.ns, err = startProc(k.name+" NameServer", k.nsArgv(nsConf), k.env, work, filepath.Join(work, "namesrv.log"))
	if err != nil {
		return nil, err
	}
	if err := t.ns.waitListening(t.nsAddr, k.nsWait); err != nil {
		t.stop()
		return nil, err
	}
	brPort, err := freeBrokerPort()
	if err != nil {
		t.stop()
		return nil, err
	}
	t.brokerAddr = "127.0.0.1:" + strconv.Itoa(brPort)
	for i := range max(starts, 1) {
		dir := filepath.Join(work, "broker-"+strconv.Itoa(i))
		store := filepath.Join(dir, "store")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.stop()
			return nil, err
		}
		conf := filepath.Join(dir, "broker.conf")
		if err := writeProps(conf, [][2]string{
			{"brokerClusterName", "LoadgenCluster"},
			{"brokerName", "loadgen-broker"},
			{"brokerId", "0"},
			{"brokerIP1", "127.0.0.1"},
			{"brokerIP2", "127.0.0.1"},
			{"namesrvAddr", t.nsAddr},
			{"listenPort", strconv.Itoa(brPort)},
			{"storePathRootDir", store},
			// Java's default commitlog path is under user.home, not the root dir.
			{"storePathCommitLog", filepath.Join(store, "commitlog")},
			{"flushDiskType", "ASYNC_FLUSH"},
			{"brokerRole", "ASYNC_MASTER"},
		}); err != nil {
			t.stop()
			return nil, err
		}
		t0 := time.Now()
		br, err := startProc(k.name+" broker", k.brArgv(conf), k.env, dir, filepath.Join(dir, "broker.log"))
		if err != nil {
			t.stop()
			return nil, err
		}
		if err := br.waitListening(t.brokerAddr, k.brWait); err != nil {
			br.stop(10 * time.Second)
			t.stop()
			return nil, err
		}
		t.startups = append(t.startups, time.Since(t0))
		if i < starts-1 {
			br.stop(30 * time.Second)
			continue
		}
		t.br = br
	}
	t.br.startSampling(50 * time.Millisecond)
	t.cl = remoting.NewClient(remoting.ClientConfig{Name: "loadgen"})
	return t, nil
}

// startupMedian is the median start-up time.
func (t *target) startupMedian() time.Duration {
	if len(t.startups) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), t.startups...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// stop shuts the broker down, then the NameServer; it returns the broker's shutdown time.
func (t *target) stop() time.Duration {
	if t.cl != nil {
		t.cl.Close()
	}
	var d time.Duration
	if t.br != nil {
		d = t.br.stop(60 * time.Second)
	}
	if t.ns != nil {
		t.ns.stop(30 * time.Second)
	}
	return d
}

// createTopic sends UPDATE_AND_CREATE_TOPIC to the broker, retrying while it finishes starting
// (Java opens its port before every processor is ready).
func (t *target) createTopic(topic string, queues int) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		h := protocol.CreateTopicRequestHeader{Topic: topic, DefaultTopic: "TBW102", ReadQueueNums: int32(queues),
			WriteQueueNums: int32(queues), Perm: 6, TopicFilterType: "SINGLE_TAG"}
		req := remoting.NewRequest(protocol.UpdateAndCreateTopic, nil, nil)
		h.Encode(&req.ExtFields)
		resp, err := t.cl.Invoke(t.brokerAddr, req, 10*time.Second)
		if err == nil && resp.Code == protocol.Success {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("code %d: %s", resp.Code, resp.Remark)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("create topic %s on %s: %w", topic, t.name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// maxOffsets asks GET_MAX_OFFSET for every queue of topic.
func (t *target) maxOffsets(topic string, queues int) ([]int64, error) {
	out := make([]int64, queues)
	for q := range queues {
		h := protocol.QueueHeader{Topic: topic, QueueID: int32(q)}
		req := remoting.NewRequest(protocol.GetMaxOffset, nil, nil)
		h.Encode(&req.ExtFields)
		resp, err := t.cl.Invoke(t.brokerAddr, req, 10*time.Second)
		if err != nil {
			return nil, err
		}
		if resp.Code != protocol.Success {
			return nil, fmt.Errorf("GET_MAX_OFFSET %s/%d: code %d %s", topic, q, resp.Code, resp.Remark)
		}
		var oh protocol.OffsetResponseHeader
		if err := oh.Decode(resp.ExtFields); err != nil {
			return nil, err
		}
		out[q] = oh.Offset
	}
	return out, nil
}

// waitRoute waits until the NameServer has a route for topic, so a client library finds it.
func (t *target) waitRoute(topic string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		h := protocol.GetRouteInfoRequestHeader{Topic: topic}
		req := remoting.NewRequest(protocol.GetRouteinfoByTopic, nil, nil)
		h.Encode(&req.ExtFields)
		resp, err := t.cl.Invoke(t.nsAddr, req, 5*time.Second)
		if err == nil && resp.Code == protocol.Success {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New(resp.Remark)
			}
			return fmt.Errorf("no route for %s on %s: %w", topic, t.nsAddr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

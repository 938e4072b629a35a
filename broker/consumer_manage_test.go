package broker

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func TestConsumerOffsetCommitQueryPersist(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	q := func(group, topic string, qid int) *remoting.Command {
		return tb.call(protocol.QueryConsumerOffset, ext("consumerGroup", group, "topic", topic, "queueId", strconv.Itoa(qid)), nil)
	}
	upd := func(group, topic string, qid int, off int64, oneway bool) {
		req := remoting.NewRequest(protocol.UpdateConsumerOffset, ext("consumerGroup", group, "topic", topic,
			"queueId", strconv.Itoa(qid), "commitOffset", strconv.FormatInt(off, 10)), nil)
		if oneway { // the Java client's way
			if err := tb.Client.InvokeOneway(tb.Addr(), req); err != nil {
				t.Fatal(err)
			}
			return
		}
		// The Go client's "oneway" has no flag and gets an answer.
		resp, err := tb.Client.Invoke(tb.Addr(), req, 3*time.Second)
		if err != nil || resp.Code != protocol.Success {
			t.Fatalf("update: %v %+v", err, resp)
		}
	}
	// Young empty queue, no committed offset: Java answers 0 (start from the beginning).
	if r := q("CG", "TopicTest", 0); r.Code != protocol.Success || r.ExtFields.Value("offset") != "0" {
		t.Fatalf("young queue: %d %v %q", r.Code, r.ExtFields, r.Remark)
	}
	upd("CG", "TopicTest", 0, 250, false)
	upd("CG", "TopicTest", 1, 251, true)
	waitFor(t, 5*time.Second, "oneway commit", func() bool { return tb.B.offsets.QueryOffset("CG", "TopicTest", 1) == 251 })
	if r := q("CG", "TopicTest", 0); r.Code != protocol.Success || r.ExtFields.Value("offset") != "250" {
		t.Fatalf("committed: %d %v", r.Code, r.ExtFields)
	}
	// Graceful restart keeps them (persisted at shutdown).
	tb.restart()
	if r := q("CG", "TopicTest", 1); r.ExtFields.Value("offset") != "251" {
		t.Fatalf("after restart: %d %v", r.Code, r.ExtFields)
	}
	data, err := os.ReadFile(filepath.Join(tb.Cfg.StorePathRootDir, "config", offsetsFile))
	if err != nil || !strings.Contains(string(data), "\"TopicTest@CG\":{0:250,1:251\n") {
		t.Fatalf("consumerOffset.json: %v\n%s", err, data)
	}
}

func TestConsumerOffsetPersistedPeriodically(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, func(c *Config) { c.FlushConsumerOffsetInterval = 100 })
	tb.call(protocol.UpdateConsumerOffset, ext("consumerGroup", "CG", "topic", "T", "queueId", "3", "commitOffset", "42"), nil)
	path := filepath.Join(tb.Cfg.StorePathRootDir, "config", offsetsFile)
	waitFor(t, 3*time.Second, "periodic consumerOffset.json write", func() bool {
		data, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(data), `"T@CG":{3:42`)
	})
}

// fakeQueues stands in for the store in the QUERY_CONSUMER_OFFSET rule.
type fakeQueues struct {
	min    int64
	inDisk bool
}

func (f fakeQueues) MinOffsetInQueue(string, int32) int64 { return f.min }
func (f fakeQueues) CheckInDiskByConsumeOffset(string, int32, int64) bool {
	return f.inDisk
}

// TestQueryConsumerOffsetRule is trap 7: no offset must be 22 (never 1), except that a queue
// still starting at 0 with its head in memory answers 0.
func TestQueryConsumerOffsetRule(t *testing.T) {
	req := remoting.NewRequest(protocol.QueryConsumerOffset, nil, nil)
	cases := []struct {
		name      string
		committed int64
		st        fakeQueues
		code      int32
		offset    string
	}{
		{"committed wins", 7, fakeQueues{min: 100, inDisk: true}, protocol.Success, "7"},
		{"committed zero", 0, fakeQueues{min: 100}, protocol.Success, "0"},
		{"young queue in memory", -1, fakeQueues{min: 0}, protocol.Success, "0"},
		{"queue head on disk", -1, fakeQueues{min: 0, inDisk: true}, protocol.QueryNotFound, ""},
		{"queue trimmed", -1, fakeQueues{min: 5}, protocol.QueryNotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := answerConsumerOffset(req, c.committed, c.st, "T", 0)
			if r.Code != c.code || r.ExtFields.Value("offset") != c.offset {
				t.Fatalf("got %d %v", r.Code, r.ExtFields)
			}
			if c.code == protocol.QueryNotFound && r.Remark != remarkOffsetNotFound {
				t.Fatalf("remark %q", r.Remark)
			}
		})
	}
}

// TestOffsetQueriesAlwaysCarryFields is trap 8: the Go client parses `offset` whatever the
// code, so even an unknown queue answers with the field.
func TestOffsetQueriesAlwaysCarryFields(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	cases := []struct {
		code  int32
		ext   remoting.ExtFields
		field string
		want  string
	}{
		{protocol.GetMaxOffset, ext("topic", "Nope", "queueId", "0"), "offset", "0"},
		{protocol.GetMinOffset, ext("topic", "Nope", "queueId", "0"), "offset", "0"},
		{protocol.SearchOffsetByTimestamp, ext("topic", "Nope", "queueId", "0", "timestamp", "1700000000000"), "offset", "0"},
		{protocol.GetEarliestMsgStoretime, ext("topic", "Nope", "queueId", "0"), "timestamp", "-1"},
	}
	for _, c := range cases {
		r := tb.call(c.code, c.ext, nil)
		if r.Code != protocol.Success || r.ExtFields.Value(c.field) != c.want {
			t.Errorf("%s: code %d ext %v", protocol.RequestName(c.code), r.Code, r.ExtFields)
		}
	}
}

func TestConsumerManageMissingFields(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	cases := []struct {
		code    int32
		ext     remoting.ExtFields
		missing string
	}{
		{protocol.QueryConsumerOffset, ext("topic", "T", "queueId", "0"), "consumerGroup"},
		{protocol.UpdateConsumerOffset, ext("consumerGroup", "G", "topic", "T", "queueId", "0"), "commitOffset"},
		{protocol.GetMaxOffset, ext("topic", "T"), "queueId"},
		{protocol.GetMinOffset, ext("queueId", "0"), "topic"},
		{protocol.SearchOffsetByTimestamp, ext("topic", "T", "queueId", "0"), "timestamp"},
		{protocol.GetEarliestMsgStoretime, ext("topic", "T", "queueId", "x"), "queueId"},
		{protocol.UnregisterClient, ext("consumerGroup", "G"), "clientID"},
	}
	for _, c := range cases {
		r := tb.call(c.code, c.ext, nil)
		if r.Code != protocol.SystemError || !strings.Contains(r.Remark, c.missing) {
			t.Errorf("%s: code %d remark %q", protocol.RequestName(c.code), r.Code, r.Remark)
		}
	}
}

// TestQueryConsumerOffsetInDiskRule drives the young-queue rule through the real store: with
// accessMessageInMemoryMaxRatio=0 every stored record counts as "on disk", so a group without
// an offset on a queue holding messages gets QUERY_NOT_FOUND; an empty queue still answers 0.
func TestQueryConsumerOffsetInDiskRule(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		ratio int
		code  int32
	}{{40, protocol.Success}, {0, protocol.QueryNotFound}} {
		tb := startTestBroker(t, func(cfg *Config) { cfg.AccessMessageInMemoryMaxRatio = c.ratio })
		host := netip.MustParseAddrPort("127.0.0.1:10911")
		for i := 0; i < 3; i++ {
			res := tb.B.store.PutMessage(&message.Msg{Topic: "DiskRule", QueueID: 0, BornTimestamp: time.Now().UnixMilli(),
				BornHost: host, StoreHost: host, Body: []byte("hello")})
			if !res.Status.Stored() {
				t.Fatalf("put: %v", res.Status)
			}
		}
		r := tb.call(protocol.QueryConsumerOffset, ext("consumerGroup", "NewGroup", "topic", "DiskRule", "queueId", "0"), nil)
		if r.Code != c.code {
			t.Fatalf("ratio %d: code %d %v %q", c.ratio, r.Code, r.ExtFields, r.Remark)
		}
		r = tb.call(protocol.QueryConsumerOffset, ext("consumerGroup", "NewGroup", "topic", "DiskRule", "queueId", "1"), nil)
		if r.Code != protocol.Success || r.ExtFields.Value("offset") != "0" {
			t.Fatalf("empty queue, ratio %d: %d %v", c.ratio, r.Code, r.ExtFields)
		}
	}
}

// TestSearchOffsetByTimestamp: Java's answers (ConsumeQueue.getOffsetInQueueByTime) for a
// timestamp before, inside and after the queue's messages, and for an empty queue.
func TestSearchOffsetByTimestamp(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	host := netip.MustParseAddrPort("127.0.0.1:10911")
	before := time.Now().UnixMilli() - 1000
	for i := 0; i < 5; i++ {
		res := tb.B.store.PutMessage(&message.Msg{Topic: "Search", BornTimestamp: time.Now().UnixMilli(),
			BornHost: host, StoreHost: host, Body: []byte("m")})
		if !res.Status.Stored() {
			t.Fatal(res.Status)
		}
	}
	after := time.Now().UnixMilli() + 60000
	search := func(queue string, ts int64) string {
		r := tb.call(protocol.SearchOffsetByTimestamp, ext("topic", "Search", "queueId", queue, "timestamp", strconv.FormatInt(ts, 10)), nil)
		if r.Code != protocol.Success {
			t.Fatalf("code %d", r.Code)
		}
		return r.ExtFields.Value("offset")
	}
	if got := search("0", before); got != "0" {
		t.Errorf("before every message: %s, want 0", got)
	}
	if got := search("0", after); got != "4" {
		t.Errorf("after every message: %s, want 4 (the last message, not max)", got)
	}
	if got := search("1", after); got != "0" {
		t.Errorf("empty queue: %s, want 0", got)
	}
}

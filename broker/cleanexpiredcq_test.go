package broker

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// TestCleanExpiredConsumeQueueRequest: CLEAN_EXPIRED_CONSUMEQUEUE (306) over TCP destroys a
// topic's expired queue and keeps its live one, which still serves pulls, before and after a
// restart; the topic stays configured.
func TestCleanExpiredConsumeQueueRequest(t *testing.T) {
	tb := startTestBroker(t, func(cfg *Config) {
		cfg.MappedFileSizeCommitLog = 4096
		cfg.MappedFileSizeConsumeQueue = 8 * 20
		cfg.FileReservedTime = 0
	})
	const topic = "CleanCQ"
	tb.B.topics.UpdateTopicConfig(&TopicConfig{TopicName: topic, ReadQueueNums: 2, WriteQueueNums: 2,
		Perm: PermRead | PermWrite, TopicFilterType: "SINGLE_TAG"})
	body := []byte(strings.Repeat("b", 300))
	send := func(qid int32) int64 {
		t.Helper()
		resp, err := tb.Client.Invoke(tb.Addr(), sendV1(topic, qid, "", body), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		mustCode(t, resp, protocol.Success)
		off, err := strconv.ParseInt(resp.ExtFields.Value("queueOffset"), 10, 64)
		if err != nil {
			t.Fatalf("queueOffset %q", resp.ExtFields.Value("queueOffset"))
		}
		return off
	}
	for i := 0; i < 10; i++ {
		send(0)
	}
	var last1 int64
	for i := 0; i < 40; i++ {
		last1 = send(1)
	}
	// Retention deletes every commitlog file but the one being written; queue 0's units all
	// point into deleted files, queue 1's last ones do not.
	st := tb.B.store
	st.ExecuteDeleteFilesManually()
	st.CleanNow()
	if min := st.CommitLogMinOffset(); min == 0 || st.MaxOffsetInQueue(topic, 0) != 10 {
		t.Fatalf("retention did not run: commitlog min %d, queue 0 max %d", min, st.MaxOffsetInQueue(topic, 0))
	}

	maxOffset := func(qid int32) int64 {
		t.Helper()
		resp := tb.call(protocol.GetMaxOffset, ext("topic", topic, "queueId", strconv.Itoa(int(qid))), nil)
		mustCode(t, resp, protocol.Success)
		v, _ := strconv.ParseInt(resp.ExtFields.Value("offset"), 10, 64)
		return v
	}
	pullLast := func(stage string) {
		t.Helper()
		resp, err := tb.Client.Invoke(tb.Addr(), pullReq("CG_CLEAN", topic, 1, last1, protocol.PullFlagSubscription, "*", 0), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		mustCode(t, resp, protocol.Success)
		msgs, err := message.DecodeAll(resp.Body)
		if err != nil || len(msgs) != 1 || msgs[0].QueueOffset != last1 || string(msgs[0].Body) != string(body) {
			t.Fatalf("%s: pull of queue 1 at %d: %d messages, %v", stage, last1, len(msgs), err)
		}
	}
	cqDir := filepath.Join(tb.Cfg.StorePathRootDir, "consumequeue", topic)
	check := func(stage string) {
		t.Helper()
		if _, err := os.Stat(filepath.Join(cqDir, "0")); !os.IsNotExist(err) {
			t.Errorf("%s: queue 0's directory still there (%v)", stage, err)
		}
		if _, err := os.Stat(filepath.Join(cqDir, "1")); err != nil {
			t.Errorf("%s: queue 1's directory: %v", stage, err)
		}
		if got := maxOffset(0); got != 0 {
			t.Errorf("%s: queue 0 max offset %d, want 0 (destroyed)", stage, got)
		}
		if got := maxOffset(1); got != last1+1 {
			t.Errorf("%s: queue 1 max offset %d, want %d", stage, got, last1+1)
		}
		if tb.B.topics.SelectTopicConfig(topic) == nil {
			t.Errorf("%s: the topic's config went with its queue", stage)
		}
		pullLast(stage)
	}

	pullLast("before")
	mustCode(t, tb.call(protocol.CleanExpiredConsumequeue, nil, nil), protocol.Success)
	check("cleaned")
	tb.restart()
	check("restarted")
	mustCode(t, tb.call(protocol.CleanExpiredConsumequeue, nil, nil), protocol.Success)
	check("cleaned again")
	// The destroyed queue takes messages again, from offset 0 as in Java.
	if off := send(0); off != 0 {
		t.Errorf("first message to the destroyed queue at offset %d, want 0", off)
	}
}

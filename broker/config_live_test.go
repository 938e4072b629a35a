package broker

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// liveConfigUpdates alternate two consistent sets of keys that the send, pull, registration
// and admin paths read; in every set traceOn and regionId go together, so an answer carrying
// a mix of two sets would show a half-applied update. Neither set stops sends or pulls.
var liveConfigUpdates = []struct {
	body, traceOn, region string
}{
	{"brokerPermission=6\ntraceOn=false\nregionId=R1\nlongPollingEnable=false\nshortPollingTimeMills=50\n" +
		"startAcceptSendRequestTimeStamp=1\nenablePropertyFilter=true\nfilterSupportRetry=true\nslaveReadEnable=true\n" +
		"autoCreateTopicEnable=false\nautoCreateSubscriptionGroup=false\nnotifyConsumerIdsChangedEnable=false\n" +
		"rejectTransactionMessage=true\ndefaultQueryMaxNum=16\nforceRegister=false\ncompressedRegister=true\n",
		"false", "R1"},
	{"brokerPermission=7\ntraceOn=true\nregionId=R2\nlongPollingEnable=true\nshortPollingTimeMills=1000\n" +
		"startAcceptSendRequestTimeStamp=0\nenablePropertyFilter=false\nfilterSupportRetry=false\nslaveReadEnable=false\n" +
		"autoCreateTopicEnable=true\nautoCreateSubscriptionGroup=true\nnotifyConsumerIdsChangedEnable=true\n" +
		"rejectTransactionMessage=false\ndefaultQueryMaxNum=32\nforceRegister=true\ncompressedRegister=false\n",
		"true", "R2"},
}

// TestUpdateBrokerConfigLive: UPDATE_BROKER_CONFIG runs while producers and consumers send and
// pull over TCP and admin clients read the configuration. Under -race it fails if any path
// reads a field an update writes without synchronisation. Every send answer carries the
// MSG_REGION/TRACE_ON of one whole update (never a mix, never a refused one); afterwards the
// last update is in force and in the properties file, and a refused one changed nothing.
func TestUpdateBrokerConfigLive(t *testing.T) {
	tb := startTestBroker(t, nil)
	const topic, group = "LiveCfgTopic", "LiveCfgGroup"
	addr := tb.Addr()
	admin := remoting.NewClient(remoting.ClientConfig{Name: "live-cfg-admin"})
	defer admin.Close()
	invoke := func(c *remoting.Client, req *remoting.Command) (*remoting.Command, bool) {
		resp, err := c.Invoke(addr, req, 10*time.Second)
		if err != nil {
			t.Errorf("invoke %s: %v", protocol.RequestName(req.Code), err)
			return nil, false
		}
		return resp, true
	}
	mustCode(t, tb.call(protocol.UpdateAndCreateTopic, ext(createTopicExt(topic, "4", "6")...), nil), protocol.Success)
	groupBody := []byte(`{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,` +
		`"groupName":"` + group + `","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,` +
		`"whichBrokerWhenConsumeSlowly":1}`)
	mustCode(t, tb.call(protocol.UpdateAndCreateSubscriptiongroup, nil, groupBody), protocol.Success)
	for q := int32(0); q < 4; q++ {
		resp, _ := invoke(tb.Client, sendV1(topic, q, props("TAGS", "a"), []byte("seed")))
		mustCode(t, resp, protocol.Success)
	}

	var done atomic.Bool
	var sends, pulls, updates atomic.Int64
	var wg sync.WaitGroup
	const senders, pullers, perSender = 3, 2, 150
	var sendersLeft sync.WaitGroup
	sendersLeft.Add(senders)
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer sendersLeft.Done()
			c := remoting.NewClient(remoting.ClientConfig{Name: "live-cfg-producer"})
			defer c.Close()
			for n := 0; n < perSender; n++ {
				resp, ok := invoke(c, sendV1(topic, int32(n%4), props("TAGS", "a"), []byte("live config")))
				if !ok {
					return
				}
				if resp.Code != protocol.Success {
					t.Errorf("send: code %d %q", resp.Code, resp.Remark)
					return
				}
				region, trace := resp.ExtFields.Value("MSG_REGION"), resp.ExtFields.Value("TRACE_ON")
				consistent := region == "DefaultRegion" && trace == "true"
				for _, u := range liveConfigUpdates {
					consistent = consistent || region == u.region && trace == u.traceOn
				}
				if !consistent {
					t.Errorf("send answer carries MSG_REGION=%q TRACE_ON=%q: not one whole update", region, trace)
					return
				}
				sends.Add(1)
			}
		}(i)
	}
	for i := 0; i < pullers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := remoting.NewClient(remoting.ClientConfig{Name: "live-cfg-consumer"})
			defer c.Close()
			for n := 0; !done.Load(); n++ {
				resp, ok := invoke(c, pullReq(group, topic, int32(n%4), 0, protocol.PullFlagSubscription, "a", 0))
				if !ok {
					return
				}
				if resp.Code != protocol.Success {
					t.Errorf("pull: code %d %q", resp.Code, resp.Remark)
					return
				}
				if msgs, err := message.DecodeAll(resp.Body); err != nil || len(msgs) == 0 {
					t.Errorf("pull body: %d messages, %v", len(msgs), err)
					return
				}
				pulls.Add(1)
			}
		}(i)
	}
	wg.Add(2)
	go func() { // updates, good and bad
		defer wg.Done()
		for n := 0; !done.Load(); n++ {
			body := liveConfigUpdates[n%2].body
			want := int32(protocol.Success)
			if n%5 == 4 {
				// A bad value after good keys: refused whole.
				body, want = "traceOn=false\nregionId=BAD\nbrokerPermission=x\n", protocol.SystemError
			}
			resp, ok := invoke(admin, remoting.NewRequest(protocol.UpdateBrokerConfig, nil, []byte(body)))
			if !ok {
				return
			}
			if resp.Code != want {
				t.Errorf("update %q: code %d %q, want %d", body, resp.Code, resp.Remark, want)
				return
			}
			updates.Add(1)
		}
	}()
	go func() { // admin readers
		defer wg.Done()
		c := remoting.NewClient(remoting.ClientConfig{Name: "live-cfg-reader"})
		defer c.Close()
		for !done.Load() {
			for _, code := range []int32{protocol.GetBrokerConfig, protocol.GetBrokerRuntimeInfo} {
				if resp, ok := invoke(c, remoting.NewRequest(code, nil, nil)); !ok || resp.Code != protocol.Success {
					t.Errorf("%s failed: %v", protocol.RequestName(code), resp)
					return
				}
			}
		}
	}()
	sendersLeft.Wait()
	done.Store(true)
	wg.Wait()
	if t.Failed() {
		return
	}
	if sends.Load() != senders*perSender || pulls.Load() == 0 || updates.Load() < 4 {
		t.Fatalf("too little overlap: %d sends, %d pulls, %d updates", sends.Load(), pulls.Load(), updates.Load())
	}
	t.Logf("%d sends, %d pulls, %d updates", sends.Load(), pulls.Load(), updates.Load())

	// The last good update is in force at once, and persisted.
	mustCode(t, tb.call(protocol.UpdateBrokerConfig, nil, []byte("regionId=RFinal\ntraceOn=true\nbrokerPermission=6\n")),
		protocol.Success)
	resp := tb.call(protocol.UpdateBrokerConfig, nil, []byte("regionId=BAD\nshortPollingTimeMills=oops\n"))
	mustCode(t, resp, protocol.SystemError)
	resp, _ = invoke(tb.Client, sendV1(topic, 0, "", []byte("after")))
	mustCode(t, resp, protocol.Success)
	if r := resp.ExtFields.Value("MSG_REGION"); r != "RFinal" {
		t.Errorf("send after the update: MSG_REGION %q, want RFinal", r)
	}
	resp = tb.call(protocol.GetBrokerConfig, nil, nil)
	mustCode(t, resp, protocol.Success)
	for _, want := range []string{"\nregionId=RFinal\n", "\nbrokerPermission=6\n", "\nshortPollingTimeMills="} {
		if !strings.Contains("\n"+string(resp.Body), want) {
			t.Errorf("GET_BROKER_CONFIG lacks %q", strings.TrimSpace(want))
		}
	}
	if strings.Contains(string(resp.Body), "BAD") || strings.Contains(string(resp.Body), "oops") {
		t.Error("a refused update shows in GET_BROKER_CONFIG")
	}
	file, err := os.ReadFile(filepath.Join(tb.Cfg.StorePathRootDir, "config", "broker.properties"))
	if err != nil || !strings.Contains(string(file), "regionId=RFinal\n") || strings.Contains(string(file), "BAD") {
		t.Errorf("persisted config: %v\n%.300s", err, file)
	}
}

// TestSendLimiterFastFailureLive: brokerFastFailureEnable and waitTimeMillsInSendQueue are
// read at each wait, as Java's fast-failure sweep reads them, so an update applies to the
// next send that has to wait.
func TestSendLimiterFastFailureLive(t *testing.T) {
	var cur atomic.Pointer[Config]
	set := func(enabled bool, waitMs int64) {
		c := DefaultConfig()
		c.BrokerFastFailureEnable, c.WaitTimeMillsInSendQueue = enabled, waitMs
		cur.Store(c)
	}
	set(true, 20)
	l := newSendLimiter(cur.Load)
	for i := 0; i < defaultPutSlots; i++ {
		if code, remark := l.admit(nil); code != protocol.Success {
			t.Fatalf("slot %d: %d %s", i, code, remark)
		}
	}
	cases := []struct {
		enabled bool
		waitMs  int64
		minWait time.Duration // a timed-out send waited at least this long
	}{
		{true, 20, 15 * time.Millisecond},
		{true, 250, 200 * time.Millisecond},
		{false, 20, 0}, // waits for a slot, however long
		{true, 20, 15 * time.Millisecond},
	}
	for _, c := range cases {
		set(c.enabled, c.waitMs)
		done := make(chan int32, 1)
		start := time.Now()
		go func() {
			code, _ := l.admit(nil)
			done <- code
		}()
		if c.enabled {
			if code := <-done; code != protocol.SystemBusy {
				t.Fatalf("%+v: code %d, want SYSTEM_BUSY", c, code)
			}
			if took := time.Since(start); took < c.minWait || took > c.minWait+2*time.Second {
				t.Errorf("%+v: timed out after %v", c, took)
			}
			continue
		}
		select {
		case code := <-done:
			t.Fatalf("%+v: answered %d without a free slot", c, code)
		case <-time.After(150 * time.Millisecond):
		}
		l.release()
		if code := <-done; code != protocol.Success {
			t.Fatalf("%+v: code %d after a slot was freed", c, code)
		}
	}
}

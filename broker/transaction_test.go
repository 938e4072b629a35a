package broker

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// fakeTxProducer is a producer built on remoting.Client: it heartbeats as group TXG and
// records the broker's CHECK_TRANSACTION_STATE requests.
type fakeTxProducer struct {
	cli    *remoting.Client
	mu     sync.Mutex
	checks []checkRecord
}

type checkRecord struct {
	hdr  protocol.CheckTransactionStateRequestHeader
	msg  *message.MsgExt
	flag int32
	at   time.Time
}

func (p *fakeTxProducer) Process(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var r checkRecord
	_ = r.hdr.Decode(req.ExtFields)
	r.msg, _ = message.Decode(req.Body)
	r.flag = req.Flag
	r.at = time.Now()
	p.mu.Lock()
	p.checks = append(p.checks, r)
	p.mu.Unlock()
	return nil
}

func (p *fakeTxProducer) checksFor(uniq string) []checkRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []checkRecord
	for _, c := range p.checks {
		if c.hdr.MsgID == uniq {
			out = append(out, c)
		}
	}
	return out
}

func newFakeTxProducer(t *testing.T, db *dataBroker) *fakeTxProducer {
	t.Helper()
	p := &fakeTxProducer{cli: remoting.NewClient(remoting.ClientConfig{Name: "tx-producer"})}
	p.cli.Handle(protocol.CheckTransactionState, p)
	t.Cleanup(func() { p.cli.Close() })
	resp, err := p.cli.Invoke(db.addr, remoting.NewRequest(protocol.HeartBeat, nil,
		heartbeatBody("127.0.0.1@tx", "", "TXG")), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, resp, protocol.Success)
	return p
}

type halfSent struct {
	uniq       string
	queueOff   int64
	commitOff  int64
	offsetID   string
	sentAtUnix int64
}

func sendHalf(t *testing.T, db *dataBroker, body string, extra ...string) halfSent {
	t.Helper()
	uniq := "TXUNIQ-" + body
	kv := append([]string{"TRAN_MSG", "true", "PGROUP", "TXG", "UNIQ_KEY", uniq, "TAGS", "TT"}, extra...)
	before := time.Now().UnixMilli() // no later than the born timestamp: ages measured from it are not longer than the broker's
	req := sendV2(protocol.SendMessageV2, "TopicTx", 1, props(kv...), []byte(body), false)
	req.ExtFields.Set("f", strconv.Itoa(int(message.TransactionPreparedType)))
	resp := db.invoke(req)
	mustCode(t, resp, protocol.Success)
	id := resp.ExtFields.Value("msgId")
	_, off, err := message.ParseOffsetMsgID(id)
	if err != nil {
		t.Fatal(err)
	}
	qo, _ := strconv.ParseInt(resp.ExtFields.Value("queueOffset"), 10, 64)
	return halfSent{uniq: uniq, queueOff: qo, commitOff: off, offsetID: id, sentAtUnix: before}
}

func endTx(group string, queueOff, commitOff int64, state int32, uniq string, fromCheck bool) *remoting.Command {
	h := protocol.EndTransactionRequestHeader{ProducerGroup: group, TranStateTableOffset: queueOff,
		CommitLogOffset: commitOff, CommitOrRollback: state, FromTransactionCheck: fromCheck, MsgID: uniq,
		TransactionID: uniq}
	var ext remoting.ExtFields
	h.Encode(&ext)
	return remoting.NewRequest(protocol.EndTransaction, ext, nil)
}

// deliveredTx returns the TopicTx queue 1 messages by UNIQ_KEY.
func deliveredTx(t *testing.T, db *dataBroker) map[string][]*message.MsgExt {
	t.Helper()
	out := map[string][]*message.MsgExt{}
	_, msgs := db.pullAll("TopicTx", 1, 0)
	for _, m := range msgs {
		u := m.Property(message.PropertyUniqClientMessageIDKeyIdx)
		out[u] = append(out[u], m)
	}
	return out
}

func TestTransactionCommitRollbackCheck(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.TransactionCheckInterval = 200
		c.TransactionTimeOut = 1500
		c.TransactionCheckMax = 2
	})
	db.topic("TopicTx", 2)
	prod := newFakeTxProducer(t, db)

	// Decisions follow their sends at once (well within transactionTimeOut, so these two are
	// never checked, even on a loaded machine).
	committed := sendHalf(t, db, "commit")
	if got := deliveredTx(t, db); len(got) != 0 {
		t.Fatalf("half message visible before any decision: %v", got)
	}
	resp := db.invoke(endTx("TXG", committed.queueOff, committed.commitOff, message.TransactionCommitType, committed.uniq, false))
	mustCode(t, resp, protocol.Success)
	rolled := sendHalf(t, db, "rollback")
	mustCode(t, db.invoke(endTx("TXG", rolled.queueOff, rolled.commitOff, message.TransactionRollbackType, rolled.uniq, false)),
		protocol.Success)
	checked := sendHalf(t, db, "unknown-then-commit")
	ignored := sendHalf(t, db, "never-answered")

	// Commit: the real message appears with the COMMIT bits and the half's offset.
	got := deliveredTx(t, db)[committed.uniq]
	if len(got) != 1 {
		t.Fatalf("committed message delivered %d times", len(got))
	}
	m := got[0]
	p := message.ParseProperties(m.Properties)
	if m.Topic != "TopicTx" || m.QueueID != 1 || string(m.Body) != "commit" ||
		message.TransactionType(m.SysFlag) != message.TransactionCommitType ||
		m.PreparedTransactionOffset != committed.commitOff {
		t.Errorf("committed record %v prepared=%d", m, m.PreparedTransactionOffset)
	}
	// As from Java 4.9.8: REAL_TOPIC, REAL_QID and TRAN_MSG stay; nothing is added.
	if p["REAL_TOPIC"] != "TopicTx" || p["REAL_QID"] != "1" || p["TRAN_MSG"] != "true" || p["PGROUP"] != "TXG" ||
		p["TAGS"] != "TT" || p["UNIQ_KEY"] != committed.uniq || len(p) != 7 {
		t.Errorf("committed message properties %v", p)
	}

	// Bad END_TRANSACTIONs: Java's code and remark, nothing delivered.
	bad := []struct {
		name   string
		req    *remoting.Command
		remark string
	}{
		{"unknown offset", endTx("TXG", 0, 1<<40, message.TransactionCommitType, "x", false), "Find prepared transaction message failed"},
		{"negative offset", endTx("TXG", 0, -5, message.TransactionCommitType, "x", false), "Find prepared transaction message failed"},
		{"mid-record offset", endTx("TXG", checked.queueOff, checked.commitOff+3, message.TransactionCommitType, "x", false), "Find prepared transaction message failed"},
		{"not a half", endTx("TXG", 0, got[0].CommitLogOffset, message.TransactionCommitType, "x", false), "Find prepared transaction message failed"},
		{"group", endTx("OTHER", checked.queueOff, checked.commitOff, message.TransactionCommitType, "x", false), "The producer group wrong"},
		{"queue offset", endTx("TXG", checked.queueOff+7, checked.commitOff, message.TransactionRollbackType, "x", false), "The transaction state table offset wrong"},
	}
	for _, c := range bad {
		resp := db.invoke(c.req)
		if resp.Code != protocol.SystemError || resp.Remark != c.remark {
			t.Errorf("%s: code %d remark %q, want %d %q", c.name, resp.Code, resp.Remark, protocol.SystemError, c.remark)
		}
	}
	// UNKNOWN (0) gets no answer at all, as from Java.
	if _, err := db.cli.Invoke(db.addr, endTx("TXG", checked.queueOff, checked.commitOff, 0, checked.uniq, false),
		300*time.Millisecond); err == nil {
		t.Error("END_TRANSACTION with state UNKNOWN was answered")
	}

	// The unresolved one is checked back once it is older than transactionTimeOut.
	var chk checkRecord
	waitFor(t, 3*time.Second, "check-back", func() bool {
		c := prod.checksFor(checked.uniq)
		if len(c) > 0 {
			chk = c[0]
		}
		return len(c) > 0
	})
	if chk.flag&remoting.FlagOneway == 0 {
		t.Error("CHECK_TRANSACTION_STATE not oneway")
	}
	if age := chk.at.UnixMilli() - checked.sentAtUnix; age < 1500 {
		t.Errorf("checked after %d ms, before transactionTimeOut", age)
	}
	if chk.hdr.TransactionID != checked.uniq || chk.hdr.CommitLogOffset == checked.commitOff ||
		chk.hdr.TranStateTableOffset <= checked.queueOff {
		t.Errorf("check header %+v (half was at %d/%d)", chk.hdr, checked.queueOff, checked.commitOff)
	}
	if _, off, err := message.ParseOffsetMsgID(chk.hdr.OffsetMsgID); err != nil || off != chk.hdr.CommitLogOffset {
		t.Errorf("offsetMsgId %q does not name commitLogOffset %d", chk.hdr.OffsetMsgID, chk.hdr.CommitLogOffset)
	}
	if chk.msg == nil || chk.msg.Topic != "TopicTx" || chk.msg.QueueID != 1 || string(chk.msg.Body) != "unknown-then-commit" ||
		chk.msg.Property("TRANSACTION_CHECK_TIMES") != "1" || chk.msg.Property("WAIT") != "false" ||
		chk.msg.Property("REAL_TOPIC") != "TopicTx" || chk.msg.QueueOffset != chk.hdr.TranStateTableOffset {
		t.Errorf("check body %v", chk.msg)
	}
	// The producer answers from the check: committed with the header's offsets.
	if err := prod.cli.InvokeOneway(db.addr, endTx("TXG", chk.hdr.TranStateTableOffset, chk.hdr.CommitLogOffset,
		message.TransactionCommitType, checked.uniq, true)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "commit after check", func() bool { return len(deliveredTx(t, db)[checked.uniq]) == 1 })

	// The never-answered one is checked transactionCheckMax (2) times, then given up.
	waitFor(t, 5*time.Second, "give up", func() bool {
		_, msgs := db.pullAll(TopicTransCheckMax, 0, 0)
		for _, m := range msgs {
			if m.Property("UNIQ_KEY") == ignored.uniq {
				return true
			}
		}
		return false
	})
	if n := len(prod.checksFor(ignored.uniq)); n != 2 {
		t.Errorf("never-answered half checked %d times, want transactionCheckMax=2", n)
	}
	// Settle: rolled back, never answered and unknown messages are never delivered, the
	// committed ones exactly once; rolled-back and committed halves were never checked.
	time.Sleep(500 * time.Millisecond)
	d := deliveredTx(t, db)
	for u, want := range map[string]int{committed.uniq: 1, checked.uniq: 1, rolled.uniq: 0, ignored.uniq: 0} {
		if len(d[u]) != want {
			t.Errorf("%s delivered %d times, want %d", u, len(d[u]), want)
		}
	}
	for _, u := range []string{committed.uniq, rolled.uniq} {
		if n := len(prod.checksFor(u)); n != 0 {
			t.Errorf("%s checked %d times after its decision: %+v (half at %d/%d)", u, n, prod.checksFor(u), committed.queueOff, committed.commitOff)
		}
	}
	// The check service's progress is kept as CID_RMQ_SYS_TRANS offsets (consumerOffset.json).
	if off := db.b.offsets.QueryOffset(transCheckGroup, TopicTransHalf, 0); off < checked.queueOff+1 {
		t.Errorf("half progress %d", off)
	}
	if tc := db.b.topics.SelectTopicConfig(TopicTransHalf); tc == nil || tc.WriteQueueNums != 1 || tc.Perm != PermRead|PermWrite {
		t.Errorf("half topic config %+v", tc)
	}
}

// TestTransactionCheckImmunity: a half with CHECK_IMMUNITY_TIME_IN_SECONDS is not checked
// before its immunity ends; meanwhile it is re-appended each pass (Java counts each as a check
// and records the original offset in TRAN_PREPARED_QUEUE_OFFSET) and halves behind it are
// checked as usual.
func TestTransactionCheckImmunity(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.TransactionCheckInterval = 200
		c.TransactionTimeOut = 300
		c.TransactionCheckMax = 50
	})
	db.topic("TopicTx", 2)
	prod := newFakeTxProducer(t, db)
	immune := sendHalf(t, db, "immune", "CHECK_IMMUNITY_TIME_IN_SECONDS", "2")
	behind := sendHalf(t, db, "behind")
	waitFor(t, 3*time.Second, "check of the half behind", func() bool { return len(prod.checksFor(behind.uniq)) > 0 })
	if len(prod.checksFor(immune.uniq)) != 0 {
		t.Fatal("immune half checked before the one behind it")
	}
	waitFor(t, 4*time.Second, "immune check", func() bool { return len(prod.checksFor(immune.uniq)) > 0 })
	first := prod.checksFor(immune.uniq)[0]
	if age := first.at.UnixMilli() - immune.sentAtUnix; age < 2000 {
		t.Errorf("immune half checked %d ms after its send, within CHECK_IMMUNITY_TIME_IN_SECONDS=2", age)
	}
	n, _ := strconv.Atoi(first.msg.Property("TRANSACTION_CHECK_TIMES"))
	if n < 3 || first.msg.Property("TRAN_PREPARED_QUEUE_OFFSET") != strconv.FormatInt(immune.queueOff, 10) {
		t.Errorf("immune half's check: TRANSACTION_CHECK_TIMES=%q TRAN_PREPARED_QUEUE_OFFSET=%q (original at %d)",
			first.msg.Property("TRANSACTION_CHECK_TIMES"), first.msg.Property("TRAN_PREPARED_QUEUE_OFFSET"), immune.queueOff)
	}
	if d := deliveredTx(t, db); len(d) != 0 {
		t.Errorf("unresolved halves delivered: %v", d)
	}
}

// TestTransactionNoProducerChannel: with no live producer the check is skipped (logged), and
// a commit that arrives later still works.
func TestTransactionCheckWithoutProducer(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.TransactionCheckInterval = 100
		c.TransactionTimeOut = 100
		c.TransactionCheckMax = 50
	})
	db.topic("TopicTx", 2)
	h := sendHalf(t, db, "late")
	time.Sleep(500 * time.Millisecond)
	// The half has been re-appended by the checks; the producer answers for the original.
	mustCode(t, db.invoke(endTx("TXG", h.queueOff, h.commitOff, message.TransactionCommitType, h.uniq, false)), protocol.Success)
	if n := len(deliveredTx(t, db)[h.uniq]); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

func TestUniqIDGen(t *testing.T) {
	var g uniqIDGen
	g.init("127.0.0.1")
	a, b := g.next(), g.next()
	if len(a) != 32 || a == b || a[:8] != "7F000001" {
		t.Errorf("ids %s %s", a, b)
	}
}

// BenchmarkEndTransactionCommit measures END_TRANSACTION COMMIT alone: half lookup and checks,
// the real message's append and the op record's.
func BenchmarkEndTransactionCommit(b *testing.B) {
	db := startDataBrokerB(b)
	ch := &fakeChannel{remote: "127.0.0.1:50000"}
	send := sendV2(protocol.SendMessageV2, "BenchTx", 0, props("TRAN_MSG", "true", "PGROUP", "TXG", "TAGS", "TagA",
		"UNIQ_KEY", "ABCDEF0123456789"), make([]byte, 1024), false)
	send.ExtFields.Set("f", strconv.Itoa(int(message.TransactionPreparedType)))
	reqs := make([]*remoting.Command, b.N)
	for i := range reqs {
		r := db.b.data.processSend(ch, send)
		if r.Code != protocol.Success {
			b.Fatal(r.Remark)
		}
		_, off, _ := message.ParseOffsetMsgID(r.ExtFields.Value("msgId"))
		qo, _ := strconv.ParseInt(r.ExtFields.Value("queueOffset"), 10, 64)
		reqs[i] = endTx("TXG", qo, off, message.TransactionCommitType, "ABCDEF0123456789", false)
	}
	b.ReportAllocs()
	b.SetBytes(1024)
	b.ResetTimer()
	for _, req := range reqs {
		if r := db.b.sem.tx.processEndTransaction(ch, req); r.Code != protocol.Success {
			b.Fatal(r.Remark)
		}
	}
}

// TestResumeCheckHalfMessage: RESUME_CHECK_HALF_MESSAGE (323) puts a half message whose checks
// ran out back into the half topic with TRANSACTION_CHECK_TIMES=0, so its producer is asked
// again; a message id that names no message is refused with Java's remark.
func TestResumeCheckHalfMessage(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.TransactionCheckInterval = 100
		c.TransactionTimeOut = 100
		c.TransactionCheckMax = 1
	})
	db.topic("TopicTx", 2)
	prod := newFakeTxProducer(t, db)
	h := sendHalf(t, db, "resumed")
	waitFor(t, 10*time.Second, "the one check allowed", func() bool { return len(prod.checksFor(h.uniq)) == 1 })
	time.Sleep(500 * time.Millisecond) // five more check passes: none may ask again
	if n := len(prod.checksFor(h.uniq)); n != 1 {
		t.Fatalf("%d checks with transactionCheckMax 1", n)
	}
	resume := func(id string) *remoting.Command {
		return db.invoke(remoting.NewRequest(protocol.ResumeCheckHalfMessage, ext("msgId", id), nil))
	}
	mustCode(t, resume(h.offsetID), protocol.Success)
	waitFor(t, 10*time.Second, "a check after the resume", func() bool { return len(prod.checksFor(h.uniq)) == 2 })
	if c := prod.checksFor(h.uniq)[1]; c.msg == nil || string(c.msg.Body) != "resumed" {
		t.Errorf("the resumed check carries %+v", c.msg)
	}

	const failed = "Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC."
	for _, id := range []string{"not-an-id", "7F00000100002A9F00000000FFFFFFFF"} {
		resp := resume(id)
		mustCode(t, resp, protocol.SystemError)
		if resp.Remark != failed {
			t.Errorf("msgId %q: remark %q", id, resp.Remark)
		}
	}
}

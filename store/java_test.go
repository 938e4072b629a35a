package store

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

// javaHome is the stock Java 4.9.8 distribution (ROCKETMQ_JAVA_HOME overrides).
func javaHome() string {
	if h := os.Getenv("ROCKETMQ_JAVA_HOME"); h != "" {
		return h
	}
	return "/work/shared/java/rocketmq-4.9.8"
}

// TestJavaOpensOurStore writes a store with rocketgo, has the stock Java DefaultMessageStore
// open it and read every message back (testdata/JavaStoreCheck.java), lets Java append one
// message, and reads that back with rocketgo.
func TestJavaOpensOurStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("no java on PATH")
	}
	lib := filepath.Join(javaHome(), "lib")
	if _, err := os.Stat(filepath.Join(lib, "rocketmq-store-4.9.8.jar")); err != nil {
		t.Skip("no RocketMQ 4.9.8 jars at " + lib)
	}
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 16 * 1024
	cfg.MappedFileSizeConsumeQueue = 50 * cqUnitSize
	s := mustOpen(t, cfg)
	type sent struct {
		topic      string
		qid        int32
		queueOff   int64
		phys       int64
		size       int32
		crc        uint32
		tags, keys string
	}
	var all []sent
	for i := 0; i < 150; i++ {
		tags, keys := fmt.Sprint("Tag", i%3), fmt.Sprintf("k%d k%d-b", i, i)
		m := newMsg(fmt.Sprint("JA", i%2), int32(i%3), strings.Repeat("é", i*13), "TAGS", tags, "KEYS", keys, "UNIQ_KEY", fmt.Sprint("U", i))
		if i%10 == 0 {
			m.BornHost = netip.MustParseAddrPort("[2001:db8::1]:4000")
		}
		r := s.PutMessage(m)
		if r.Status != PutOK {
			t.Fatal(r.Status)
		}
		all = append(all, sent{m.Topic, m.QueueID, r.QueueOffset, r.WroteOffset, r.WroteBytes, crc32.ChecksumIEEE(m.Body), tags, keys})
	}
	var body []byte
	for i := 0; i < 4; i++ {
		body = message.AppendBatchEntry(body, 0, []byte(fmt.Sprint("batch", i)), message.AppendProperty(nil, "KEYS", fmt.Sprint("bk", i)))
	}
	tmpl := newMsg("JA0", 2, "", "TAGS", "Batch")
	rb := s.PutMessages(tmpl, body)
	if rb.Status != PutOK {
		t.Fatal(rb.Status)
	}
	off := rb.WroteOffset
	for i := 0; i < 4; i++ {
		sel := s.SelectOneMessageByOffset(off)
		size := int32(len(sel.Bytes))
		sel.Release()
		all = append(all, sent{"JA0", 2, rb.QueueOffset + int64(i), off, size, crc32.ChecksumIEEE([]byte(fmt.Sprint("batch", i))), "Batch", fmt.Sprint("bk", i)})
		off += int64(size)
	}
	endBefore := s.CommitLogMaxOffset()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	out, err := runJavaStoreCheck(t, lib, cfg, "JA0:3", "JA1:3")
	if err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	got := map[string]string{}
	var putOffset, putQueueOffset int64
	var putStatus string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 10 && f[0] == "MSG":
			got[f[4]] = sc.Text()
		case len(f) == 4 && f[0] == "PUT":
			putStatus = f[1]
			fmt.Sscan(f[2], &putOffset)
			fmt.Sscan(f[3], &putQueueOffset)
		case len(f) > 0 && (f[0] == "GETFAIL" || f[0] == "LOAD"):
			t.Fatalf("java: %s", sc.Text())
		}
	}
	if len(got) != len(all) {
		t.Fatalf("java read %d messages, we wrote %d\n%s", len(got), len(all), out)
	}
	for _, w := range all {
		// Java's getKeys joins nothing: it is the KEYS property as stored.
		want := fmt.Sprintf("MSG %s %d %d %d %d %d %s %s", w.topic, w.qid, w.queueOff, w.phys, w.size, w.crc, w.tags, w.keys)
		line := got[fmt.Sprint(w.phys)]
		if !strings.HasPrefix(line, want+" ") {
			t.Fatalf("java read\n%s\nwant\n%s", line, want)
		}
	}
	if putStatus != "PUT_OK" || putOffset != endBefore {
		t.Fatalf("java append: %s at %d (our end %d)\n%s", putStatus, putOffset, endBefore, out)
	}

	// And back: rocketgo reads what Java appended to our store.
	s = mustOpen(t, cfg)
	defer s.Close()
	if s.recovery.Abnormal {
		t.Fatal("Java's clean shutdown left the abort file")
	}
	m, err := s.LookMessageByOffset(putOffset)
	if err != nil || string(m.Body) != "from java" || m.Property("TAGS") != "JavaTag" || m.QueueOffset != putQueueOffset {
		t.Fatalf("Java's record: %v %v", m, err)
	}
	g := s.GetMessage("g", "JA0", 0, putQueueOffset, 1, 0, nil)
	if g.Status != Found || s.MaxOffsetInQueue("JA0", 0) != putQueueOffset+1 {
		t.Fatalf("Java's unit: %v", g.Status)
	}
	g.Release()

	// While we hold the store, the Java store refuses to start on it (fcntl lock on byte 0).
	out, err = runJavaStoreCheck(t, lib, cfg, "JA0:1")
	if err == nil || !strings.Contains(string(out), "Lock failed") {
		t.Fatalf("Java started on a store rocketgo holds: %v\n%s", err, out)
	}
}

// runJavaStoreCheck runs testdata/JavaStoreCheck.java on cfg's store.
func runJavaStoreCheck(t *testing.T, lib string, cfg Config, queues ...string) ([]byte, error) {
	t.Helper()
	// The --add-opens let 4.9.8's MappedFile unmap its buffers on Java 17, as runbroker.sh does.
	args := []string{"-Xmx256m", "--add-opens=java.base/java.nio=ALL-UNNAMED",
		"--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
		"-cp", filepath.Join(lib, "*"), "testdata/JavaStoreCheck.java",
		cfg.StorePathRootDir, fmt.Sprint(cfg.MappedFileSizeCommitLog), fmt.Sprint(cfg.MappedFileSizeConsumeQueue)}
	cmd := exec.Command("java", append(args, queues...)...)
	cmd.Env = append(os.Environ(), "ROCKETMQ_HOME="+javaHome())
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return []byte(buf.String()), err
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("java timed out:\n%s", buf.String())
	}
	return nil, nil
}

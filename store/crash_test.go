package store

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/crc32"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

func crashConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.StorePathRootDir = dir
	cfg.MappedFileSizeCommitLog = 256 * 1024
	cfg.MappedFileSizeConsumeQueue = 500 * cqUnitSize
	cfg.FlushIntervalCommitLog = 5
	cfg.MaxHashSlotNum = 4096
	cfg.MaxIndexNum = 16384
	return cfg
}

// crashBody is the body of message seq of a round: its length varies so records straddle
// pages and files.
func crashBody(round, seq int) []byte {
	n := 20 + (seq*7919)%3000
	b := bytes.Repeat([]byte{byte('a' + (round+seq)%26)}, n)
	copy(b, fmt.Sprintf("r%d-s%d-", round, seq))
	return b
}

// TestCrashChild appends in a loop and prints every acknowledged put; the parent SIGKILLs it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("ROCKETGO_CHILD_DIR")
	if dir == "" || os.Getenv("ROCKETGO_CRASH_ROUND") == "" {
		t.Skip("helper process")
	}
	round, _ := strconv.Atoi(os.Getenv("ROCKETGO_CRASH_ROUND"))
	cfg := crashConfig(dir)
	if round%2 == 1 {
		cfg.FlushDiskType = SyncFlush // odd rounds: group commit under the kill
	}
	s, err := Open(cfg, WithDefaultIndex())
	if err != nil {
		fmt.Println("OPENFAIL", err)
		os.Exit(2)
	}
	for seq := 0; ; seq++ {
		m := &message.Msg{Topic: "Crash", QueueID: int32(seq % 4), Body: crashBody(round, seq),
			Properties: message.AppendProperty(nil, "KEYS", fmt.Sprint("k", seq)), BornHost: testBorn, StoreHost: testStore}
		r := s.PutMessage(m)
		if r.Status != PutOK {
			fmt.Println("PUTFAIL", r.Status, r.Err)
			os.Exit(2)
		}
		sel := s.SelectOneMessageByOffset(r.WroteOffset)
		sum := crc32.ChecksumIEEE(sel.Bytes)
		sel.Release()
		// ACK round seq queue queueOffset commitOffset size crc-of-the-whole-record
		fmt.Fprintf(os.Stdout, "ACK %d %d %d %d %d %d %d\n", round, seq, m.QueueID, r.QueueOffset, r.WroteOffset, r.WroteBytes, sum)
	}
}

type ack struct {
	round, seq     int
	queue          int32
	queueOff, phys int64
	size           int32
	crc            uint32
}

// TestCrashRecovery kills a live appender at random moments; after each reopen every
// acknowledged message must read back byte-identical, nothing past the valid end may be
// served, and appends continue at the right offsets.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var acks []ack
	for round := 0; round < 8; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ROCKETGO_CHILD_DIR="+dir, "ROCKETGO_CRASH_ROUND="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Rounds 6 and 7 die within the first 60 ms, usually inside Open's recovery of the
		// previous crash, which must be just as recoverable.
		delay := time.Duration(100+rng.Intn(400)) * time.Millisecond
		if round >= 6 {
			delay = time.Duration(rng.Intn(60)) * time.Millisecond
		}
		kill := time.After(delay)
		var got int
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if strings.HasPrefix(l, "ACK ") {
					var a ack
					if _, err := fmt.Sscanf(l, "ACK %d %d %d %d %d %d %d", &a.round, &a.seq, &a.queue, &a.queueOff, &a.phys, &a.size, &a.crc); err == nil {
						acks = append(acks, a)
						got++
					}
				} else if strings.Contains(l, "FAIL") {
					t.Fatalf("child: %s", l)
				}
			case <-kill:
				cmd.Process.Signal(syscall.SIGKILL)
				kill = nil
			}
		}
		cmd.Wait()
		if _, err := os.Stat(crashConfig(dir).AbortPath()); err != nil && got > 0 {
			t.Fatalf("round %d: no abort file after a kill", round)
		}
		t.Logf("round %d: %d acknowledged before SIGKILL", round, got)
		verifyAfterCrash(t, dir, acks)
	}
}

func verifyAfterCrash(t *testing.T, dir string, acks []ack) {
	t.Helper()
	_, err := os.Stat(crashConfig(dir).AbortPath())
	crashed := err == nil // false only if the child died before its Open created the file
	s, err := Open(crashConfig(dir), WithDefaultIndex())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.recovery.Abnormal != crashed {
		t.Fatalf("abort file present: %v, abnormal recovery: %v", crashed, s.recovery.Abnormal)
	}
	for _, a := range acks {
		sel := s.SelectOneMessageByOffset(a.phys)
		if sel == nil {
			t.Fatalf("acked message %+v missing", a)
		}
		if int32(len(sel.Bytes)) != a.size || crc32.ChecksumIEEE(sel.Bytes) != a.crc {
			sel.Release()
			t.Fatalf("acked message %+v differs", a)
		}
		sel.Release()
		g := s.GetMessage("g", "Crash", a.queue, a.queueOff, 1, 0, nil)
		if g.Status != Found || len(g.Buffers) != 1 || crc32.ChecksumIEEE(g.Buffers[0]) != a.crc {
			t.Fatalf("acked message %+v not served by its queue: %v", a, g.Status)
		}
		g.Release()
	}
	// The index finds acknowledged messages by key (a sample: queries are not free).
	for i := 0; i < len(acks); i += 1 + len(acks)/200 {
		a := acks[i]
		q := s.QueryMessage("Crash", fmt.Sprint("k", a.seq), 64, 0, Now()+1000)
		found := false
		for _, b := range q.Buffers {
			if crc32.ChecksumIEEE(b) == a.crc {
				found = true
			}
		}
		q.Release()
		if !found {
			t.Fatalf("index lost acked message %+v", a)
		}
	}
	// Every unit of every queue points at a valid record and offsets are dense.
	end := s.CommitLogMaxOffset()
	for q := int32(0); q < 4; q++ {
		max := s.MaxOffsetInQueue("Crash", q)
		for off := int64(0); off < max; off++ {
			g := s.GetMessage("g", "Crash", q, off, 1, 0, nil)
			if g.Status != Found {
				t.Fatalf("q%d offset %d of %d: %v", q, off, max, g.Status)
			}
			var v message.View
			if err := message.Parse(g.Buffers[0], &v); err != nil || !v.CRCOK() || v.QueueOffset != off || v.PhysicalOffset+int64(v.TotalSize) > end {
				t.Fatalf("q%d offset %d: bad record %v", q, off, err)
			}
			g.Release()
		}
		if g := s.GetMessage("g", "Crash", q, max, 1, 0, nil); g.Status != OffsetOverflowOne {
			t.Fatalf("q%d: reading at max gives %v", q, g.Status)
		}
	}
	// Appends continue from the right offsets.
	for q := int32(0); q < 4; q++ {
		want := s.MaxOffsetInQueue("Crash", q)
		before := s.CommitLogMaxOffset()
		r := s.PutMessage(&message.Msg{Topic: "Crash", QueueID: q, Body: []byte("probe"), BornHost: testBorn, StoreHost: testStore})
		if r.Status != PutOK || r.QueueOffset != want {
			t.Fatalf("q%d: append after recovery got queue offset %d want %d", q, r.QueueOffset, want)
		}
		if r.WroteOffset != before && r.WroteOffset%int64(crashConfig(dir).MappedFileSizeCommitLog) != 0 {
			t.Fatalf("append after recovery at %d, log end was %d", r.WroteOffset, before)
		}
	}
}

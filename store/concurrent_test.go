package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

// TestConcurrentPutGetClean runs appenders, pullers and forced retention together (meant for
// -race): pulls must only ever see whole, valid records in queue order, even while the files
// under them are deleted.
func TestConcurrentPutGetClean(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 8192
	cfg.MappedFileSizeConsumeQueue = 32 * cqUnitSize
	s := mustOpen(t, cfg)
	defer s.Close()
	s.cleaner.ratio = func(string) float64 { return 0.88 } // forced cleaning
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var puts, reads atomic.Int64
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := s.PutMessage(newMsg("CC", int32(w), fmt.Sprintf("w%d-%d", w, i), "TAGS", "t"))
				if r.Status != PutOK {
					t.Errorf("put: %v", r.Status)
					return
				}
				puts.Add(1)
			}
		}(w)
	}
	for rd := 0; rd < 3; rd++ {
		wg.Add(1)
		go func(q int32) {
			defer wg.Done()
			off := int64(0)
			for {
				select {
				case <-stop:
					return
				default:
				}
				g := s.GetMessage("g", "CC", q, off, 16, 0, nil)
				switch g.Status {
				case Found:
					for i, b := range g.Buffers {
						var v message.View
						if err := message.Parse(b, &v); err != nil || !v.CRCOK() || v.QueueOffset != g.QueueOffsets[i] || v.QueueID != q {
							t.Errorf("q%d: bad record at %d: %v", q, g.QueueOffsets[i], err)
						}
						reads.Add(1)
					}
				// OFFSET_OVERFLOW_BADLY happens as in Java: retention moved the min offset between
				// the range check and the unit lookup (OFFSET_FOUND_NULL), whose next offset, the
				// start of the next consume-queue file, can lie past the end.
				case OffsetTooSmall, OffsetOverflowOne, NoMatchedLogicQueue, NoMessageInQueue, MessageWasRemoving, OffsetFoundNull, OffsetOverflowBadly:
				default:
					t.Errorf("q%d offset %d: %v", q, off, g.Status)
				}
				off = g.NextBeginOffset
				g.Release()
			}
		}(int32(rd))
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				s.CleanNow()
			}
		}
	}()
	time.Sleep(700 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d puts, %d reads, commitlog now [%d, %d)", puts.Load(), reads.Load(), s.CommitLogMinOffset(), s.CommitLogMaxOffset())
	if reads.Load() == 0 || s.CommitLogMinOffset() == 0 {
		t.Fatal("nothing read or nothing cleaned")
	}
}

package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// captureLog collects log output during fn.
func captureLog(fn func()) string {
	var buf bytes.Buffer
	old := logrus.StandardLogger().Out
	logrus.SetOutput(&buf)
	defer logrus.SetOutput(old)
	fn()
	return buf.String()
}

func TestCorruptRecordStopsRecovery(t *testing.T) {
	cases := []struct {
		name   string
		damage func(rec []byte)
		reason string
	}{
		{"bad crc", func(rec []byte) { rec[len(rec)-20] ^= 0xFF }, "CRC"},
		{"bad magic", func(rec []byte) { rec[5] = 0 }, "magic"},
		{"bad size", func(rec []byte) { rec[3]++ }, "TOTALSIZE"},
	}
	for _, c := range cases {
		for _, abort := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/abort=%v", c.name, abort), func(t *testing.T) {
				cfg := testConfig(t)
				cfg.MappedFileSizeCommitLog = 8192
				s := mustOpen(t, cfg)
				var offs []int64
				for i := 0; i < 150; i++ {
					r := s.PutMessage(newMsg("C", int32(i%2), strings.Repeat("b", 100+i)))
					offs = append(offs, r.WroteOffset)
				}
				s.Close()
				// Damage a record in the middle of the last-but-one file holding data (the last
				// file on disk may be the pre-allocated, empty next segment).
				lastData := lastWithData(t, cfg.CommitLogDir())
				if lastData < 2 {
					t.Fatalf("only %d files with data", lastData+1)
				}
				victimFile := int64(lastData-1) * 8192
				k := 0
				for k = range offs {
					if offs[k] >= victimFile+2000 {
						break
					}
				}
				path := filepath.Join(cfg.CommitLogDir(), fileName(victimFile))
				data, _ := os.ReadFile(path)
				pos := offs[k] - victimFile
				c.damage(data[pos : pos+int64(message.RecordLen(newMsg("C", 0, strings.Repeat("b", 100+k))))])
				os.WriteFile(path, data, 0o644)
				if abort {
					os.WriteFile(cfg.AbortPath(), nil, 0o644)
				}
				var s2 *Store
				logs := captureLog(func() { s2 = mustOpen(t, cfg) })
				defer s2.Close()
				if !strings.Contains(logs, path) || !strings.Contains(logs, fmt.Sprint("offset=", offs[k])) || !strings.Contains(logs, c.reason) {
					t.Fatalf("log does not name file %s and offset %d (%s):\n%s", path, offs[k], c.reason, logs)
				}
				if s2.CommitLogMaxOffset() != offs[k] {
					t.Fatalf("recovered end %d, want %d", s2.CommitLogMaxOffset(), offs[k])
				}
				if !s2.recovery.Corrupt || !strings.Contains(logs, "level=error") {
					t.Fatalf("damage before the last file not reported as corruption: %+v", s2.recovery)
				}
				// Records before the damage are served; nothing from it on.
				for i := 0; i < k; i++ {
					if m, err := s2.LookMessageByOffset(offs[i]); err != nil || len(m.Body) != 100+i {
						t.Fatalf("record %d: %v", i, err)
					}
				}
				total := s2.MaxOffsetInQueue("C", 0) + s2.MaxOffsetInQueue("C", 1)
				if total != int64(k) {
					t.Fatalf("queues hold %d units, want %d", total, k)
				}
				if _, err := os.Stat(filepath.Join(cfg.CommitLogDir(), fileName(victimFile+8192))); !os.IsNotExist(err) {
					t.Fatal("file after the damage was kept")
				}
				r := s2.PutMessage(newMsg("C", int32(k%2), "again"))
				if r.Status != PutOK || r.WroteOffset != offs[k] || r.QueueOffset != int64(k/2) {
					t.Fatalf("append after truncation: %+v", r)
				}
			})
		}
	}
}

// TestTornTailZeroed: garbage after the last record is dropped and zeroed, so a later append
// that is shorter than the garbage cannot be followed by stale bytes.
func TestTornTailZeroed(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	for i := 0; i < 5; i++ {
		s.PutMessage(newMsg("Z", 0, "x"))
	}
	end := s.CommitLogMaxOffset()
	s.Close()
	// A torn copy of a valid record (its first half) right after the end.
	path := filepath.Join(cfg.CommitLogDir(), fileName(0))
	data, _ := os.ReadFile(path)
	rec := message.AppendRecord(nil, newMsg("Z", 0, strings.Repeat("y", 500)), 5, end, 1)
	copy(data[end:], rec[:300])
	os.WriteFile(path, data, 0o644)
	os.WriteFile(cfg.AbortPath(), nil, 0o644)
	s = mustOpen(t, cfg)
	defer s.Close()
	if s.CommitLogMaxOffset() != end || s.recovery.DamagedOffset != end || s.recovery.Corrupt {
		t.Fatalf("end %d report %+v", s.CommitLogMaxOffset(), s.recovery)
	}
	f := s.cl.q.last()
	if !isZero(f.data[end : end+300]) {
		t.Fatal("torn bytes not zeroed")
	}
}

// TestOpenRefusesBadLayout: a segment of the wrong size or a gap between segments is a clear
// start-up error, and the failed Open leaves the directory unlocked.
func TestOpenRefusesBadLayout(t *testing.T) {
	cases := []struct {
		name   string
		damage func(cfg Config)
		want   string
	}{
		{"oversized segment", func(cfg Config) {
			os.WriteFile(filepath.Join(cfg.CommitLogDir(), fileName(0)), make([]byte, cfg.MappedFileSizeCommitLog+1), 0o644)
		}, "configured segment size"},
		{"gap", func(cfg Config) {
			os.WriteFile(filepath.Join(cfg.CommitLogDir(), fileName(int64(3*cfg.MappedFileSizeCommitLog))), nil, 0o644)
		}, "does not follow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t)
			s := mustOpen(t, cfg)
			s.PutMessage(newMsg("X", 0, "x"))
			s.Close()
			c.damage(cfg)
			if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			// Not left locked: repairing the damage lets it open.
			os.Remove(filepath.Join(cfg.CommitLogDir(), fileName(int64(3*cfg.MappedFileSizeCommitLog))))
			os.Truncate(filepath.Join(cfg.CommitLogDir(), fileName(0)), int64(cfg.MappedFileSizeCommitLog))
			s = mustOpen(t, cfg)
			s.Close()
		})
	}
}

package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// cfgDoc is a config body whose decode can tell a complete file from a damaged one.
type cfgDoc struct {
	Version int    `json:"version"`
	Pad     string `json:"pad"`
}

func cfgBytes(version int) []byte {
	b, _ := json.Marshal(cfgDoc{Version: version, Pad: strings.Repeat("x", 3000+version%500)})
	return b
}

func decodeInto(got *int) func([]byte) error {
	return func(data []byte) error {
		var d cfgDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return err
		}
		*got = d.Version
		return nil
	}
}

func TestLoadConfigFile(t *testing.T) {
	const (
		absent  = "absent"
		empty   = "empty"
		corrupt = "corrupt"
		v1      = "v1"
		v2      = "v2"
	)
	content := map[string][]byte{empty: {}, corrupt: []byte(`{"version":2,"pad":"xx`), v1: cfgBytes(1), v2: cfgBytes(2)}
	cases := []struct {
		main, bak   string
		wantFrom    string // "main", "bak" or ""
		wantVersion int
		wantErr     bool
		wantLog     logrus.Level // 0 (panic level) means no log expected
	}{
		{absent, absent, "", 0, false, 0},
		{empty, absent, "", 0, false, 0},
		{empty, empty, "", 0, false, 0},
		{v2, absent, "main", 2, false, 0},
		{v2, v1, "main", 2, false, 0},
		{v2, corrupt, "main", 2, false, 0},
		{absent, v1, "bak", 1, false, logrus.InfoLevel},
		{empty, v1, "bak", 1, false, logrus.InfoLevel},
		{corrupt, v1, "bak", 1, false, logrus.WarnLevel},
		{corrupt, absent, "", 0, true, 0},
		{corrupt, empty, "", 0, true, 0},
		{corrupt, corrupt, "", 0, true, 0},
		{absent, corrupt, "", 0, true, 0},
		{empty, corrupt, "", 0, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.main+"_"+tc.bak, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "topics.json")
			for name, state := range map[string]string{path: tc.main, path + ".bak": tc.bak} {
				if state != absent {
					if err := os.WriteFile(name, content[state], 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			hook := test.NewGlobal()
			defer hook.Reset()
			got := -1
			from, err := LoadConfigFile(path, decodeInto(&got))
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), ".bak") {
					t.Fatalf("want an error naming both files, got %v (from %q)", err, from)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantPath := map[string]string{"main": path, "bak": path + ".bak", "": ""}[tc.wantFrom]
			if from != wantPath {
				t.Fatalf("loaded from %q, want %q", from, wantPath)
			}
			if tc.wantFrom != "" && got != tc.wantVersion {
				t.Fatalf("decoded version %d, want %d", got, tc.wantVersion)
			}
			if tc.wantFrom == "" && got != -1 {
				t.Fatalf("decode called on first start")
			}
			last := hook.LastEntry()
			if tc.wantLog == 0 {
				if last != nil {
					t.Fatalf("unexpected log %q", last.Message)
				}
				return
			}
			if last == nil || last.Level != tc.wantLog || last.Data["file"] != path {
				t.Fatalf("want a %v log line naming %s, got %+v", tc.wantLog, path, last)
			}
		})
	}
}

func TestWriteConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "consumerOffset.json")
	// A stale temp file from an earlier crash must not disturb anything.
	if err := os.WriteFile(path+".tmp", []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		if err := WriteConfigFile(path, cfgBytes(v)); err != nil {
			t.Fatal(err)
		}
		mustContent(t, path, cfgBytes(v))
		if v == 1 {
			if _, err := os.Stat(path + ".bak"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("first write created a .bak: %v", err)
			}
		} else {
			mustContent(t, path+".bak", cfgBytes(v-1))
		}
		if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf(".tmp left behind: %v", err)
		}
	}
	// An empty main file does not overwrite a good backup.
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteConfigFile(path, cfgBytes(4)); err != nil {
		t.Fatal(err)
	}
	mustContent(t, path+".bak", cfgBytes(2))
	mustContent(t, path, cfgBytes(4))

	if err := WriteConfigFile(filepath.Join(dir, "no", "such", "dir.json"), cfgBytes(1)); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

// TestWriteConfigFileInterrupted stops the write after each step, as a crash there would, and
// checks that a load then sees the old or the new version, never a damaged one.
func TestWriteConfigFileInterrupted(t *testing.T) {
	for _, stop := range []string{"tmp written", "bak written"} {
		for _, history := range []int{0, 1, 2} { // versions written before the interrupted one
			t.Run(fmt.Sprintf("%s/after%d", stop, history), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "topics.json")
				for v := 1; v <= history; v++ {
					if err := WriteConfigFile(path, cfgBytes(v)); err != nil {
						t.Fatal(err)
					}
				}
				crash := errors.New("crash")
				configWriteStop = func(step string) error {
					if step == stop {
						return crash
					}
					return nil
				}
				err := WriteConfigFile(path, cfgBytes(history+1))
				configWriteStop = func(string) error { return nil }
				if !errors.Is(err, crash) {
					t.Fatalf("got %v", err)
				}
				got := -1
				from, err := LoadConfigFile(path, decodeInto(&got))
				if err != nil {
					t.Fatal(err)
				}
				if history == 0 {
					if from != "" {
						t.Fatalf("nothing committed yet, but loaded %s (v%d)", from, got)
					}
					return
				}
				if got != history {
					t.Fatalf("loaded v%d from %s, want the last committed v%d", got, from, history)
				}
				// The next write completes normally over the leftovers.
				if err := WriteConfigFile(path, cfgBytes(history+2)); err != nil {
					t.Fatal(err)
				}
				mustContent(t, path, cfgBytes(history+2))
				mustContent(t, path+".bak", cfgBytes(history))
			})
		}
	}
}

// TestWriteConfigFileKilled SIGKILLs a child process that rewrites a config file in a loop
// and checks, for several rounds, that the file left behind always loads to a complete version
// no older than the last one the child reported as written.
func TestWriteConfigFileKilled(t *testing.T) {
	if os.Getenv("ROCKETGO_CONFIG_WRITER") != "" {
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "subscriptionGroup.json")
	for round := 0; round < 4; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConfigWriterChild$")
		cmd.Env = append(os.Environ(), "ROCKETGO_CONFIG_WRITER="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lastAcked := make(chan int, 1)
		go func() {
			buf := make([]byte, 0, 1<<16)
			tmp := make([]byte, 4096)
			for {
				n, err := out.Read(tmp)
				buf = append(buf, tmp[:n]...)
				if err != nil {
					break
				}
			}
			lines := strings.Fields(string(buf))
			v := 0
			if len(lines) > 0 {
				v, _ = strconv.Atoi(lines[len(lines)-1])
			}
			lastAcked <- v
		}()
		time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		acked := <-lastAcked
		got := -1
		from, err := LoadConfigFile(path, decodeInto(&got))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if acked > 0 && (from == "" || got < acked) {
			t.Fatalf("round %d: child acknowledged v%d, load gave v%d from %q", round, acked, got, from)
		}
		t.Logf("round %d: acknowledged v%d, loaded v%d from %s", round, acked, got, filepath.Base(from))
	}
}

// TestConfigWriterChild is the child of TestWriteConfigFileKilled.
func TestConfigWriterChild(t *testing.T) {
	path := os.Getenv("ROCKETGO_CONFIG_WRITER")
	if path == "" {
		t.Skip("only runs as the child of TestWriteConfigFileKilled")
	}
	start := 0
	var d cfgDoc
	if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, &d) == nil {
		start = d.Version
	}
	for v := start + 1; ; v++ {
		if err := WriteConfigFile(path, cfgBytes(v)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(v)
	}
}

func mustContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s: %d bytes, want %d bytes (%.40q…)", filepath.Base(path), len(got), len(want), got)
	}
}

func BenchmarkWriteConfigFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "topics.json")
	data := cfgBytes(1)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := WriteConfigFile(path, data); err != nil {
			b.Fatal(err)
		}
	}
}

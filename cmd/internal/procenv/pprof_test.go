package procenv

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestStartProfiler(t *testing.T) {
	if got := StartProfiler(""); got != "" {
		t.Fatalf("StartProfiler(\"\") = %q, want nothing started", got)
	}
	addr := StartProfiler("127.0.0.1:0")
	if addr == "" {
		t.Fatal("profiler did not start")
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "goroutine profile") {
		t.Fatalf("status %d, body %.200s", resp.StatusCode, b)
	}
	if got := StartProfiler(addr); got != "" {
		t.Fatalf("second Start on a taken port = %q, want \"\" (logged, not fatal)", got)
	}
}

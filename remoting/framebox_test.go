package remoting

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFrameCommandClasses decodes frames of sizes on both sides of every co-allocation class
// boundary: the buffer must be exactly the frame (no room to write past it), the command
// must decode from it, and a frame must cost at most one allocation.
func TestFrameCommandClasses(t *testing.T) {
	small, _ := AppendFrame(nil, NewRequest(17, ExtFields{{"k", "v"}}, nil))
	sizes := []int{len(small), 100000}
	for _, fc := range frameClasses {
		edge := int(fc.total - boxHead)
		sizes = append(sizes, edge-1, edge, edge+1)
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			req := NewRequest(17, ExtFields{{"k", "v"}}, nil)
			hdr, _ := AppendFrame(nil, req)
			req.Body = make([]byte, n-len(hdr))
			for i := range req.Body {
				req.Body[i] = byte(i)
			}
			frame, err := AppendFrame(nil, req)
			if err != nil || len(frame) != n {
				t.Fatalf("frame of %d bytes: %v", len(frame), err)
			}
			c, buf := newFrameCommand(n)
			if len(buf) != n || cap(buf) != n {
				t.Fatalf("buffer len %d cap %d, want %d", len(buf), cap(buf), n)
			}
			if len(c.ExtFields) != 0 || cap(c.ExtFields) != 16 {
				t.Fatalf("extFields len %d cap %d", len(c.ExtFields), cap(c.ExtFields))
			}
			copy(buf, frame)
			if err := DecodeFrame(buf, c, 0); err != nil {
				t.Fatal(err)
			}
			if c.Code != req.Code || !bytes.Equal(c.Body, req.Body) || c.ExtFields.Value("k") != "v" {
				t.Fatalf("decoded %+v", c)
			}
			allocs := testing.AllocsPerRun(20, func() { Sink, _ = newFrameCommand(n) })
			want := 1.0
			if n > int(frameClasses[len(frameClasses)-1].total-boxHead) {
				want = 2
			}
			if allocs > want {
				t.Fatalf("%v allocations, want at most %v", allocs, want)
			}
		})
	}
}

// TestRecycleRequest: a recycled box comes back reset (nothing of the old request shows),
// a get/recycle cycle allocates nothing, and commands the server did not box are left alone.
func TestRecycleRequest(t *testing.T) {
	req := NewRequest(310, sendV2Fields(), []byte("body"))
	frame, _ := AppendFrame(nil, req)
	for i := 0; i < 3; i++ {
		c, buf := newFrameCommand(len(frame))
		if c.Code != 0 || c.Remark != "" || c.Body != nil || len(c.ExtFields) != 0 || cap(c.ExtFields) != 16 {
			t.Fatalf("round %d: box not reset: %+v", i, c)
		}
		copy(buf, frame)
		if err := DecodeFrame(buf, c, 0); err != nil {
			t.Fatal(err)
		}
		c.ExtFields.Set("extra", "x") // a processor may grow the fields
		recycleRequest(c)
	}
	allocs := testing.AllocsPerRun(100, func() {
		c, _ := newFrameCommand(len(frame))
		recycleRequest(c)
	})
	if allocs != 0 {
		t.Fatalf("get+recycle: %v allocations", allocs)
	}
	plain := newCommand()
	recycleRequest(plain) // not from a frame box: must not enter a pool
	for i := range framePools {
		if b, _ := framePools[i].Get().(*cmdBox); b != nil && &b.Command == plain {
			t.Fatal("plain command was pooled")
		}
	}
}

// TestServerTransientReuse drives a Transient processor (inline and on the pool) and a
// processor that keeps its requests over one connection: every answer must carry its own
// request's fields and body while the memory of transient requests is reused, and what the
// keeping processor holds must stay intact afterwards.
func TestServerTransientReuse(t *testing.T) {
	const codeKeep, codeTransInline, codeTransPool = 900, 901, 902
	var mu sync.Mutex
	var kept []*Command
	var keptBody []string
	echoT := TransientFunc(func(ch Channel, req *Command) *Command { return echo(ch, req) })
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterInline(codeKeep, ProcessorFunc(func(ch Channel, req *Command) *Command {
			mu.Lock()
			kept = append(kept, req)
			keptBody = append(keptBody, string(req.Body))
			mu.Unlock()
			return echo(ch, req)
		}))
		s.RegisterInline(codeTransInline, echoT)
		s.Register(codeTransPool, echoT)
	})
	nc := dial(t, addr)
	const n = 600
	var data []byte
	for i := 0; i < n; i++ {
		code := []int32{codeKeep, codeTransInline, codeTransPool}[i%3]
		req := NewRequest(code, ExtFields{{"i", strconv.Itoa(i)}, {"pad", string(bytes.Repeat([]byte{'a' + byte(i%26)}, i%300))}},
			[]byte(fmt.Sprintf("body-%d", i)))
		req.Opaque, req.Serialize = int32(i), SerializeType(i%2)
		data = append(data, frameOf(t, req)...)
	}
	if _, err := nc.Write(data); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < n; k++ {
		r := readCmd(t, nc)
		i := int(r.Opaque)
		if r.ExtFields.Value("i") != strconv.Itoa(i) || string(r.Body) != fmt.Sprintf("body-%d", i) ||
			len(r.ExtFields.Value("pad")) != i%300 {
			t.Fatalf("answer %d carries %v / %q", i, r.ExtFields, r.Body)
		}
	}
	time.Sleep(10 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(kept) != n/3 {
		t.Fatalf("kept %d requests, want %d", len(kept), n/3)
	}
	for j, req := range kept {
		i := int(req.Opaque)
		if string(req.Body) != keptBody[j] || req.ExtFields.Value("i") != strconv.Itoa(i) || req.Code != codeKeep {
			t.Fatalf("kept request %d changed: %+v body %q", i, req, req.Body)
		}
	}
}

// TestRecyclePoison: with poisoning on (make test), a recycled frame is overwritten, so a
// string a Transient processor kept of its request reads as garbage at once.
func TestRecyclePoison(t *testing.T) {
	defer func(old bool) { poisonRecycled = old }(poisonRecycled)
	poisonRecycled = true
	req := sendV2Request(SerializeJSON)
	frame, err := AppendFrame(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	c, buf := newFrameCommand(len(frame))
	copy(buf, frame)
	if err := DecodeFrame(buf, c, 0); err != nil {
		t.Fatal(err)
	}
	topic := c.ExtFields.Value("b") // what a careless processor would keep
	if topic == "" || strings.Contains(topic, "\xee") {
		t.Fatalf("topic %q before recycling", topic)
	}
	recycleRequest(c)
	if topic != strings.Repeat("\xee", len(topic)) {
		t.Fatalf("kept topic reads %q after recycling, want it poisoned", topic)
	}
}

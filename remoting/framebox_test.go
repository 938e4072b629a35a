package remoting

import (
	"bytes"
	"fmt"
	"testing"
)

// TestFrameCommandClasses decodes frames of sizes on both sides of every co-allocation class
// boundary: the buffer must be exactly the frame (no room to write past it), the command
// must decode from it, and small frames must cost one allocation.
func TestFrameCommandClasses(t *testing.T) {
	var sizes []int
	for _, total := range []uintptr{1024, 1280, 1536, 2048, 2688, 3456, 4096, 5376, 8192} {
		edge := int(total - boxHead)
		sizes = append(sizes, edge-1, edge, edge+1)
	}
	small, _ := AppendFrame(nil, NewRequest(17, ExtFields{{"k", "v"}}, nil))
	sizes = append(sizes, len(small), 100000)
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
			if c.Code != req.Code || !bytes.Equal(c.Body, req.Body) || c.ExtFields.Value("k") != req.ExtFields.Value("k") {
				t.Fatalf("decoded %+v", c)
			}
			allocs := testing.AllocsPerRun(20, func() { Sink, _ = newFrameCommand(n) })
			want := 1.0
			if n > int(8192-boxHead) {
				want = 2
			}
			if allocs != want {
				t.Fatalf("%v allocations, want %v", allocs, want)
			}
		})
	}
}

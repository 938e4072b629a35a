package remoting

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// TestPooledAnswersThroughFullSocket: workers write answers straight to the socket
// (writeDirectLocked). With big answers and a peer that does not read at first, the socket
// fills, direct writes stop part-way and the rest must go through the event loop, without a
// byte lost, repeated or interleaved, while other goroutines write on the same channel.
func TestPooledAnswersThroughFullSocket(t *testing.T) {
	const n, size, extra = 64, 200 << 10, 200
	var (
		mu    sync.Mutex
		chans []Channel
	)
	_, addr := startServer(t, ServerConfig{Workers: 4, Multicore: true}, func(s *Server) {
		s.Register(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
			mu.Lock()
			chans = append(chans, ch)
			mu.Unlock()
			resp := NewResponse(req, CodeSuccess, "")
			resp.Body = bytes.Repeat([]byte{byte(req.Opaque)}, size)
			return resp
		}))
	})
	nc := dial(t, addr)
	_ = nc.(*net.TCPConn).SetReadBuffer(32 << 10)
	var buf []byte
	for k := 1; k <= n; k++ {
		buf = append(buf, frameOf(t, request(codeLater, int32(k), SerializeJSON))...)
	}
	if _, err := nc.Write(buf); err != nil {
		t.Fatal(err)
	}
	// Let the workers fill the socket before anything is read.
	time.Sleep(200 * time.Millisecond)
	// Unsolicited writes from another goroutine meanwhile (as a held pull's answer).
	mu.Lock()
	ch := chans[0]
	mu.Unlock()
	go func() {
		for k := 0; k < extra; k++ {
			r := NewRequest(codeLater, nil, []byte{byte(k)})
			r.Opaque = int32(1000 + k)
			r.MarkResponse()
			if err := ch.Write(r); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	seen := map[int32]bool{}
	for i := 0; i < n+extra; i++ {
		c := readCmd(t, nc)
		if seen[c.Opaque] {
			t.Fatalf("answer %d repeated", c.Opaque)
		}
		seen[c.Opaque] = true
		switch {
		case c.Opaque >= 1 && c.Opaque <= n:
			if !bytes.Equal(c.Body, bytes.Repeat([]byte{byte(c.Opaque)}, size)) {
				t.Fatalf("answer %d: body corrupt", c.Opaque)
			}
		case c.Opaque >= 1000 && c.Opaque < 1000+extra:
			if len(c.Body) != 1 || c.Body[0] != byte(c.Opaque-1000) {
				t.Fatalf("write %d: body %v", c.Opaque, c.Body)
			}
		default:
			t.Fatalf("unexpected opaque %d", c.Opaque)
		}
	}
}

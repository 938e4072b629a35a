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

// TestDirectWritesNeverReachAnotherConnection: peers that close while workers are answering
// them, with new connections taking over freed descriptors, never receive an answer meant
// for another connection (a worker writing to a descriptor number gnet had closed and reused
// would deliver it to the newcomer).
func TestDirectWritesNeverReachAnotherConnection(t *testing.T) {
	_, addr := startServer(t, ServerConfig{Workers: 8, Multicore: true}, func(s *Server) {
		s.Register(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
			resp := NewResponse(req, CodeSuccess, "")
			resp.Body = make([]byte, 4<<10)
			return resp
		}))
	})
	const rounds, perConn = 200, 8
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				base := int32((w*rounds + r) * perConn)
				var buf []byte
				for k := int32(0); k < perConn; k++ {
					buf = append(buf, frameOf(t, request(codeLater, base+k, SerializeRocketMQ))...)
				}
				if _, err := nc.Write(buf); err != nil {
					t.Error(err)
					nc.Close()
					return
				}
				// Every other connection leaves before its answers; the rest read them all.
				want := perConn
				if r%2 == 0 {
					want = 1
				}
				_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				for k := 0; k < want; k++ {
					frame, err := ReadFrame(nc, 0)
					if err != nil {
						t.Errorf("conn %d/%d answer %d: %v", w, r, k, err)
						break
					}
					c, err := Decode(frame)
					if err != nil || c.Opaque < base || c.Opaque >= base+perConn {
						t.Errorf("conn %d/%d got opaque %d, its own are %d..%d (%v)", w, r, c.Opaque, base, base+perConn-1, err)
						break
					}
				}
				nc.Close()
			}
		}(w)
	}
	wg.Wait()
}

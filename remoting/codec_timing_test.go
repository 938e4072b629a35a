package remoting

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user+system, all threads) this process has used. The benchmark
// machine is shared, so wall-clock ns/op swings with other load; CPU time per op does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric for the time since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// Sink defeats dead-code elimination in benchmarks.
var Sink any

// sendV2Request is a SEND_MESSAGE_V2 request as the Java client builds it (one-letter keys).
func sendV2Request(st SerializeType) *Command {
	c := NewRequest(310, sendV2Fields(), make([]byte, 256))
	c.Opaque, c.Serialize = 123456, st
	return c
}

// pullFoundResponse is a PULL_MESSAGE response header with a batch of records as body.
func pullFoundResponse(st SerializeType) *Command {
	req := &Command{Opaque: 99, Serialize: st}
	c := NewResponse(req, CodeSuccess, "FOUND")
	c.ExtFields = ExtFields{{"suggestWhichBrokerId", "0"}, {"nextBeginOffset", "1032"}, {"minOffset", "0"},
		{"maxOffset", "1032"}}
	c.Body = make([]byte, 4096)
	return c
}

func benchEncode(b *testing.B, c *Command) {
	buf, _ := AppendFrame(nil, c)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	t0 := cpuTime()
	for i := 0; i < b.N; i++ {
		buf, _ = AppendFrame(buf[:0], c)
	}
	reportCPU(b, t0)
	Sink = buf
}

// benchDecode decodes the frame into a reused Command, the way the server's read path owns
// its buffer: the frame is first copied (the decoder unescapes in place), as the event loop
// copies it out of gnet's buffer.
func benchDecode(b *testing.B, c *Command) {
	frame, _ := AppendFrame(nil, c)
	scratch := make([]byte, len(frame))
	var got Command
	got.ExtFields = make(ExtFields, 0, 16)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	t0 := cpuTime()
	for i := 0; i < b.N; i++ {
		copy(scratch, frame)
		if err := DecodeFrame(scratch, &got, DefaultMaxFrameSize); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, t0)
	if got.Opaque != c.Opaque || len(got.ExtFields) != len(c.ExtFields) {
		b.Fatalf("decoded %+v", got)
	}
	Sink = &got
}

func BenchmarkEncodeSendV2(b *testing.B) {
	b.Run("JSON", func(b *testing.B) { benchEncode(b, sendV2Request(SerializeJSON)) })
	b.Run("ROCKETMQ", func(b *testing.B) { benchEncode(b, sendV2Request(SerializeRocketMQ)) })
}

func BenchmarkDecodeSendV2(b *testing.B) {
	b.Run("JSON", func(b *testing.B) { benchDecode(b, sendV2Request(SerializeJSON)) })
	b.Run("ROCKETMQ", func(b *testing.B) { benchDecode(b, sendV2Request(SerializeRocketMQ)) })
}

func BenchmarkEncodePullResponse(b *testing.B) {
	b.Run("JSON", func(b *testing.B) { benchEncode(b, pullFoundResponse(SerializeJSON)) })
	b.Run("ROCKETMQ", func(b *testing.B) { benchEncode(b, pullFoundResponse(SerializeRocketMQ)) })
}

func BenchmarkDecodePullResponse(b *testing.B) {
	b.Run("JSON", func(b *testing.B) { benchDecode(b, pullFoundResponse(SerializeJSON)) })
	b.Run("ROCKETMQ", func(b *testing.B) { benchDecode(b, pullFoundResponse(SerializeRocketMQ)) })
}

// BenchmarkDecodeSendV2Fresh is the server's real per-frame cost: a new frame buffer and a
// new Command (with room for 16 ext fields) per request, in one allocation (newFrameCommand).
func BenchmarkDecodeSendV2Fresh(b *testing.B) { benchDecodeFramed(b, false) }

// BenchmarkDecodeSendV2Reuse is the per-frame cost when the processor is Transient: the frame
// box is recycled once the request is answered, so a frame allocates nothing.
func BenchmarkDecodeSendV2Reuse(b *testing.B) { benchDecodeFramed(b, true) }

// benchDecodeFramed decodes a SEND_MESSAGE_V2 frame as the server does (newFrameCommand),
// recycling the box after each frame or keeping the command alive.
func benchDecodeFramed(b *testing.B, recycle bool) {
	frame, _ := AppendFrame(nil, sendV2Request(SerializeJSON))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	t0 := cpuTime()
	defer reportCPU(b, t0)
	for i := 0; i < b.N; i++ {
		c, own := newFrameCommand(len(frame))
		copy(own, frame)
		if err := DecodeFrame(own, c, DefaultMaxFrameSize); err != nil {
			b.Fatal(err)
		}
		if recycle {
			recycleRequest(c)
		} else {
			Sink = c
		}
	}
}

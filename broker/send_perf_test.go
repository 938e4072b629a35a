package broker

import (
	"testing"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// producerProps is what a producer's plain send carries.
var producerProps = props("UNIQ_KEY", "ABCDEF0123456789", "WAIT", "true", "TAGS", "TagA")

// TestBuildPropsAllocs: rebuilding a send's properties into a reused buffer allocates
// nothing, for the plain and the half-message layouts alike.
func TestBuildPropsAllocs(t *testing.T) {
	buf := make([]byte, 0, 512)
	cases := []struct {
		name string
		f    func()
	}{
		{"plain", func() { buf = buildProps(buf[:0], producerProps, "DefaultCluster", message.PropertyWaitStoreMsgOK) }},
		{"half", func() { buf = buildHalfProps(buf[:0], producerProps, "DefaultCluster", "RealTopic", "3") }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(200, c.f); n != 0 {
			t.Errorf("%s: %.1f allocs per build, want 0", c.name, n)
		}
	}
}

func BenchmarkBuildProps(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = buildProps(buf[:0], producerProps, "DefaultCluster", message.PropertyWaitStoreMsgOK)
	}
}

// copyingChannel stands for a server connection: Write encodes the frame into a reused
// output buffer, as serverConn does; with parts it also offers WriteParts.
type copyingChannel struct {
	fakeChannel
	out []byte
}

func (c *copyingChannel) Write(cmd *remoting.Command) error {
	var err error
	c.out, err = remoting.AppendFrame(c.out[:0], cmd)
	c.lastCode = cmd.Code
	return err
}

type partsChannel struct{ copyingChannel }

func (c *partsChannel) WriteParts(cmd *remoting.Command, parts [][]byte) error {
	var err error
	c.out, err = remoting.AppendFrameParts(c.out[:0], cmd, parts)
	c.lastCode = cmd.Code
	return err
}

// BenchmarkPullFound measures a FOUND pull of 32 messages of 1 KiB up to the bytes in the
// connection's output: gathered into a pooled body and copied again (copy), or copied once
// from the stored records (parts, what the server's channels do).
func BenchmarkPullFound(b *testing.B) {
	db := startDataBrokerB(b)
	send := sendV2(protocol.SendMessageV2, "BenchPullFound", 0, props("TAGS", "TagA"), make([]byte, 1024), false)
	ch0 := &fakeChannel{remote: "127.0.0.1:50000"}
	for i := 0; i < 32; i++ {
		db.b.data.processSend(ch0, send)
	}
	req := pullReq("GB", "BenchPullFound", 0, 0, protocol.PullFlagSubscription, "*", 0)
	for _, tc := range []struct {
		name string
		ch   interface {
			remoting.Channel
			frame() []byte
		}
	}{
		{"copy", &copyingChannel{fakeChannel: fakeChannel{remote: "127.0.0.1:50000"}}},
		{"parts", &partsChannel{copyingChannel{fakeChannel: fakeChannel{remote: "127.0.0.1:50000"}}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if r := db.b.data.pull.process(tc.ch, req); r != nil {
					b.Fatal(r.Code, r.Remark)
				}
			}
			if f := tc.ch.frame(); len(f) < 32*1024 {
				b.Fatalf("frame of %d bytes", len(f))
			}
		})
	}
}

func (c *copyingChannel) frame() []byte { return c.out }

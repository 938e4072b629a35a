package broker

import (
	"testing"

	"github.com/rocketgo/rocketgo/message"
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

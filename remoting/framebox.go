package remoting

import (
	"os"
	"sync"
	"unsafe"
)

// cmdBox puts a command and room for a typical header's extFields in one allocation.
type cmdBox struct {
	Command
	fields [16]Field
	// frame is the whole buffer of a framedCmd (nil for a plain box), class its index in
	// frameClasses plus one (0: not recyclable).
	frame []byte
	class int
}

func newCommand() *Command {
	b := new(cmdBox)
	b.ExtFields = b.fields[:0]
	return &b.Command
}

// framedCmd adds the frame itself to a cmdBox: the server's one allocation per received
// frame. The decoded command's strings and body alias buf, so the three live and die together
// anyway (a processor that keeps the request, or a string of it, keeps the frame). The byte
// array comes last: the garbage collector scans an object only up to its last pointer, so
// buf costs zeroing but no scanning.
type framedCmd[A any] struct {
	cmdBox
	buf A
}

func newFramed[A any](class int) *cmdBox {
	f := new(framedCmd[A])
	f.ExtFields = f.fields[:0]
	f.frame = unsafe.Slice((*byte)(unsafe.Pointer(&f.buf)), unsafe.Sizeof(f.buf))
	f.class = class
	return &f.cmdBox
}

// boxHead is what a framedCmd holds before its frame bytes, plus the 8-byte type header the
// Go allocator puts in front of objects that have pointers and are larger than 512 bytes.
const boxHead = unsafe.Sizeof(cmdBox{}) + 8

// frameClasses are the whole-object sizes of the boxes: Go allocator size classes, so that
// nothing is lost to rounding beyond the unused tail of the frame buffer.
var frameClasses = [...]struct {
	total uintptr
	alloc func(class int) *cmdBox
}{
	{1024, newFramed[[1024 - boxHead]byte]},
	{1152, newFramed[[1152 - boxHead]byte]},
	{1280, newFramed[[1280 - boxHead]byte]},
	{1408, newFramed[[1408 - boxHead]byte]},
	{1536, newFramed[[1536 - boxHead]byte]},
	{1792, newFramed[[1792 - boxHead]byte]},
	{2048, newFramed[[2048 - boxHead]byte]},
	{2304, newFramed[[2304 - boxHead]byte]},
	{2688, newFramed[[2688 - boxHead]byte]},
	{3072, newFramed[[3072 - boxHead]byte]},
	{3456, newFramed[[3456 - boxHead]byte]},
	{4096, newFramed[[4096 - boxHead]byte]},
	{4864, newFramed[[4864 - boxHead]byte]},
	{5376, newFramed[[5376 - boxHead]byte]},
	{6144, newFramed[[6144 - boxHead]byte]},
	{8192, newFramed[[8192 - boxHead]byte]},
}

// poisonRecycled (ROCKETGO_POISON_RECYCLED=1 in the environment, set by make test) fills a
// recycled frame with 0xEE bytes: a Transient processor that kept a string or slice of its
// request then sees garbage at once instead of, much later, some other request's bytes.
var poisonRecycled = os.Getenv("ROCKETGO_POISON_RECYCLED") == "1"

// framePools hold boxes given back by recycleRequest, one pool per class.
var framePools [len(frameClasses)]sync.Pool

// newFrameCommand returns a Command and a buffer of exactly n bytes for its frame, in a single
// allocation (or none, when a recycled box of the class is at hand) when the frame is small
// enough: every request of a producer or consumer but a large message body.
func newFrameCommand(n int) (*Command, []byte) {
	for i := range frameClasses {
		if n > int(frameClasses[i].total-boxHead) {
			continue
		}
		b, _ := framePools[i].Get().(*cmdBox)
		if b == nil {
			b = frameClasses[i].alloc(i + 1)
		}
		return &b.Command, b.frame[:n:n]
	}
	return newCommand(), make([]byte, n)
}

// recycleRequest gives the memory of a request decoded by the server (newFrameCommand) back
// for later frames. Only for a request whose processor is Transient and has returned, and
// whose response is already encoded: the next frame of the class overwrites the bytes its
// strings and body point into.
func recycleRequest(c *Command) {
	b := (*cmdBox)(unsafe.Pointer(c))
	if b.class == 0 {
		return
	}
	if poisonRecycled {
		for i := range b.frame {
			b.frame[i] = 0xEE
		}
	}
	b.Command = Command{}
	clear(b.fields[:])
	b.ExtFields = b.fields[:0]
	framePools[b.class-1].Put(b)
}

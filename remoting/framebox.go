package remoting

import "unsafe"

// cmdBox puts a command and room for a typical header's extFields in one allocation.
type cmdBox struct {
	Command
	fields [16]Field
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

func newFramed[A any](n int) (*Command, []byte) {
	f := new(framedCmd[A])
	f.ExtFields = f.fields[:0]
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&f.buf)), unsafe.Sizeof(f.buf))
	return &f.Command, buf[:n:n]
}

// boxHead is what a framedCmd holds before its frame bytes, plus the 8-byte type header the
// Go allocator puts in front of objects that have pointers and are larger than 512 bytes.
const boxHead = unsafe.Sizeof(cmdBox{}) + 8

// newFrameCommand returns a fresh Command and a buffer of exactly n bytes for its frame, in a
// single allocation when the frame is small enough (every request of a producer or consumer
// but a large message body). The frame capacities make each whole object one of the Go
// allocator's size classes, so no space is lost to rounding.
func newFrameCommand(n int) (*Command, []byte) {
	switch {
	case n <= int(1024-boxHead):
		return newFramed[[1024 - boxHead]byte](n)
	case n <= int(1280-boxHead):
		return newFramed[[1280 - boxHead]byte](n)
	case n <= int(1536-boxHead):
		return newFramed[[1536 - boxHead]byte](n)
	case n <= int(2048-boxHead):
		return newFramed[[2048 - boxHead]byte](n)
	case n <= int(2688-boxHead):
		return newFramed[[2688 - boxHead]byte](n)
	case n <= int(3456-boxHead):
		return newFramed[[3456 - boxHead]byte](n)
	case n <= int(4096-boxHead):
		return newFramed[[4096 - boxHead]byte](n)
	case n <= int(5376-boxHead):
		return newFramed[[5376 - boxHead]byte](n)
	case n <= int(8192-boxHead):
		return newFramed[[8192 - boxHead]byte](n)
	}
	return newCommand(), make([]byte, n)
}

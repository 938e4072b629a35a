package remoting

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"
)

// Seeds for all three targets: every captured wire frame, the Java-encoded golden frames and
// the protocol document's vectors. `go test` runs them; `go test -fuzz=FuzzX` explores.

func seedFrames(f *testing.F) [][]byte {
	var out [][]byte
	for _, r := range loadWire(f) {
		frame, _ := r.frame(f)
		out = append(out, frame)
	}
	jf, err := os.Open("../testdata/remoting/java-frames.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	defer jf.Close()
	sc := bufio.NewScanner(jf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r javaFrame
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			f.Fatal(err)
		}
		fr, err := base64.StdEncoding.DecodeString(r.Frame)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, fr)
	}
	for _, h := range []string{vecJavaJSON, vecJavaBinary, vecGoJSON} {
		out = append(out, unhex(f, h))
	}
	return out
}

// headerOf returns the header bytes of a well-formed frame.
func headerOf(frame []byte) []byte {
	return frame[8 : 8+int(binary.BigEndian.Uint32(frame[4:])&maxHeaderLen)]
}

// sameCommand reports whether two decodings agree on every field.
func sameCommand(a, b *Command) bool {
	if a.Code != b.Code || a.Language != b.Language || a.Version != b.Version || a.Opaque != b.Opaque ||
		a.Flag != b.Flag || a.Remark != b.Remark || a.HasRemark != b.HasRemark || a.Serialize != b.Serialize ||
		(a.ExtFields == nil) != (b.ExtFields == nil) || len(a.ExtFields) != len(b.ExtFields) ||
		!bytes.Equal(a.Body, b.Body) {
		return false
	}
	for i := range a.ExtFields {
		if a.ExtFields[i] != b.ExtFields[i] {
			return false
		}
	}
	return true
}

// roundTrip checks that an accepted command survives encode+decode. Two normalizations are
// the protocol's own: an unknown language is written as absent (Java's null) and read back
// as Java's default JAVA; an empty ext map has no binary form distinct from none.
func roundTrip(t *testing.T, c *Command) {
	out, err := AppendFrame(nil, c)
	if err != nil {
		if errors.Is(err, ErrHeaderTooLarge) || errors.Is(err, ErrFrameTooLarge) {
			return
		}
		t.Fatalf("encode %+v: %v", c, err)
	}
	got, err := Decode(out)
	if err != nil {
		t.Fatalf("re-decode of %q: %v", out, err)
	}
	want := *c
	if c.Serialize == SerializeJSON && c.Language == LangUnknown {
		want.Language = LangJava
	}
	if c.Serialize == SerializeRocketMQ && len(c.ExtFields) == 0 {
		want.ExtFields = nil
	}
	if c.Serialize == SerializeRocketMQ && c.Remark == "" {
		want.HasRemark = false
	}
	if !sameCommand(got, &want) {
		t.Fatalf("round trip changed the command\n got %+v\nwant %+v\nwire %q", *got, want, out)
	}
}

// FuzzFrameDecode feeds arbitrary bytes to the stream reader and the frame decoder: no
// panic, the same frames whatever the read sizes, and every accepted frame round-trips.
func FuzzFrameDecode(f *testing.F) {
	// Bodies add nothing to coverage but make every mutation and minimization slow: keep 16
	// bytes of each, and each distinct header once.
	seen := map[string]bool{}
	for _, fr := range seedFrames(f) {
		h := headerOf(fr)
		if seen[string(h)] {
			continue
		}
		seen[string(h)] = true
		if body := len(fr) - 8 - len(h); body > 16 {
			fr = bytes.Clone(fr[:8+len(h)+16])
			binary.BigEndian.PutUint32(fr, uint32(len(fr)-4))
		}
		f.Add(fr)
	}
	f.Add(unhex(f, "00 00 00 03"))
	f.Add(unhex(f, "7F FF FF FF 00 00 00 00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 1 << 16
		whole := readAll(bytes.NewReader(data), max)
		bytewise := readAll(iotest.OneByteReader(bytes.NewReader(data)), max)
		if len(whole) != len(bytewise) {
			t.Fatalf("%d frames read whole, %d byte by byte", len(whole), len(bytewise))
		}
		for i := range whole {
			if !bytes.Equal(whole[i], bytewise[i]) {
				t.Fatalf("frame %d differs by read size", i)
			}
			c, err := Decode(whole[i])
			if err != nil {
				continue
			}
			roundTrip(t, c)
		}
	})
}

func readAll(r io.Reader, max int) [][]byte {
	var out [][]byte
	for {
		fr, err := ReadFrame(r, max)
		if err != nil {
			return out
		}
		out = append(out, fr)
	}
}

// FuzzJSONHeader: the copying and the in-place decoders agree, the input of the copying one
// is left alone, and an accepted header round-trips.
func FuzzJSONHeader(f *testing.F) {
	for _, fr := range seedFrames(f) {
		if fr[4] == 0 {
			f.Add(headerOf(fr))
		}
	}
	for _, s := range []string{`{"code":"105","extFields":{"n":1,"o":{"x":[1,2]},"z":null}}`,
		`{"remark":"\ud83d\ude00\ud800\u00e9\n"}`, `{"language":"UNKNOWN"}`, `{"code":1e3,"flag":true}`,
		`{"remark":["\u0041"],"extFields":{"o":{"x\n":"a\"b"}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		var a Command
		errA := DecodeHeader(SerializeJSON, data, &a)
		if !bytes.Equal(data, orig) {
			t.Fatal("DecodeHeader modified its input")
		}
		var b Command
		errB := decodeHeader(SerializeJSON, bytes.Clone(data), &b, true)
		if (errA == nil) != (errB == nil) || (errA == nil && !sameCommand(&a, &b)) {
			t.Fatalf("copying %v / %+v, in place %v / %+v", errA, a, errB, b)
		}
		if errA != nil {
			if !errors.Is(errA, ErrBadJSONHeader) {
				t.Fatalf("error %v does not wrap ErrBadJSONHeader", errA)
			}
			return
		}
		roundTrip(t, &a)
	})
}

// FuzzBinaryHeader: as FuzzJSONHeader for the ROCKETMQ layout.
func FuzzBinaryHeader(f *testing.F) {
	for _, fr := range seedFrames(f) {
		if fr[4] == 1 {
			f.Add(headerOf(fr))
		}
	}
	f.Add(make([]byte, 21))
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		var a Command
		errA := DecodeHeader(SerializeRocketMQ, data, &a)
		if !bytes.Equal(data, orig) {
			t.Fatal("DecodeHeader modified its input")
		}
		var b Command
		errB := decodeHeader(SerializeRocketMQ, bytes.Clone(data), &b, true)
		if (errA == nil) != (errB == nil) || (errA == nil && !sameCommand(&a, &b)) {
			t.Fatalf("copying %v / %+v, in place %v / %+v", errA, a, errB, b)
		}
		if errA != nil {
			if !errors.Is(errA, ErrBadBinary) {
				t.Fatalf("error %v does not wrap ErrBadBinary", errA)
			}
			return
		}
		roundTrip(t, &a)
	})
}

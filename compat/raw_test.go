package compat

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawConn is a deliberately independent remoting client: it shares no code with the servers'
// remoting package, so a framing or header bug there cannot hide itself by being mirrored here.
// It speaks only the JSON header form, which is what both stock clients send by default, and
// can pose as the Go client (language GO, version 317, no oneway bit) or as Java (JAVA, 409).
//
// A frame on the wire:
//
//	+----------------+-----------------------------+-------------+------+
//	| total len (4)  | serialize type (1) | hdr len (3) | header JSON | body |
//	+----------------+-----------------------------+-------------+------+
//	total len counts everything after itself: 4 + hdr len + body len.
type rawConn struct {
	t    testing.TB
	conn net.Conn
	lang string
	ver  int

	opaque atomic.Int32
	mu     sync.Mutex // serialises writes
	pmu    sync.Mutex
	wait   map[int32]chan *rawCmd
	// pushed receives requests the server sends us (NOTIFY_CONSUMER_IDS_CHANGED, ...).
	pushed chan *rawCmd
	closed chan struct{}
	err    atomic.Value
}

// rawCmd is a decoded frame. ExtFields values stay strings: that is what the protocol carries
// and what the Go client insists on (trap 2).
type rawCmd struct {
	Code      int               `json:"code"`
	Language  string            `json:"language"`
	Version   int               `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int               `json:"flag"`
	Remark    *string           `json:"remark,omitempty"`
	ExtFields map[string]string `json:"extFields,omitempty"`
	Body      []byte            `json:"-"`
	// Serialize is the serialize-type byte the frame arrived with.
	Serialize byte `json:"-"`
	// rawHeader keeps the header text for assertions about its exact form.
	rawHeader []byte
}

func (c *rawCmd) remark() string {
	if c.Remark == nil {
		return ""
	}
	return *c.Remark
}

func (c *rawCmd) String() string {
	return fmt.Sprintf("code=%d remark=%q ext=%v body=%dB", c.Code, c.remark(), c.ExtFields, len(c.Body))
}

// ext returns an ext field, failing the test when it is missing (trap 15: every response
// header field must be present).
func (c *rawCmd) ext(t testing.TB, key string) string {
	t.Helper()
	v, ok := c.ExtFields[key]
	if !ok {
		t.Fatalf("response %s lacks ext field %q", c, key)
	}
	return v
}

func (c *rawCmd) extInt(t testing.TB, key string) int64 {
	t.Helper()
	v := c.ext(t, key)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("ext field %q=%q is not a number: %v", key, v, err)
	}
	return n
}

const (
	langGo   = "GO"
	langJava = "JAVA"
)

// dialRaw connects to addr posing as lang ("GO" with version 317, "JAVA" with 409).
func dialRaw(t testing.TB, addr, lang string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	ver := 409
	if lang == langGo {
		ver = 317
	}
	c := &rawConn{t: t, conn: conn, lang: lang, ver: ver,
		wait: make(map[int32]chan *rawCmd), pushed: make(chan *rawCmd, 64), closed: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() { c.Close() })
	return c
}

func (c *rawConn) Close() error { return c.conn.Close() }

func (c *rawConn) readLoop() {
	defer close(c.closed)
	r := bufio.NewReader(c.conn)
	for {
		cmd, err := readFrame(r)
		if err != nil {
			c.err.Store(err)
			return
		}
		if cmd.Flag&1 == 0 { // a request from the server
			select {
			case c.pushed <- cmd:
			default:
			}
			continue
		}
		c.pmu.Lock()
		ch := c.wait[cmd.Opaque]
		delete(c.wait, cmd.Opaque)
		c.pmu.Unlock()
		if ch != nil {
			ch <- cmd
		}
	}
}

func readFrame(r io.Reader) (*rawCmd, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, err
	}
	total := binary.BigEndian.Uint32(pre[:4])
	hl := binary.BigEndian.Uint32(pre[4:8])
	st := byte(hl >> 24)
	hl &= 0xFFFFFF
	if total < 4+hl || total > 64<<20 {
		return nil, fmt.Errorf("bad frame lengths total=%d header=%d", total, hl)
	}
	buf := make([]byte, total-4)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	cmd := &rawCmd{Serialize: st, Body: buf[hl:]}
	if len(cmd.Body) == 0 {
		cmd.Body = nil
	}
	switch st {
	case 0:
		cmd.rawHeader = buf[:hl]
		if err := json.Unmarshal(buf[:hl], cmd); err != nil {
			return nil, fmt.Errorf("header %q: %w", buf[:hl], err)
		}
	case 1:
		if err := decodeBinaryHeader(buf[:hl], cmd); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown serialize type %d", st)
	}
	return cmd, nil
}

// decodeBinaryHeader reads the ROCKETMQ form, which a server may use for a reply to a request
// that came in that form, or for replies created outside the request path.
//
//	code int16 | language byte | version int16 | opaque int32 | flag int32 |
//	remark len int32 + bytes | ext len int32 + (key len int16 + key, value len int32 + value)*
func decodeBinaryHeader(b []byte, cmd *rawCmd) error {
	if len(b) < 17 {
		return errors.New("short binary header")
	}
	langs := []string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO"}
	cmd.Code = int(int16(binary.BigEndian.Uint16(b[0:])))
	if int(b[2]) < len(langs) {
		cmd.Language = langs[b[2]]
	}
	cmd.Version = int(int16(binary.BigEndian.Uint16(b[3:])))
	cmd.Opaque = int32(binary.BigEndian.Uint32(b[5:]))
	cmd.Flag = int(int32(binary.BigEndian.Uint32(b[9:])))
	p := 13
	rl := int(binary.BigEndian.Uint32(b[p:]))
	p += 4
	if rl < 0 || p+rl > len(b) {
		return errors.New("bad remark length")
	}
	if rl > 0 {
		s := string(b[p : p+rl])
		cmd.Remark = &s
	}
	p += rl
	if p+4 > len(b) {
		return errors.New("short ext length")
	}
	el := int(binary.BigEndian.Uint32(b[p:]))
	p += 4
	end := p + el
	if el < 0 || end > len(b) {
		return errors.New("bad ext length")
	}
	cmd.ExtFields = map[string]string{}
	for p < end {
		if p+2 > end {
			return errors.New("short ext key")
		}
		kl := int(binary.BigEndian.Uint16(b[p:]))
		p += 2
		if p+kl+4 > end {
			return errors.New("short ext key/value")
		}
		k := string(b[p : p+kl])
		p += kl
		vl := int(binary.BigEndian.Uint32(b[p:]))
		p += 4
		if vl < 0 || p+vl > end {
			return errors.New("short ext value")
		}
		cmd.ExtFields[k] = string(b[p : p+vl])
		p += vl
	}
	return nil
}

// encodeRequest builds a JSON-header frame the way the Go client writes it: every ext value a
// string, remark "" present.
func (c *rawConn) encodeRequest(code int, opaque int32, flag int, ext map[string]string, body []byte) []byte {
	if ext == nil {
		ext = map[string]string{}
	}
	remark := ""
	hdr, _ := json.Marshal(&rawCmd{Code: code, Language: c.lang, Version: c.ver, Opaque: opaque, Flag: flag,
		Remark: &remark, ExtFields: ext})
	frame := make([]byte, 8, 8+len(hdr)+len(body))
	binary.BigEndian.PutUint32(frame[0:], uint32(4+len(hdr)+len(body)))
	binary.BigEndian.PutUint32(frame[4:], uint32(len(hdr)))
	frame = append(frame, hdr...)
	return append(frame, body...)
}

func (c *rawConn) write(frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(3 * time.Second))
	_, err := c.conn.Write(frame)
	return err
}

// call sends a request and waits up to timeout for its response.
func (c *rawConn) call(code int, ext map[string]string, body []byte, timeout time.Duration) (*rawCmd, error) {
	return c.callFlag(code, 0, ext, body, timeout)
}

func (c *rawConn) callFlag(code, flag int, ext map[string]string, body []byte, timeout time.Duration) (*rawCmd, error) {
	op := c.opaque.Add(1)
	ch := make(chan *rawCmd, 1)
	c.pmu.Lock()
	c.wait[op] = ch
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		delete(c.wait, op)
		c.pmu.Unlock()
	}()
	if err := c.write(c.encodeRequest(code, op, flag, ext, body)); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Opaque != op {
			return r, fmt.Errorf("response opaque %d for request %d", r.Opaque, op)
		}
		return r, nil
	case <-c.closed:
		return nil, fmt.Errorf("connection closed: %v", c.err.Load())
	case <-time.After(timeout):
		return nil, fmt.Errorf("no response to code %d within %v", code, timeout)
	}
}

// mustCall is call with a 5 s timeout that fails the test on a transport error.
func (c *rawConn) mustCall(code int, ext map[string]string, body []byte) *rawCmd {
	c.t.Helper()
	r, err := c.call(code, ext, body, 5*time.Second)
	if err != nil {
		c.t.Fatalf("request code %d: %v", code, err)
	}
	return r
}

// oneway sends a request with the oneway bit set (as Java's invokeOneway does) and reports
// whether anything came back within wait.
func (c *rawConn) oneway(code int, ext map[string]string, body []byte, wait time.Duration) (*rawCmd, error) {
	return c.callFlag(code, 2, ext, body, wait)
}

// expectPushed waits for a server-initiated request with the given code.
func (c *rawConn) expectPushed(code int, timeout time.Duration) (*rawCmd, bool) {
	deadline := time.After(timeout)
	for {
		select {
		case r := <-c.pushed:
			if r.Code == code {
				return r, true
			}
		case <-deadline:
			return nil, false
		}
	}
}

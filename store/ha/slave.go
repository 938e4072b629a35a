package ha

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// Client is the slave side (Java's HAClient): it connects to the master's HA address, reports
// its max offset, appends every frame verbatim to the local commitlog and reports again. On
// any error it closes the connection and connects again after ReconnectInterval.
type Client struct {
	cfg    Config
	st     *store.Store
	master func() string // current HA address of the master ("" = unknown)
	log    *logrus.Entry

	mu   sync.Mutex
	nc   net.Conn // current connection, for Close
	stop chan struct{}
	wg   sync.WaitGroup

	connects  atomic.Int64 // successful connections, for tests and runtime info
	badFrames atomic.Int64 // connections dropped on a bad frame
}

// NewClient builds a slave; master is asked for the address before every connection attempt
// (a static haMasterAddress or the one the NameServer answered).
func NewClient(st *store.Store, cfg Config, master func() string) *Client {
	cfg.fill()
	return &Client{cfg: cfg, st: st, master: master, stop: make(chan struct{}),
		log: logrus.WithField("component", "ha-slave")}
}

// Start runs the connect / replicate loop in the background.
func (c *Client) Start() {
	c.wg.Add(1)
	go c.loop()
}

// Close stops replicating and waits for the loop to end.
func (c *Client) Close() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	c.mu.Lock()
	if c.nc != nil {
		c.nc.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Connects is how many times the client connected to a master.
func (c *Client) Connects() int64 { return c.connects.Load() }

// BadFrames is how many connections were dropped because of a bad frame.
func (c *Client) BadFrames() int64 { return c.badFrames.Load() }

func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.stop:
		return false
	case <-t.C:
		return true
	}
}

func (c *Client) loop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		addr := c.master()
		if len(addr) < 6 {
			// Unknown yet (the first registration answer is on its way): asking is local and
			// cheap, so look again soon rather than Java's 5 s.
			if !c.sleep(200 * time.Millisecond) {
				return
			}
			continue
		}
		nc, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			c.log.WithError(err).WithField("master", addr).Warn("ha: cannot connect to master")
			if !c.sleep(c.cfg.ReconnectInterval) {
				return
			}
			continue
		}
		c.mu.Lock()
		select {
		case <-c.stop:
			c.mu.Unlock()
			nc.Close()
			return
		default:
		}
		c.nc = nc
		c.mu.Unlock()
		c.connects.Add(1)
		err = c.session(nc)
		nc.Close()
		log := c.log.WithField("master", addr)
		select {
		case <-c.stop:
			return
		default:
		}
		var bf *badFrame
		if errors.As(err, &bf) {
			c.badFrames.Add(1)
			log.WithError(err).Error("ha: bad frame from master; connection closed, nothing written from it")
		} else {
			log.WithError(err).Warn("ha: connection to master lost")
		}
		if !c.sleep(c.cfg.ReconnectInterval) {
			return
		}
	}
}

// badFrame is a frame the slave refuses: the stream is corrupt or out of step.
type badFrame struct{ reason string }

func (e *badFrame) Error() string { return e.reason }

// session replicates over one connection until it fails. A writer goroutine reports the max
// offset every SendHeartbeatInterval and whenever a frame moved it; the caller's goroutine reads
// frames. A frame is applied only once its body is complete, so a truncated stream writes
// nothing from its last frame.
func (c *Client) session(nc net.Conn) error {
	reported := c.st.CommitLogMaxOffset()
	c.log.WithFields(logrus.Fields{"master": nc.RemoteAddr().String(), "offset": reported}).Info("ha: connected to master")
	kick := make(chan struct{}, 1)
	done := make(chan struct{})
	werr := make(chan error, 1)
	go func() {
		var b [8]byte
		t := time.NewTicker(c.cfg.SendHeartbeatInterval)
		defer t.Stop()
		for {
			binary.BigEndian.PutUint64(b[:], uint64(c.st.CommitLogMaxOffset()))
			nc.SetWriteDeadline(time.Now().Add(c.cfg.HousekeepingInterval))
			if _, err := nc.Write(b[:]); err != nil {
				werr <- err
				nc.Close()
				return
			}
			select {
			case <-done:
				return
			case <-kick:
			case <-t.C:
			}
		}
	}()
	defer close(done)
	var hdr [headerSize]byte
	buf := make([]byte, 0, 64*1024)
	for {
		nc.SetReadDeadline(time.Now().Add(c.cfg.HousekeepingInterval))
		if _, err := io.ReadFull(nc, hdr[:]); err != nil {
			return readErr(err, werr)
		}
		off := int64(binary.BigEndian.Uint64(hdr[:8]))
		n := int32(binary.BigEndian.Uint32(hdr[8:]))
		max := c.st.CommitLogMaxOffset()
		switch {
		case n < 0 || int(n) > c.cfg.MaxFrame || int64(n) > c.st.CommitLogFileSize():
			return &badFrame{fmt.Sprintf("frame size %d out of range", n)}
		case off < 0:
			return &badFrame{fmt.Sprintf("frame offset %d negative", off)}
		case max != 0 && off != max:
			return &badFrame{fmt.Sprintf("frame offset %d differs from the slave's max offset %d", off, max)}
		}
		if cap(buf) < int(n) {
			buf = make([]byte, 0, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(nc, buf); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return &badFrame{fmt.Sprintf("stream truncated inside a %d-byte frame at %d", n, off)}
			}
			return readErr(err, werr)
		}
		if n == 0 {
			continue // heartbeat
		}
		if err := c.st.AppendReplica(off, buf); err != nil {
			return &badFrame{err.Error()}
		}
		if c.st.CommitLogMaxOffset() != reported {
			reported = c.st.CommitLogMaxOffset()
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	}
}

func readErr(err error, werr chan error) error {
	select {
	case w := <-werr:
		return fmt.Errorf("report offset: %w", w)
	default:
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &badFrame{"stream truncated inside a frame header"}
	}
	return err
}

package ha

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// Service is the master side: it accepts slaves, pushes commitlog data to each, and tracks the
// highest offset any slave acknowledged (push2SlaveMaxOffset) for SYNC_MASTER puts. Install it
// on the store with Store.SetReplicator.
type Service struct {
	cfg Config
	st  *store.Store
	log *logrus.Entry
	ln  net.Listener

	mu    sync.RWMutex // every put reads conns; only connects and drops write
	conns map[*conn]struct{}

	pushed    atomic.Int64 // max ack over all slaves
	connCount atomic.Int32

	// SYNC_MASTER waiters sleep on ackCond; every ack broadcasts, and a 10 ms ticker runs while
	// anyone waits so a waiter notices its deadline without a timer of its own.
	ackMu   sync.Mutex
	ackCond *sync.Cond
	waiters atomic.Int32

	stop chan struct{}
	wg   sync.WaitGroup
}

// NewService listens on cfg.ListenAddr; Start accepts slaves.
func NewService(st *store.Store, cfg Config) (*Service, error) {
	cfg.fill()
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: st, ln: ln, conns: make(map[*conn]struct{}), stop: make(chan struct{}),
		log: logrus.WithField("component", "ha-master")}
	s.ackCond = sync.NewCond(&s.ackMu)
	return s, nil
}

// Addr is the bound HA address.
func (s *Service) Addr() net.Addr { return s.ln.Addr() }

// Start accepts slaves in the background.
func (s *Service) Start() {
	s.wg.Add(2)
	go s.acceptLoop()
	go s.tick()
}

// Close stops accepting, drops every slave and wakes every waiter.
func (s *Service) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	err := s.ln.Close()
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns { // close takes s.mu itself
		c.close()
	}
	s.ackCond.Broadcast()
	s.wg.Wait()
	return err
}

// ConnectionCount is the number of connected slaves.
func (s *Service) ConnectionCount() int { return int(s.connCount.Load()) }

// Push2SlaveMaxOffset is the highest offset any slave has acknowledged.
func (s *Service) Push2SlaveMaxOffset() int64 { return s.pushed.Load() }

// SlaveAckOffsets lists each connected slave's acknowledged offset by remote address.
func (s *Service) SlaveAckOffsets() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int64, len(s.conns))
	for c := range s.conns {
		m[c.remote] = c.ack.Load()
	}
	return m
}

// Replicate implements store.Replicator: it wakes every connection's sender and, with wait,
// blocks until a slave acknowledged end (Java's handleHA + GroupTransferService).
func (s *Service) Replicate(end int64, wait bool) store.PutStatus {
	s.mu.RLock()
	for c := range s.conns {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	s.mu.RUnlock()
	if !wait {
		return store.PutOK
	}
	if s.connCount.Load() == 0 || end-s.pushed.Load() >= s.cfg.SlaveFallbehindMax {
		return store.SlaveNotAvailable
	}
	if s.pushed.Load() >= end {
		return store.PutOK
	}
	deadline := time.Now().Add(s.cfg.SlaveTimeout)
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	s.waiters.Add(1)
	defer s.waiters.Add(-1)
	for s.pushed.Load() < end {
		select {
		case <-s.stop:
			return store.FlushSlaveTimeout
		default:
		}
		if !time.Now().Before(deadline) {
			s.log.WithFields(logrus.Fields{"offset": end, "acked": s.pushed.Load(), "timeoutMs": s.cfg.SlaveTimeout.Milliseconds()}).
				Warn("ha: no slave acknowledged in time")
			return store.FlushSlaveTimeout
		}
		s.ackCond.Wait()
	}
	return store.PutOK
}

func (s *Service) tick() {
	defer s.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.waiters.Load() > 0 {
				s.ackCond.Broadcast()
			}
		}
	}
}

// acked records a slave's ack and wakes SYNC_MASTER waiters.
func (s *Service) acked(off int64) {
	for {
		p := s.pushed.Load()
		if off <= p || s.pushed.CompareAndSwap(p, off) {
			break
		}
	}
	s.ackMu.Lock()
	s.ackCond.Broadcast()
	s.ackMu.Unlock()
}

func (s *Service) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.stop:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.WithError(err).Error("ha: accept failed")
			time.Sleep(100 * time.Millisecond)
			continue
		}
		c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String(), wake: make(chan struct{}, 1),
			started: make(chan struct{}), done: make(chan struct{})}
		c.ack.Store(-1)
		s.mu.Lock()
		select {
		case <-s.stop:
			s.mu.Unlock()
			nc.Close()
			return
		default:
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.connCount.Add(1)
		s.log.WithField("remote", c.remote).Info("ha: slave connected")
		s.wg.Add(2)
		go c.readLoop()
		go c.sendLoop()
	}
}

func (s *Service) remove(c *conn) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.connCount.Add(-1)
	}
	s.mu.Unlock()
}

// conn is one slave (Java's HAConnection with its read and write services).
type conn struct {
	s      *Service
	nc     net.Conn
	remote string
	ack    atomic.Int64 // slave's last reported max offset (-1 before the first)
	start  int64        // the first report: where the slave wants data from
	wake   chan struct{}

	started   chan struct{} // closed once start is known
	done      chan struct{}
	closeOnce sync.Once
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
		c.s.remove(c)
	})
}

// readLoop takes the slave's offset reports. The first is the request offset; each one is an
// ack. A report past the master's end means the slave holds data the master does not: the
// connection is dropped, as Java does.
func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer c.close()
	log := c.s.log.WithField("remote", c.remote)
	var b [8]byte
	first := true
	for {
		c.nc.SetReadDeadline(time.Now().Add(c.s.cfg.HousekeepingInterval))
		if _, err := io.ReadFull(c.nc, b[:]); err != nil {
			select {
			case <-c.done:
			default:
				log.WithError(err).Info("ha: slave connection closed")
			}
			return
		}
		off := int64(binary.BigEndian.Uint64(b[:]))
		if off < 0 || off > c.s.st.CommitLogMaxOffset() {
			log.WithFields(logrus.Fields{"slaveOffset": off, "masterMaxOffset": c.s.st.CommitLogMaxOffset()}).
				Error("ha: slave reports an offset this master does not have; closing")
			return
		}
		c.ack.Store(off)
		if first {
			first = false
			c.start = off
			if off == 0 {
				// A new slave starts at the master's last segment, not at the beginning of time.
				m := c.s.st.CommitLogMaxOffset()
				c.start = m - m%c.s.st.CommitLogFileSize()
			}
			close(c.started)
			log.WithField("slaveOffset", off).Info("ha: slave requests data")
		}
		c.s.acked(off)
	}
}

// sendLoop ships commitlog data from where the slave asked, in frames of at most
// TransferBatchSize bytes that never cross a segment; it sends a heartbeat frame when it has
// been quiet for SendHeartbeatInterval. Data goes out straight from the mapped file (writev of
// header and slice), no copy.
func (c *conn) sendLoop() {
	defer c.s.wg.Done()
	defer c.close()
	log := c.s.log.WithField("remote", c.remote)
	select {
	case <-c.started:
	case <-c.done:
		return
	}
	next := c.start
	log.WithField("offset", next).Info("ha: transfer starts")
	var hdr [headerSize]byte
	base := make(net.Buffers, 2)
	lastWrite := time.Now()
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	write := func(data []byte) bool {
		binary.BigEndian.PutUint64(hdr[:8], uint64(next))
		binary.BigEndian.PutUint32(hdr[8:], uint32(len(data)))
		base[0], base[1] = hdr[:], data
		bufs := base[:2] // WriteTo consumes its slice header, not base
		c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.HousekeepingInterval))
		if _, err := bufs.WriteTo(c.nc); err != nil {
			select {
			case <-c.done:
			default:
				log.WithError(err).Warn("ha: write to slave failed")
			}
			return false
		}
		lastWrite = time.Now()
		return true
	}
	for {
		data, mf := c.s.st.ReadCommitLog(next, c.s.cfg.TransferBatchSize)
		if data != nil {
			ok := write(data)
			mf.Release()
			if !ok {
				return
			}
			next += int64(len(data))
			continue
		}
		if time.Since(lastWrite) >= c.s.cfg.SendHeartbeatInterval && !write(nil) {
			return
		}
		// Java waits up to 100 ms between polls; a put wakes us sooner.
		idle.Reset(100 * time.Millisecond)
		select {
		case <-c.wake:
		case <-idle.C:
		case <-c.done:
			return
		}
		if !idle.Stop() {
			select {
			case <-idle.C:
			default:
			}
		}
	}
}

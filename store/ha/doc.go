// Package ha replicates a master broker's commitlog to its slaves with the classic HA
// protocol of Java RocketMQ 4.9.8 (HAService / HAConnection / HAClient), byte for byte, so a
// Java slave can follow a rocketgo master and the other way round.
//
// Where it sits in the flow:
//
//	master: store put ─▶ Store.Replicate hook ─▶ Service (wakes every connection; SYNC_MASTER
//	        waits for an ack) ─▶ conn.sendLoop ─frames─▶ slave
//	slave:  Client ─reads frames─▶ Store.AppendReplica (verbatim bytes, then dispatch to the
//	        consume queues and index) ─▶ reports its max offset ─▶ master conn.readLoop (acks)
//
// The wire is plain TCP on haListenPort (listenPort+1), no RemotingCommand framing, all
// integers big-endian:
//
//	slave → master, repeated:  ┌──────────────────────────┐
//	                           │ int64 slave max offset   │  (the first one is where to start)
//	                           └──────────────────────────┘
//	master → slave, repeated:  ┌──────────────┬──────────────┬───────────────────────┐
//	                           │ int64 offset │ int32 size N │ N raw commitlog bytes │
//	                           └──────────────┴──────────────┴───────────────────────┘
//	                           N = 0 is a heartbeat; a frame never crosses a commitlog segment.
package ha

import "time"

// Config holds the MessageStoreConfig keys that drive replication (4.9.8 defaults in
// DefaultConfig).
type Config struct {
	// ListenAddr is where the master accepts slaves (host:haListenPort).
	ListenAddr string
	// SendHeartbeatInterval is haSendHeartbeatInterval: an idle side writes at least this
	// often (a heartbeat frame from the master, an offset report from the slave).
	SendHeartbeatInterval time.Duration
	// HousekeepingInterval is haHousekeepingInterval: a connection that has been silent for
	// longer is closed.
	HousekeepingInterval time.Duration
	// TransferBatchSize is haTransferBatchSize, the most commitlog bytes in one frame.
	TransferBatchSize int
	// SlaveFallbehindMax is haSlaveFallbehindMax: a SYNC_MASTER put whose end is further than
	// this ahead of the best slave gets SLAVE_NOT_AVAILABLE at once instead of waiting.
	SlaveFallbehindMax int64
	// SlaveTimeout is slaveTimeout, how long a SYNC_MASTER put waits for a slave.
	SlaveTimeout time.Duration
	// ReconnectInterval is how long a slave waits before connecting again (Java: 5 s).
	ReconnectInterval time.Duration
	// MaxFrame bounds the data size a slave accepts in one frame (Java's 4 MiB read buffer);
	// a larger size is a corrupted stream.
	MaxFrame int
}

// DefaultConfig is Java 4.9.8's.
func DefaultConfig() Config {
	return Config{
		SendHeartbeatInterval: 5 * time.Second,
		HousekeepingInterval:  20 * time.Second,
		TransferBatchSize:     32 * 1024,
		SlaveFallbehindMax:    256 << 20,
		SlaveTimeout:          3 * time.Second,
		ReconnectInterval:     5 * time.Second,
		MaxFrame:              4 << 20,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if c.SendHeartbeatInterval <= 0 {
		c.SendHeartbeatInterval = d.SendHeartbeatInterval
	}
	if c.HousekeepingInterval <= 0 {
		c.HousekeepingInterval = d.HousekeepingInterval
	}
	if c.TransferBatchSize <= 0 {
		c.TransferBatchSize = d.TransferBatchSize
	}
	if c.SlaveFallbehindMax <= 0 {
		c.SlaveFallbehindMax = d.SlaveFallbehindMax
	}
	if c.SlaveTimeout <= 0 {
		c.SlaveTimeout = d.SlaveTimeout
	}
	if c.ReconnectInterval <= 0 {
		c.ReconnectInterval = d.ReconnectInterval
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = d.MaxFrame
	}
}

const headerSize = 12 // int64 offset + int32 size

package store

import (
	"os"
	"path/filepath"
)

// FlushDiskType selects when an append is acknowledged (Java FlushDiskType).
type FlushDiskType string

const (
	AsyncFlush FlushDiskType = "ASYNC_FLUSH"
	SyncFlush  FlushDiskType = "SYNC_FLUSH"
)

// BrokerRole is Java's BrokerRole; a SLAVE store refuses puts.
type BrokerRole string

const (
	AsyncMaster BrokerRole = "ASYNC_MASTER"
	SyncMaster  BrokerRole = "SYNC_MASTER"
	Slave       BrokerRole = "SLAVE"
)

// Config holds Java's MessageStoreConfig keys (4.9.8 names and defaults). The broker embeds it
// in its own config so one properties file fills both.
type Config struct {
	StorePathRootDir                  string        `prop:"storePathRootDir"`
	StorePathCommitLog                string        `prop:"storePathCommitLog"` // default <root>/commitlog
	MappedFileSizeCommitLog           int           `prop:"mappedFileSizeCommitLog"`
	MappedFileSizeConsumeQueue        int           `prop:"mappedFileSizeConsumeQueue"`
	EnableConsumeQueueExt             bool          `prop:"enableConsumeQueueExt"` // not supported; must stay false
	FlushIntervalCommitLog            int           `prop:"flushIntervalCommitLog"`
	FlushCommitLogTimed               bool          `prop:"flushCommitLogTimed"`
	FlushIntervalConsumeQueue         int           `prop:"flushIntervalConsumeQueue"`
	CleanResourceInterval             int           `prop:"cleanResourceInterval"`
	DeleteCommitLogFilesInterval      int           `prop:"deleteCommitLogFilesInterval"`
	DeleteConsumeQueueFilesInterval   int           `prop:"deleteConsumeQueueFilesInterval"`
	DestroyMapedFileIntervalForcibly  int           `prop:"destroyMapedFileIntervalForcibly"`
	RedeleteHangedFileInterval        int           `prop:"redeleteHangedFileInterval"`
	DeleteWhen                        string        `prop:"deleteWhen"`
	DiskMaxUsedSpaceRatio             int           `prop:"diskMaxUsedSpaceRatio"`
	FileReservedTime                  int           `prop:"fileReservedTime"` // hours
	MaxMessageSize                    int           `prop:"maxMessageSize"`
	CheckCRCOnRecover                 bool          `prop:"checkCRCOnRecover"`
	FlushCommitLogLeastPages          int           `prop:"flushCommitLogLeastPages"`
	FlushConsumeQueueLeastPages       int           `prop:"flushConsumeQueueLeastPages"`
	FlushCommitLogThoroughInterval    int           `prop:"flushCommitLogThoroughInterval"`
	FlushConsumeQueueThoroughInterval int           `prop:"flushConsumeQueueThoroughInterval"`
	MaxTransferBytesOnMessageInMemory int           `prop:"maxTransferBytesOnMessageInMemory"`
	MaxTransferCountOnMessageInMemory int           `prop:"maxTransferCountOnMessageInMemory"`
	MaxTransferBytesOnMessageInDisk   int           `prop:"maxTransferBytesOnMessageInDisk"`
	MaxTransferCountOnMessageInDisk   int           `prop:"maxTransferCountOnMessageInDisk"`
	AccessMessageInMemoryMaxRatio     int           `prop:"accessMessageInMemoryMaxRatio"`
	MessageIndexEnable                bool          `prop:"messageIndexEnable"`
	MaxHashSlotNum                    int           `prop:"maxHashSlotNum"`
	MaxIndexNum                       int           `prop:"maxIndexNum"`
	MaxMsgsNumBatch                   int           `prop:"maxMsgsNumBatch"`
	MessageIndexSafe                  bool          `prop:"messageIndexSafe"`
	BrokerRole                        BrokerRole    `prop:"brokerRole"`
	FlushDiskType                     FlushDiskType `prop:"flushDiskType"`
	SyncFlushTimeout                  int           `prop:"syncFlushTimeout"` // ms
	MessageDelayLevel                 string        `prop:"messageDelayLevel"`
	CleanFileForciblyEnable           bool          `prop:"cleanFileForciblyEnable"`
	OffsetCheckInSlave                bool          `prop:"offsetCheckInSlave"`
	OSPageCacheBusyTimeOutMills       int           `prop:"osPageCacheBusyTimeOutMills"`
	DefaultQueryMaxNum                int           `prop:"defaultQueryMaxNum"`
	TransientStorePoolEnable          bool          `prop:"transientStorePoolEnable"` // accepted, ignored
	WarmMapedFileEnable               bool          `prop:"warmMapedFileEnable"`      // accepted, ignored
	DiskFallRecorded                  bool          `prop:"diskFallRecorded"`

	// DiskSpaceWarningLevelRatio and DiskSpaceCleanForciblyRatio are Java system properties
	// (rocketmq.broker.diskSpaceWarningLevelRatio / ...CleanForciblyRatio) in 4.9.8 and config
	// keys in 5.x; percent.
	DiskSpaceWarningLevelRatio  int `prop:"diskSpaceWarningLevelRatio"`
	DiskSpaceCleanForciblyRatio int `prop:"diskSpaceCleanForciblyRatio"`
}

// DefaultConfig returns Java 4.9.8's defaults.
func DefaultConfig() Config {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return Config{
		StorePathRootDir:                  filepath.Join(home, "store"),
		MappedFileSizeCommitLog:           1 << 30,
		MappedFileSizeConsumeQueue:        300000 * cqUnitSize,
		FlushIntervalCommitLog:            500,
		FlushCommitLogTimed:               true,
		FlushIntervalConsumeQueue:         1000,
		CleanResourceInterval:             10000,
		DeleteCommitLogFilesInterval:      100,
		DeleteConsumeQueueFilesInterval:   100,
		DestroyMapedFileIntervalForcibly:  120000,
		RedeleteHangedFileInterval:        120000,
		DeleteWhen:                        "04",
		DiskMaxUsedSpaceRatio:             75,
		FileReservedTime:                  72,
		MaxMessageSize:                    4 << 20,
		CheckCRCOnRecover:                 true,
		FlushCommitLogLeastPages:          4,
		FlushConsumeQueueLeastPages:       2,
		FlushCommitLogThoroughInterval:    10000,
		FlushConsumeQueueThoroughInterval: 60000,
		MaxTransferBytesOnMessageInMemory: 262144,
		MaxTransferCountOnMessageInMemory: 32,
		MaxTransferBytesOnMessageInDisk:   65536,
		MaxTransferCountOnMessageInDisk:   8,
		AccessMessageInMemoryMaxRatio:     40,
		MessageIndexEnable:                true,
		MaxHashSlotNum:                    5000000,
		MaxIndexNum:                       5000000 * 4,
		MaxMsgsNumBatch:                   64,
		BrokerRole:                        AsyncMaster,
		FlushDiskType:                     AsyncFlush,
		SyncFlushTimeout:                  5000,
		MessageDelayLevel:                 "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
		CleanFileForciblyEnable:           true,
		OSPageCacheBusyTimeOutMills:       1000,
		DefaultQueryMaxNum:                32,
		DiskFallRecorded:                  true,
		DiskSpaceWarningLevelRatio:        90,
		DiskSpaceCleanForciblyRatio:       85,
	}
}

// CommitLogDir is storePathCommitLog or <root>/commitlog.
func (c Config) CommitLogDir() string {
	if c.StorePathCommitLog != "" {
		return c.StorePathCommitLog
	}
	return filepath.Join(c.StorePathRootDir, "commitlog")
}

// ConsumeQueueDir is <root>/consumequeue.
func (c Config) ConsumeQueueDir() string { return filepath.Join(c.StorePathRootDir, "consumequeue") }

// IndexDir is <root>/index.
func (c Config) IndexDir() string { return filepath.Join(c.StorePathRootDir, "index") }

// ConfigDir is <root>/config, where the broker keeps its JSON files.
func (c Config) ConfigDir() string { return filepath.Join(c.StorePathRootDir, "config") }

// CheckpointPath is <root>/checkpoint.
func (c Config) CheckpointPath() string { return filepath.Join(c.StorePathRootDir, "checkpoint") }

// AbortPath is <root>/abort.
func (c Config) AbortPath() string { return filepath.Join(c.StorePathRootDir, "abort") }

// LockPath is <root>/lock.
func (c Config) LockPath() string { return filepath.Join(c.StorePathRootDir, "lock") }

// cqFileSize rounds mappedFileSizeConsumeQueue up to whole units, as Java does.
func (c Config) cqFileSize() int {
	n := c.MappedFileSizeConsumeQueue
	if n <= 0 {
		n = 300000 * cqUnitSize
	}
	return (n + cqUnitSize - 1) / cqUnitSize * cqUnitSize
}

package broker

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/ha"
)

// Config is the broker's configuration: Java's BrokerConfig, NettyServerConfig and
// NettyClientConfig keys (names and defaults of 4.9.8) as `prop` tags, so one broker.conf
// written for the Java broker works unchanged. The store's keys (MessageStoreConfig) come from
// the embedded store.Config.
type Config struct {
	// MessageStoreConfig: storePathRootDir, brokerRole, flushDiskType, maxMessageSize, ...
	store.Config

	// BrokerConfig
	RocketmqHome                    string `prop:"rocketmqHome"`
	NamesrvAddr                     string `prop:"namesrvAddr,important"`
	BrokerIP1                       string `prop:"brokerIP1,important"`
	BrokerIP2                       string `prop:"brokerIP2"`
	BrokerName                      string `prop:"brokerName,important"`
	BrokerClusterName               string `prop:"brokerClusterName,important"`
	BrokerID                        int64  `prop:"brokerId,important"`
	BrokerPermission                int    `prop:"brokerPermission"`
	DefaultTopicQueueNums           int    `prop:"defaultTopicQueueNums"`
	AutoCreateTopicEnable           bool   `prop:"autoCreateTopicEnable,important"`
	ClusterTopicEnable              bool   `prop:"clusterTopicEnable"`
	BrokerTopicEnable               bool   `prop:"brokerTopicEnable"`
	AutoCreateSubscriptionGroup     bool   `prop:"autoCreateSubscriptionGroup,important"`
	MessageStorePlugIn              string `prop:"messageStorePlugIn"`
	MsgTraceTopicName               string `prop:"msgTraceTopicName"`
	TraceTopicEnable                bool   `prop:"traceTopicEnable"`
	SendMessageThreadPoolNums       int    `prop:"sendMessageThreadPoolNums"`
	PutMessageFutureThreadPoolNums  int    `prop:"putMessageFutureThreadPoolNums"`
	PullMessageThreadPoolNums       int    `prop:"pullMessageThreadPoolNums"`
	ProcessReplyMessageThreadPool   int    `prop:"processReplyMessageThreadPoolNums"`
	QueryMessageThreadPoolNums      int    `prop:"queryMessageThreadPoolNums"`
	AdminBrokerThreadPoolNums       int    `prop:"adminBrokerThreadPoolNums"`
	ClientManageThreadPoolNums      int    `prop:"clientManageThreadPoolNums"`
	ConsumerManageThreadPoolNums    int    `prop:"consumerManageThreadPoolNums"`
	HeartbeatThreadPoolNums         int    `prop:"heartbeatThreadPoolNums"`
	EndTransactionThreadPoolNums    int    `prop:"endTransactionThreadPoolNums"`
	FlushConsumerOffsetInterval     int    `prop:"flushConsumerOffsetInterval"`
	FlushConsumerOffsetHistoryIntvl int    `prop:"flushConsumerOffsetHistoryInterval"`
	RejectTransactionMessage        bool   `prop:"rejectTransactionMessage,important"`
	FetchNamesrvAddrByAddressServer bool   `prop:"fetchNamesrvAddrByAddressServer,important"`
	SendThreadPoolQueueCapacity     int    `prop:"sendThreadPoolQueueCapacity"`
	PutThreadPoolQueueCapacity      int    `prop:"putThreadPoolQueueCapacity"`
	PullThreadPoolQueueCapacity     int    `prop:"pullThreadPoolQueueCapacity"`
	ReplyThreadPoolQueueCapacity    int    `prop:"replyThreadPoolQueueCapacity"`
	QueryThreadPoolQueueCapacity    int    `prop:"queryThreadPoolQueueCapacity"`
	ClientManagerThreadPoolQueueCap int    `prop:"clientManagerThreadPoolQueueCapacity"`
	ConsumerManagerThreadPoolQueCap int    `prop:"consumerManagerThreadPoolQueueCapacity"`
	HeartbeatThreadPoolQueueCap     int    `prop:"heartbeatThreadPoolQueueCapacity"`
	EndTransactionPoolQueueCapacity int    `prop:"endTransactionPoolQueueCapacity"`
	FilterServerNums                int    `prop:"filterServerNums"`
	LongPollingEnable               bool   `prop:"longPollingEnable"`
	ShortPollingTimeMills           int64  `prop:"shortPollingTimeMills"`
	NotifyConsumerIdsChangedEnable  bool   `prop:"notifyConsumerIdsChangedEnable"`
	HighSpeedMode                   bool   `prop:"highSpeedMode,important"`
	CommercialEnable                bool   `prop:"commercialEnable"`
	CommercialTimerCount            int    `prop:"commercialTimerCount"`
	CommercialTransCount            int    `prop:"commercialTransCount"`
	CommercialBigCount              int    `prop:"commercialBigCount"`
	CommercialBaseCount             int    `prop:"commercialBaseCount"`
	TransferMsgByHeap               bool   `prop:"transferMsgByHeap"`
	MaxDelayTime                    int    `prop:"maxDelayTime"`
	RegionID                        string `prop:"regionId"`
	RegisterBrokerTimeoutMills      int    `prop:"registerBrokerTimeoutMills"`
	SlaveReadEnable                 bool   `prop:"slaveReadEnable"`
	DisableConsumeIfConsumerSlow    bool   `prop:"disableConsumeIfConsumerReadSlowly"`
	ConsumerFallbehindThreshold     int64  `prop:"consumerFallbehindThreshold"`
	BrokerFastFailureEnable         bool   `prop:"brokerFastFailureEnable"`
	WaitTimeMillsInSendQueue        int64  `prop:"waitTimeMillsInSendQueue"`
	WaitTimeMillsInPullQueue        int64  `prop:"waitTimeMillsInPullQueue"`
	WaitTimeMillsInHeartbeatQueue   int64  `prop:"waitTimeMillsInHeartbeatQueue"`
	WaitTimeMillsInTransactionQueue int64  `prop:"waitTimeMillsInTransactionQueue"`
	StartAcceptSendRequestTimeStamp int64  `prop:"startAcceptSendRequestTimeStamp"`
	TraceOn                         bool   `prop:"traceOn,important"`
	EnableCalcFilterBitMap          bool   `prop:"enableCalcFilterBitMap"`
	ExpectConsumerNumUseFilter      int    `prop:"expectConsumerNumUseFilter"`
	MaxErrorRateOfBloomFilter       int    `prop:"maxErrorRateOfBloomFilter"`
	FilterDataCleanTimeSpan         int64  `prop:"filterDataCleanTimeSpan"`
	FilterSupportRetry              bool   `prop:"filterSupportRetry"`
	EnablePropertyFilter            bool   `prop:"enablePropertyFilter"`
	CompressedRegister              bool   `prop:"compressedRegister"`
	ForceRegister                   bool   `prop:"forceRegister"`
	RegisterNameServerPeriod        int    `prop:"registerNameServerPeriod"`
	TransactionTimeOut              int64  `prop:"transactionTimeOut"`
	TransactionCheckMax             int    `prop:"transactionCheckMax"`
	TransactionCheckInterval        int64  `prop:"transactionCheckInterval"`
	AclEnable                       bool   `prop:"aclEnable"`
	StoreReplyMessageEnable         bool   `prop:"storeReplyMessageEnable"`
	AutoDeleteUnusedStats           bool   `prop:"autoDeleteUnusedStats"`
	EnableDetailStat                bool   `prop:"enableDetailStat"`
	RmqAddressServerDomain          string `prop:"rmqAddressServerDomain"`
	RmqAddressServerSubGroup        string `prop:"rmqAddressServerSubGroup"`

	// NettyServerConfig (the broker's listening side). bindAddress is the 5.x key; 4.9.8
	// always binds every interface.
	ListenPort  int    `prop:"listenPort,important"`
	BindAddress string `prop:"bindAddress"`
	// HaListenPort is MessageStoreConfig's key; Java derives it from listenPort (+1).
	HaListenPort int `prop:"haListenPort"`
	// The other MessageStoreConfig HA keys (store/ha, broker/slave.go); times in ms.
	HaMasterAddress                    string `prop:"haMasterAddress"`
	HaSendHeartbeatInterval            int    `prop:"haSendHeartbeatInterval"`
	HaHousekeepingInterval             int    `prop:"haHousekeepingInterval"`
	HaTransferBatchSize                int    `prop:"haTransferBatchSize"`
	HaSlaveFallbehindMax               int64  `prop:"haSlaveFallbehindMax"`
	SlaveTimeout                       int    `prop:"slaveTimeout"`
	ServerWorkerThreads                int    `prop:"serverWorkerThreads"`
	ServerCallbackExecutorThreads      int    `prop:"serverCallbackExecutorThreads"`
	ServerSelectorThreads              int    `prop:"serverSelectorThreads"`
	ServerOnewaySemaphoreValue         int    `prop:"serverOnewaySemaphoreValue"`
	ServerAsyncSemaphoreValue          int    `prop:"serverAsyncSemaphoreValue"`
	ServerChannelMaxIdleTimeSeconds    int    `prop:"serverChannelMaxIdleTimeSeconds"`
	ServerSocketSndBufSize             int    `prop:"serverSocketSndBufSize"`
	ServerSocketRcvBufSize             int    `prop:"serverSocketRcvBufSize"`
	ServerPooledByteBufAllocatorEnable bool   `prop:"serverPooledByteBufAllocatorEnable"`
	UseEpollNativeSelector             bool   `prop:"useEpollNativeSelector"`

	// NettyClientConfig (the broker's calls to NameServers)
	ClientWorkerThreads                int  `prop:"clientWorkerThreads"`
	ClientCallbackExecutorThreads      int  `prop:"clientCallbackExecutorThreads"`
	ClientOnewaySemaphoreValue         int  `prop:"clientOnewaySemaphoreValue"`
	ClientAsyncSemaphoreValue          int  `prop:"clientAsyncSemaphoreValue"`
	ConnectTimeoutMillis               int  `prop:"connectTimeoutMillis"`
	ChannelNotActiveInterval           int  `prop:"channelNotActiveInterval"`
	ClientChannelMaxIdleTimeSeconds    int  `prop:"clientChannelMaxIdleTimeSeconds"`
	ClientSocketSndBufSize             int  `prop:"clientSocketSndBufSize"`
	ClientSocketRcvBufSize             int  `prop:"clientSocketRcvBufSize"`
	ClientPooledByteBufAllocatorEnable bool `prop:"clientPooledByteBufAllocatorEnable"`
	ClientCloseSocketIfTimeout         bool `prop:"clientCloseSocketIfTimeout"`
	UseTLS                             bool `prop:"useTLS"`

	// ConfigBlackList lists, ';'-separated, keys UPDATE_BROKER_CONFIG refuses to change, besides
	// brokerConfigPath, rocketmqHome and configBlackList itself.
	ConfigBlackList string `prop:"configBlackList"`

	// The rest of 4.9.8's keys, so that a broker.conf dumped from a Java broker (mqbroker -p)
	// loads without a warning per key. They tune machinery this broker does not have (Netty's
	// buffers and backlog, the transient store pool, the consume-queue extension, batch push,
	// isolated logs, the asynchronous schedule delivery, the lock kind of the put) and are
	// accepted and reported, with no effect. The three that would change what is stored or
	// where (enableDLegerCommitLog, enableLmq, enableMultiDispatch) must stay false: Validate
	// refuses to start with any of them on.
	ServerSocketBacklog                      int    `prop:"serverSocketBacklog"`
	WriteBufferHighWaterMark                 int    `prop:"writeBufferHighWaterMark"`
	WriteBufferLowWaterMark                  int    `prop:"writeBufferLowWaterMark"`
	IsEnableBatchPush                        bool   `prop:"isEnableBatchPush"`
	IsolateLogEnable                         bool   `prop:"isolateLogEnable"`
	CommitIntervalCommitLog                  int    `prop:"commitIntervalCommitLog"`
	CommitCommitLogLeastPages                int    `prop:"commitCommitLogLeastPages"`
	CommitCommitLogThoroughInterval          int    `prop:"commitCommitLogThoroughInterval"`
	TransientStorePoolSize                   int    `prop:"transientStorePoolSize"`
	FastFailIfNoBufferInStorePool            bool   `prop:"fastFailIfNoBufferInStorePool"`
	FlushLeastPagesWhenWarmMapedFile         int    `prop:"flushLeastPagesWhenWarmMapedFile"`
	MappedFileSizeConsumeQueueExt            int    `prop:"mappedFileSizeConsumeQueueExt"`
	BitMapLengthConsumeQueueExt              int    `prop:"bitMapLengthConsumeQueueExt"`
	FlushDelayOffsetInterval                 int    `prop:"flushDelayOffsetInterval"`
	UseReentrantLockWhenPutMessage           bool   `prop:"useReentrantLockWhenPutMessage"`
	PutMsgIndexHightWater                    int    `prop:"putMsgIndexHightWater"`
	DebugLockEnable                          bool   `prop:"debugLockEnable"`
	DuplicationEnable                        bool   `prop:"duplicationEnable"`
	ReadOnlyCommitLogStorePaths              string `prop:"readOnlyCommitLogStorePaths"`
	EnableScheduleMessageStats               bool   `prop:"enableScheduleMessageStats"`
	EnableScheduleAsyncDeliver               bool   `prop:"enableScheduleAsyncDeliver"`
	ScheduleAsyncDeliverMaxPendingLimit      int    `prop:"scheduleAsyncDeliverMaxPendingLimit"`
	ScheduleAsyncDeliverMaxResendNum2Blocked int    `prop:"scheduleAsyncDeliverMaxResendNum2Blocked"`
	EnableDLegerCommitLog                    bool   `prop:"enableDLegerCommitLog"`
	DLegerGroup                              string `prop:"dLegerGroup"`
	DLegerPeers                              string `prop:"dLegerPeers"`
	DLegerSelfID                             string `prop:"dLegerSelfId"`
	PreferredLeaderID                        string `prop:"preferredLeaderId"`
	StorePathDLedgerCommitLog                string `prop:"storePathDLedgerCommitLog"`
	EnableLmq                                bool   `prop:"enableLmq"`
	EnableMultiDispatch                      bool   `prop:"enableMultiDispatch"`
	MaxLmqConsumeQueueNum                    int    `prop:"maxLmqConsumeQueueNum"`
}

// conf is the configuration in force. UPDATE_BROKER_CONFIG never writes a published Config:
// it applies the change to a copy and swaps the pointer, so a reader gets a consistent
// snapshot for one atomic load and no lock (send and pull take it once per request), and an
// update applies all its keys at once or none.
//
// Where Java reads a BrokerConfig/MessageStoreConfig field at each use, we read conf there and
// an update is live: brokerPermission, autoCreateTopicEnable, autoCreateSubscriptionGroup,
// regionId, traceOn, rejectTransactionMessage, startAcceptSendRequestTimeStamp,
// longPollingEnable, shortPollingTimeMills, slaveReadEnable, enablePropertyFilter,
// filterSupportRetry, filterDataCleanTimeSpan, notifyConsumerIdsChangedEnable,
// autoDeleteUnusedStats, defaultQueryMaxNum, transactionTimeOut/CheckMax/CheckInterval,
// forceRegister, compressedRegister, registerBrokerTimeoutMills, brokerFastFailureEnable and
// waitTimeMillsInSendQueue (the send limiter's wait), the identity the next
// registration announces (brokerName, brokerClusterName, brokerId, brokerIP1, brokerIP2) and
// the figures GET_BROKER_RUNTIME_INFO reports. What Java captures at start-up is read from
// b.cfg and takes effect on the next start, from the properties file the update rewrote:
// ports, the store host stamped into message ids, namesrvAddr, thread pools and queue sizes,
// brokerRole, the HA keys, scheduling periods, the Bloom filter shape, and every
// MessageStoreConfig key the store fixes at Open (paths, file sizes, role, flush type). The
// store keys Java reads at each use reach the store through store.ApplyConfig.
func (b *Broker) conf() *Config { return b.live.Load() }

// DefaultConfig returns Java 4.9.8's defaults. brokerName defaults to the host name and
// brokerIP1/brokerIP2 to the auto-detected address, as BrokerConfig's field initialisers do;
// namesrvAddr comes from NAMESRV_ADDR.
func DefaultConfig() *Config {
	cores := runtime.NumCPU()
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "DEFAULT_BROKER"
	}
	ip := LocalAddress()
	hd := ha.DefaultConfig() // the HA keys' defaults are the replication package's
	return &Config{
		RocketmqHome:                    os.Getenv("ROCKETMQ_HOME"),
		NamesrvAddr:                     os.Getenv("NAMESRV_ADDR"),
		BrokerIP1:                       ip,
		BrokerIP2:                       ip,
		BrokerName:                      host,
		BrokerClusterName:               "DefaultCluster",
		BrokerID:                        0,
		BrokerPermission:                PermRead | PermWrite,
		DefaultTopicQueueNums:           8,
		AutoCreateTopicEnable:           true,
		ClusterTopicEnable:              true,
		BrokerTopicEnable:               true,
		AutoCreateSubscriptionGroup:     true,
		MsgTraceTopicName:               "RMQ_SYS_TRACE_TOPIC",
		SendMessageThreadPoolNums:       min(cores, 4),
		PutMessageFutureThreadPoolNums:  min(cores, 4),
		PullMessageThreadPoolNums:       16 + cores*2,
		ProcessReplyMessageThreadPool:   16 + cores*2,
		QueryMessageThreadPoolNums:      8 + cores,
		AdminBrokerThreadPoolNums:       16,
		ClientManageThreadPoolNums:      32,
		ConsumerManageThreadPoolNums:    32,
		HeartbeatThreadPoolNums:         min(32, cores),
		EndTransactionThreadPoolNums:    8 + cores*2,
		FlushConsumerOffsetInterval:     5000,
		FlushConsumerOffsetHistoryIntvl: 60000,
		SendThreadPoolQueueCapacity:     10000,
		PutThreadPoolQueueCapacity:      10000,
		PullThreadPoolQueueCapacity:     100000,
		ReplyThreadPoolQueueCapacity:    10000,
		QueryThreadPoolQueueCapacity:    20000,
		ClientManagerThreadPoolQueueCap: 1000000,
		ConsumerManagerThreadPoolQueCap: 1000000,
		HeartbeatThreadPoolQueueCap:     50000,
		EndTransactionPoolQueueCapacity: 100000,
		LongPollingEnable:               true,
		ShortPollingTimeMills:           1000,
		NotifyConsumerIdsChangedEnable:  true,
		CommercialEnable:                true,
		CommercialTimerCount:            1,
		CommercialTransCount:            1,
		CommercialBigCount:              1,
		CommercialBaseCount:             1,
		TransferMsgByHeap:               true,
		MaxDelayTime:                    40,
		RegionID:                        "DefaultRegion",
		RegisterBrokerTimeoutMills:      6000,
		ConsumerFallbehindThreshold:     16 << 30,
		BrokerFastFailureEnable:         true,
		WaitTimeMillsInSendQueue:        200,
		WaitTimeMillsInPullQueue:        5000,
		WaitTimeMillsInHeartbeatQueue:   31000,
		WaitTimeMillsInTransactionQueue: 3000,
		TraceOn:                         true,
		ExpectConsumerNumUseFilter:      32,
		MaxErrorRateOfBloomFilter:       20,
		FilterDataCleanTimeSpan:         24 * 3600 * 1000,
		ForceRegister:                   true,
		RegisterNameServerPeriod:        30000,
		TransactionTimeOut:              6000,
		TransactionCheckMax:             15,
		TransactionCheckInterval:        60000,
		StoreReplyMessageEnable:         true,
		EnableDetailStat:                true,
		RmqAddressServerDomain:          "jmenv.tbsite.net",
		RmqAddressServerSubGroup:        "nsaddr",

		Config:                             store.DefaultConfig(),
		ListenPort:                         10911,
		BindAddress:                        "0.0.0.0",
		HaListenPort:                       10912,
		HaSendHeartbeatInterval:            int(hd.SendHeartbeatInterval.Milliseconds()),
		HaHousekeepingInterval:             int(hd.HousekeepingInterval.Milliseconds()),
		HaTransferBatchSize:                hd.TransferBatchSize,
		HaSlaveFallbehindMax:               hd.SlaveFallbehindMax,
		SlaveTimeout:                       int(hd.SlaveTimeout.Milliseconds()),
		ServerWorkerThreads:                8,
		ServerSelectorThreads:              3,
		ServerOnewaySemaphoreValue:         256,
		ServerAsyncSemaphoreValue:          64,
		ServerChannelMaxIdleTimeSeconds:    120,
		ServerPooledByteBufAllocatorEnable: true,

		ClientWorkerThreads:             4,
		ClientCallbackExecutorThreads:   cores,
		ClientOnewaySemaphoreValue:      65535,
		ClientAsyncSemaphoreValue:       65535,
		ConnectTimeoutMillis:            3000,
		ChannelNotActiveInterval:        60000,
		ClientChannelMaxIdleTimeSeconds: 120,
		ClientCloseSocketIfTimeout:      true, // NettySystemConfig: com.rocketmq.remoting.client.closeSocketIfTimeout

		ConfigBlackList:                          "configBlackList;brokerConfigPath",
		ServerSocketBacklog:                      1024,
		CommitIntervalCommitLog:                  200,
		CommitCommitLogLeastPages:                4,
		CommitCommitLogThoroughInterval:          200,
		TransientStorePoolSize:                   5,
		FlushLeastPagesWhenWarmMapedFile:         4096,
		MappedFileSizeConsumeQueueExt:            48 << 20,
		BitMapLengthConsumeQueueExt:              64,
		FlushDelayOffsetInterval:                 10000,
		UseReentrantLockWhenPutMessage:           true,
		PutMsgIndexHightWater:                    600000,
		EnableScheduleMessageStats:               true,
		ScheduleAsyncDeliverMaxPendingLimit:      2000,
		ScheduleAsyncDeliverMaxResendNum2Blocked: 3,
		MaxLmqConsumeQueueNum:                    20000,
	}
}

// Validate applies Java BrokerStartup's checks and role rules. It fixes brokerId for masters
// (Java forces 0) and rejects what Java refuses to start with.
func (c *Config) Validate() error {
	if c.NamesrvAddr != "" {
		for _, a := range splitNamesrvAddr(c.NamesrvAddr) {
			if _, _, err := splitHostPort(a); err != nil {
				return fmt.Errorf("namesrvAddr %q: %v; the format is host:port;host:port", c.NamesrvAddr, err)
			}
		}
	}
	switch c.BrokerRole {
	case store.AsyncMaster, store.SyncMaster:
		c.BrokerID = 0 // Java: MixAll.MASTER_ID whatever the file says
	case store.Slave:
		if c.BrokerID <= 0 {
			return fmt.Errorf("brokerRole SLAVE requires brokerId > 0 (got %d): 0 is the master's id", c.BrokerID)
		}
	default:
		return fmt.Errorf("brokerRole %q unknown: use ASYNC_MASTER, SYNC_MASTER or SLAVE", c.BrokerRole)
	}
	switch c.FlushDiskType {
	case store.AsyncFlush, store.SyncFlush:
	default:
		return fmt.Errorf("flushDiskType %q unknown: use ASYNC_FLUSH or SYNC_FLUSH", c.FlushDiskType)
	}
	if c.BrokerPermission&^(PermRead|PermWrite|PermInherit|PermPriority) != 0 {
		return fmt.Errorf("brokerPermission %d has bits outside 0..15", c.BrokerPermission)
	}
	if c.StorePathRootDir == "" {
		return fmt.Errorf("storePathRootDir must not be empty")
	}
	if c.ListenPort < 0 || c.ListenPort > 65535 {
		return fmt.Errorf("listenPort %d out of range", c.ListenPort)
	}
	if c.BrokerName == "" {
		return fmt.Errorf("brokerName must not be empty")
	}
	if c.BrokerClusterName == "" {
		return fmt.Errorf("brokerClusterName must not be empty")
	}
	for _, k := range []struct {
		on   bool
		name string
	}{{c.EnableDLegerCommitLog, "enableDLegerCommitLog (a DLedger commitlog)"},
		{c.EnableLmq, "enableLmq (light message queues)"}, {c.EnableMultiDispatch, "enableMultiDispatch (multi-queue dispatch)"}} {
		if k.on {
			return fmt.Errorf("%s is not supported: the key must be false", k.name)
		}
	}
	return nil
}

// bindHost is the host part the servers listen on ("" = every interface).
func (c *Config) bindHost() string {
	if c.BindAddress == "0.0.0.0" {
		return ""
	}
	return c.BindAddress
}

// NamesrvAddrs returns the NameServer list.
func (c *Config) NamesrvAddrs() []string { return splitNamesrvAddr(c.NamesrvAddr) }

// splitNamesrvAddr splits Java's `host:port;host:port` list, skipping empty entries.
func splitNamesrvAddr(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ";") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func splitHostPort(a string) (string, int, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return "", 0, fmt.Errorf("bad port %q", port)
	}
	return host, p, nil
}

// LocalAddress picks the address Java's RemotingUtil.getLocalAddress picks: over every
// interface that is not a Linux bridge, the first non-loopback IPv4 address that does not start
// with 127.0 or 192.168; else the last non-loopback IPv4 address seen; else the first IPv6
// one; else the host name's address.
func LocalAddress() string {
	ifaces, err := net.Interfaces()
	var v4, v6 []string
	if err == nil {
		for _, ifc := range ifaces {
			if isBridge(ifc.Name) {
				continue
			}
			addrs, err := ifc.Addrs()
			if err != nil {
				continue
			}
			for _, a := range addrs {
				ipn, ok := a.(*net.IPNet)
				if !ok || ipn.IP.IsLoopback() {
					continue
				}
				if ip4 := ipn.IP.To4(); ip4 != nil {
					v4 = append(v4, ip4.String())
				} else {
					v6 = append(v6, ipn.IP.String())
				}
			}
		}
	}
	for _, ip := range v4 {
		if !strings.HasPrefix(ip, "127.0") && !strings.HasPrefix(ip, "192.168") {
			return ip
		}
	}
	if len(v4) > 0 {
		return v4[len(v4)-1]
	}
	if len(v6) > 0 {
		return v6[0]
	}
	if host, err := os.Hostname(); err == nil {
		if ips, err := net.LookupIP(host); err == nil && len(ips) > 0 {
			return ips[0].String()
		}
	}
	return "127.0.0.1"
}

// isBridge is Java's RemotingUtil.isBridge: Linux exposes a bridge's ports under
// /sys/class/net/<name>/bridge.
func isBridge(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name + "/bridge")
	return err == nil
}

// LoadFile applies a Java broker.conf (java.util.Properties syntax) over c and returns the
// keys no broker setting knows, for the caller to warn about. A value that does not parse is
// an error naming the file, line and key. As Java's BrokerStartup, haListenPort follows
// listenPort (+1) unless the file sets it.
func (c *Config) LoadFile(path string) (unknown []string, err error) {
	props, err := conf.ReadPropertiesFile(path)
	if err != nil {
		return nil, err
	}
	return c.LoadProperties(props, path)
}

// LoadProperties is LoadFile for properties already read; source names them in errors.
func (c *Config) LoadProperties(props []conf.Property, source string) (unknown []string, err error) {
	unknown, err = conf.Load(props, c)
	if err != nil {
		return unknown, fmt.Errorf("%s: %w", source, err)
	}
	setHA := false
	for _, p := range props {
		if p.Key == "haListenPort" {
			setHA = true
		}
	}
	if !setHA {
		c.HaListenPort = c.ListenPort + 1
	}
	return unknown, nil
}

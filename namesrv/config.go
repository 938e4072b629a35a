package namesrv

import (
	"os"
	"path/filepath"
	"time"

	"github.com/rocketgo/rocketgo/conf"
)

// Config is the NameServer's configuration under Java's key names: NamesrvConfig followed by
// NettyServerConfig (4.9.8), then rocketgo's own keys. Keys the Go server has no use for
// (thread counts, Netty buffer sizes) are kept so that a Java namesrv.properties loads without
// warnings and GET_NAMESRV_CONFIG answers what Java would.
type Config struct {
	// NamesrvConfig
	RocketmqHome       string `prop:"rocketmqHome"`
	KvConfigPath       string `prop:"kvConfigPath"`
	ConfigStorePath    string `prop:"configStorePath"`
	ProductEnvName     string `prop:"productEnvName"`
	ClusterTest        bool   `prop:"clusterTest"`
	OrderMessageEnable bool   `prop:"orderMessageEnable"`
	// ConfigBlackList is the ;-list of keys UPDATE_NAMESRV_CONFIG refuses, on top of the fixed
	// configBlackList, configStorePath, kvConfigPath and rocketmqHome.
	ConfigBlackList string `prop:"configBlackList"`

	// NettyServerConfig
	ListenPort                         int  `prop:"listenPort"`
	ServerWorkerThreads                int  `prop:"serverWorkerThreads"`
	ServerCallbackExecutorThreads      int  `prop:"serverCallbackExecutorThreads"`
	ServerSelectorThreads              int  `prop:"serverSelectorThreads"`
	ServerOnewaySemaphoreValue         int  `prop:"serverOnewaySemaphoreValue"`
	ServerAsyncSemaphoreValue          int  `prop:"serverAsyncSemaphoreValue"`
	ServerChannelMaxIdleTimeSeconds    int  `prop:"serverChannelMaxIdleTimeSeconds"`
	ServerSocketSndBufSize             int  `prop:"serverSocketSndBufSize"`
	ServerSocketRcvBufSize             int  `prop:"serverSocketRcvBufSize"`
	WriteBufferHighWaterMark           int  `prop:"writeBufferHighWaterMark"`
	WriteBufferLowWaterMark            int  `prop:"writeBufferLowWaterMark"`
	ServerSocketBacklog                int  `prop:"serverSocketBacklog"`
	ServerPooledByteBufAllocatorEnable bool `prop:"serverPooledByteBufAllocatorEnable"`
	UseEpollNativeSelector             bool `prop:"useEpollNativeSelector"`

	// BindAddress is the interface to listen on (5.x NettyServerConfig's key); tests use
	// 127.0.0.1 with ListenPort 0.
	BindAddress string `prop:"bindAddress"`

	// AddressServerPort, when not 0, serves the HTTP address-server path clients poll when
	// they are given rocketmq.namesrv.domain instead of an address: GET /rocketmq/<subgroup>
	// answers AddressServerNamesrvAddr, or this NameServer's own ip:port when that is empty.
	// Clients ask port 8080 unless the domain names a port. Off by default.
	AddressServerPort        int    `prop:"addressServerPort"`
	AddressServerNamesrvAddr string `prop:"addressServerNamesrvAddr"`

	// Extra holds the config file's keys that no field has (mqnamesrv warns about them):
	// like Java, GET_NAMESRV_CONFIG shows them and persisting the config keeps them.
	Extra []conf.Property

	// Test seams: how often silent brokers are looked for and how long they may be silent.
	scanInterval time.Duration
	brokerExpiry time.Duration
}

// NewConfig returns Java 4.9.8's defaults (with NamesrvStartup's listenPort 9876).
func NewConfig() *Config {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return &Config{
		RocketmqHome:       os.Getenv("ROCKETMQ_HOME"),
		KvConfigPath:       filepath.Join(home, "namesrv", "kvConfig.json"),
		ConfigStorePath:    filepath.Join(home, "namesrv", "namesrv.properties"),
		ProductEnvName:     "center",
		ClusterTest:        false,
		OrderMessageEnable: false,
		ConfigBlackList:    "configBlackList;configStorePath;kvConfigPath",

		ListenPort:                         9876,
		ServerWorkerThreads:                8,
		ServerCallbackExecutorThreads:      0,
		ServerSelectorThreads:              3,
		ServerOnewaySemaphoreValue:         256,
		ServerAsyncSemaphoreValue:          64,
		ServerChannelMaxIdleTimeSeconds:    120,
		ServerSocketSndBufSize:             0,
		ServerSocketRcvBufSize:             0,
		WriteBufferHighWaterMark:           0,
		WriteBufferLowWaterMark:            0,
		ServerSocketBacklog:                1024,
		ServerPooledByteBufAllocatorEnable: true,
		UseEpollNativeSelector:             false,

		BindAddress: "0.0.0.0",
	}
}

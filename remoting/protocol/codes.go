package protocol

import "strconv"

// Response codes (RemotingSysResponseCode 0–4 and ResponseCode.java, 4.9.8). 5.x reuses 209–211
// for POP long polling; those aliases are marked and never sent by our servers.
const (
	Success                            int32 = 0
	SystemError                        int32 = 1
	SystemBusy                         int32 = 2
	RequestCodeNotSupported            int32 = 3
	TransactionFailed                  int32 = 4
	FlushDiskTimeout                   int32 = 10
	SlaveNotAvailable                  int32 = 11
	FlushSlaveTimeout                  int32 = 12
	MessageIllegal                     int32 = 13
	ServiceNotAvailable                int32 = 14
	VersionNotSupported                int32 = 15
	NoPermission                       int32 = 16
	TopicNotExist                      int32 = 17
	TopicExistAlready                  int32 = 18
	PullNotFound                       int32 = 19
	PullRetryImmediately               int32 = 20
	PullOffsetMoved                    int32 = 21
	QueryNotFound                      int32 = 22
	SubscriptionParseFailed            int32 = 23
	SubscriptionNotExist               int32 = 24
	SubscriptionNotLatest              int32 = 25
	SubscriptionGroupNotExist          int32 = 26
	FilterDataNotExist                 int32 = 27
	FilterDataNotLatest                int32 = 28
	InvalidParameter                   int32 = 29 // 5.x
	TransactionShouldCommit            int32 = 200
	TransactionShouldRollback          int32 = 201
	TransactionStateUnknow             int32 = 202
	TransactionStateGroupWrong         int32 = 203
	NoBuyerId                          int32 = 204
	NotInCurrentUnit                   int32 = 205
	ConsumerNotOnline                  int32 = 206
	ConsumeMsgTimeout                  int32 = 207
	NoMessage                          int32 = 208
	UpdateAndCreateAclConfigFailed     int32 = 209
	DeleteAclConfigFailed              int32 = 210
	UpdateGlobalWhiteAddrsConfigFailed int32 = 211
	PollingFull                        int32 = 209 // 5.x
	PollingTimeout                     int32 = 210 // 5.x
	BrokerNotExist                     int32 = 211 // 5.x
	BrokerDispatchNotComplete          int32 = 212 // 5.x
	BroadcastConsumption               int32 = 213 // 5.x
	FlowControl                        int32 = 215
	NotLeaderForQueue                  int32 = 501  // 5.x
	IllegalOperation                   int32 = 604  // 5.x
	GoAway                             int32 = 1500 // 5.x
)

var responseNames = map[int32]string{
	Success:                            "SUCCESS",
	SystemError:                        "SYSTEM_ERROR",
	SystemBusy:                         "SYSTEM_BUSY",
	RequestCodeNotSupported:            "REQUEST_CODE_NOT_SUPPORTED",
	TransactionFailed:                  "TRANSACTION_FAILED",
	FlushDiskTimeout:                   "FLUSH_DISK_TIMEOUT",
	SlaveNotAvailable:                  "SLAVE_NOT_AVAILABLE",
	FlushSlaveTimeout:                  "FLUSH_SLAVE_TIMEOUT",
	MessageIllegal:                     "MESSAGE_ILLEGAL",
	ServiceNotAvailable:                "SERVICE_NOT_AVAILABLE",
	VersionNotSupported:                "VERSION_NOT_SUPPORTED",
	NoPermission:                       "NO_PERMISSION",
	TopicNotExist:                      "TOPIC_NOT_EXIST",
	TopicExistAlready:                  "TOPIC_EXIST_ALREADY",
	PullNotFound:                       "PULL_NOT_FOUND",
	PullRetryImmediately:               "PULL_RETRY_IMMEDIATELY",
	PullOffsetMoved:                    "PULL_OFFSET_MOVED",
	QueryNotFound:                      "QUERY_NOT_FOUND",
	SubscriptionParseFailed:            "SUBSCRIPTION_PARSE_FAILED",
	SubscriptionNotExist:               "SUBSCRIPTION_NOT_EXIST",
	SubscriptionNotLatest:              "SUBSCRIPTION_NOT_LATEST",
	SubscriptionGroupNotExist:          "SUBSCRIPTION_GROUP_NOT_EXIST",
	FilterDataNotExist:                 "FILTER_DATA_NOT_EXIST",
	FilterDataNotLatest:                "FILTER_DATA_NOT_LATEST",
	InvalidParameter:                   "INVALID_PARAMETER",
	TransactionShouldCommit:            "TRANSACTION_SHOULD_COMMIT",
	TransactionShouldRollback:          "TRANSACTION_SHOULD_ROLLBACK",
	TransactionStateUnknow:             "TRANSACTION_STATE_UNKNOW",
	TransactionStateGroupWrong:         "TRANSACTION_STATE_GROUP_WRONG",
	NoBuyerId:                          "NO_BUYER_ID",
	NotInCurrentUnit:                   "NOT_IN_CURRENT_UNIT",
	ConsumerNotOnline:                  "CONSUMER_NOT_ONLINE",
	ConsumeMsgTimeout:                  "CONSUME_MSG_TIMEOUT",
	NoMessage:                          "NO_MESSAGE",
	UpdateAndCreateAclConfigFailed:     "UPDATE_AND_CREATE_ACL_CONFIG_FAILED",
	DeleteAclConfigFailed:              "DELETE_ACL_CONFIG_FAILED",
	UpdateGlobalWhiteAddrsConfigFailed: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED",
	BrokerDispatchNotComplete:          "BROKER_DISPATCH_NOT_COMPLETE",
	BroadcastConsumption:               "BROADCAST_CONSUMPTION",
	FlowControl:                        "FLOW_CONTROL",
	NotLeaderForQueue:                  "NOT_LEADER_FOR_QUEUE",
	IllegalOperation:                   "ILLEGAL_OPERATION",
	GoAway:                             "GO_AWAY",
}

// Request codes (RequestCode.java, 4.9.8). Names follow Java's constants in CamelCase so a
// reader can grep the Java source for the SCREAMING_CASE form. Codes marked "5.x" exist only
// in 5.x clients and tools; we name them so logs can say what was asked even when we answer
// REQUEST_CODE_NOT_SUPPORTED.
const (
	SendMessage                          int32 = 10
	PullMessage                          int32 = 11
	QueryMessage                         int32 = 12
	QueryBrokerOffset                    int32 = 13
	QueryConsumerOffset                  int32 = 14
	UpdateConsumerOffset                 int32 = 15
	UpdateAndCreateTopic                 int32 = 17
	UpdateAndCreateTopicList             int32 = 18 // 5.x
	GetAllTopicConfig                    int32 = 21
	GetTopicConfigList                   int32 = 22
	GetTopicNameList                     int32 = 23
	UpdateBrokerConfig                   int32 = 25
	GetBrokerConfig                      int32 = 26
	TriggerDeleteFiles                   int32 = 27
	GetBrokerRuntimeInfo                 int32 = 28
	SearchOffsetByTimestamp              int32 = 29
	GetMaxOffset                         int32 = 30
	GetMinOffset                         int32 = 31
	GetEarliestMsgStoretime              int32 = 32
	ViewMessageById                      int32 = 33
	HeartBeat                            int32 = 34
	UnregisterClient                     int32 = 35
	ConsumerSendMsgBack                  int32 = 36
	EndTransaction                       int32 = 37
	GetConsumerListByGroup               int32 = 38
	CheckTransactionState                int32 = 39
	NotifyConsumerIdsChanged             int32 = 40
	LockBatchMq                          int32 = 41
	UnlockBatchMq                        int32 = 42
	GetAllConsumerOffset                 int32 = 43
	GetAllDelayOffset                    int32 = 45
	CheckClientConfig                    int32 = 46
	GetClientConfig                      int32 = 47
	UpdateAndCreateAclConfig             int32 = 50
	DeleteAclConfig                      int32 = 51
	GetBrokerClusterAclInfo              int32 = 52
	UpdateGlobalWhiteAddrsConfig         int32 = 53
	GetBrokerClusterAclConfig            int32 = 54
	GetTimerCheckPoint                   int32 = 60 // 5.x
	GetTimerMetrics                      int32 = 61 // 5.x
	PutKvConfig                          int32 = 100
	GetKvConfig                          int32 = 101
	DeleteKvConfig                       int32 = 102
	RegisterBroker                       int32 = 103
	UnregisterBroker                     int32 = 104
	GetRouteinfoByTopic                  int32 = 105
	GetBrokerClusterInfo                 int32 = 106
	UpdateAndCreateSubscriptiongroup     int32 = 200
	GetAllSubscriptiongroupConfig        int32 = 201
	GetTopicStatsInfo                    int32 = 202
	GetConsumerConnectionList            int32 = 203
	GetProducerConnectionList            int32 = 204
	WipeWritePermOfBroker                int32 = 205
	GetAllTopicListFromNameserver        int32 = 206
	DeleteSubscriptiongroup              int32 = 207
	GetConsumeStats                      int32 = 208
	SuspendConsumer                      int32 = 209
	ResumeConsumer                       int32 = 210
	ResetConsumerOffsetInConsumer        int32 = 211
	ResetConsumerOffsetInBroker          int32 = 212
	AdjustConsumerThreadPool             int32 = 213
	WhoConsumeTheMessage                 int32 = 214
	DeleteTopicInBroker                  int32 = 215
	DeleteTopicInNamesrv                 int32 = 216
	RegisterTopicInNamesrv               int32 = 217 // 5.x
	GetKvlistByNamespace                 int32 = 219
	ResetConsumerClientOffset            int32 = 220
	GetConsumerStatusFromClient          int32 = 221
	InvokeBrokerToResetOffset            int32 = 222
	InvokeBrokerToGetConsumerStatus      int32 = 223
	GetTopicsByCluster                   int32 = 224
	UpdateAndCreateSubscriptiongroupList int32 = 225 // 5.x
	QueryTopicConsumeByWho               int32 = 300
	RegisterFilterServer                 int32 = 301
	RegisterMessageFilterClass           int32 = 302
	QueryConsumeTimeSpan                 int32 = 303
	GetSystemTopicListFromNs             int32 = 304
	GetSystemTopicListFromBroker         int32 = 305
	CleanExpiredConsumequeue             int32 = 306
	GetConsumerRunningInfo               int32 = 307
	QueryCorrectionOffset                int32 = 308
	ConsumeMessageDirectly               int32 = 309
	SendMessageV2                        int32 = 310
	GetUnitTopicList                     int32 = 311
	GetHasUnitSubTopicList               int32 = 312
	GetHasUnitSubUnunitTopicList         int32 = 313
	CloneGroupOffset                     int32 = 314
	ViewBrokerStatsData                  int32 = 315
	CleanUnusedTopic                     int32 = 316
	GetBrokerConsumeStats                int32 = 317
	UpdateNamesrvConfig                  int32 = 318
	GetNamesrvConfig                     int32 = 319
	SendBatchMessage                     int32 = 320
	QueryConsumeQueue                    int32 = 321
	QueryDataVersion                     int32 = 322
	ResumeCheckHalfMessage               int32 = 323
	SendReplyMessage                     int32 = 324
	SendReplyMessageV2                   int32 = 325
	PushReplyMessageToClient             int32 = 326
	AddWritePermOfBroker                 int32 = 327
	GetAllProducerInfo                   int32 = 328
	DeleteExpiredCommitlog               int32 = 329
	QueryTopicsByConsumer                int32 = 343    // 5.x
	QuerySubscriptionByConsumer          int32 = 345    // 5.x
	GetTopicConfig                       int32 = 351    // 5.x
	GetSubscriptiongroupConfig           int32 = 352    // 5.x
	UpdateAndGetGroupForbidden           int32 = 353    // 5.x
	LitePullMessage                      int32 = 361    // 5.x
	RecallMessage                        int32 = 370    // 5.x
	QueryAssignment                      int32 = 400    // 5.x
	SetMessageRequestMode                int32 = 401    // 5.x
	GetAllMessageRequestMode             int32 = 402    // 5.x
	UpdateAndCreateStaticTopic           int32 = 513    // 5.x
	GetBrokerMemberGroup                 int32 = 901    // 5.x
	AddBroker                            int32 = 902    // 5.x
	RemoveBroker                         int32 = 903    // 5.x
	BrokerHeartbeat                      int32 = 904    // 5.x
	NotifyMinBrokerIdChange              int32 = 905    // 5.x
	ExchangeBrokerHaInfo                 int32 = 906    // 5.x
	GetBrokerHaStatus                    int32 = 907    // 5.x
	ResetMasterFlushOffset               int32 = 908    // 5.x
	AuthCreateUser                       int32 = 3001   // 5.x
	AuthUpdateUser                       int32 = 3002   // 5.x
	AuthDeleteUser                       int32 = 3003   // 5.x
	AuthGetUser                          int32 = 3004   // 5.x
	AuthListUser                         int32 = 3005   // 5.x
	AuthCreateAcl                        int32 = 3006   // 5.x
	AuthUpdateAcl                        int32 = 3007   // 5.x
	AuthDeleteAcl                        int32 = 3008   // 5.x
	AuthGetAcl                           int32 = 3009   // 5.x
	AuthListAcl                          int32 = 3010   // 5.x
	PopMessage                           int32 = 200050 // 5.x
	AckMessage                           int32 = 200051 // 5.x
	PeekMessage                          int32 = 200052 // 5.x
	ChangeMessageInvisibletime           int32 = 200053 // 5.x
	Notification                         int32 = 200054 // 5.x
	PollingInfo                          int32 = 200055 // 5.x
	PopRollback                          int32 = 200056 // 5.x
	BatchAckMessage                      int32 = 200151 // 5.x
)

var requestNames = map[int32]string{
	SendMessage:                          "SEND_MESSAGE",
	PullMessage:                          "PULL_MESSAGE",
	QueryMessage:                         "QUERY_MESSAGE",
	QueryBrokerOffset:                    "QUERY_BROKER_OFFSET",
	QueryConsumerOffset:                  "QUERY_CONSUMER_OFFSET",
	UpdateConsumerOffset:                 "UPDATE_CONSUMER_OFFSET",
	UpdateAndCreateTopic:                 "UPDATE_AND_CREATE_TOPIC",
	UpdateAndCreateTopicList:             "UPDATE_AND_CREATE_TOPIC_LIST",
	GetAllTopicConfig:                    "GET_ALL_TOPIC_CONFIG",
	GetTopicConfigList:                   "GET_TOPIC_CONFIG_LIST",
	GetTopicNameList:                     "GET_TOPIC_NAME_LIST",
	UpdateBrokerConfig:                   "UPDATE_BROKER_CONFIG",
	GetBrokerConfig:                      "GET_BROKER_CONFIG",
	TriggerDeleteFiles:                   "TRIGGER_DELETE_FILES",
	GetBrokerRuntimeInfo:                 "GET_BROKER_RUNTIME_INFO",
	SearchOffsetByTimestamp:              "SEARCH_OFFSET_BY_TIMESTAMP",
	GetMaxOffset:                         "GET_MAX_OFFSET",
	GetMinOffset:                         "GET_MIN_OFFSET",
	GetEarliestMsgStoretime:              "GET_EARLIEST_MSG_STORETIME",
	ViewMessageById:                      "VIEW_MESSAGE_BY_ID",
	HeartBeat:                            "HEART_BEAT",
	UnregisterClient:                     "UNREGISTER_CLIENT",
	ConsumerSendMsgBack:                  "CONSUMER_SEND_MSG_BACK",
	EndTransaction:                       "END_TRANSACTION",
	GetConsumerListByGroup:               "GET_CONSUMER_LIST_BY_GROUP",
	CheckTransactionState:                "CHECK_TRANSACTION_STATE",
	NotifyConsumerIdsChanged:             "NOTIFY_CONSUMER_IDS_CHANGED",
	LockBatchMq:                          "LOCK_BATCH_MQ",
	UnlockBatchMq:                        "UNLOCK_BATCH_MQ",
	GetAllConsumerOffset:                 "GET_ALL_CONSUMER_OFFSET",
	GetAllDelayOffset:                    "GET_ALL_DELAY_OFFSET",
	CheckClientConfig:                    "CHECK_CLIENT_CONFIG",
	GetClientConfig:                      "GET_CLIENT_CONFIG",
	UpdateAndCreateAclConfig:             "UPDATE_AND_CREATE_ACL_CONFIG",
	DeleteAclConfig:                      "DELETE_ACL_CONFIG",
	GetBrokerClusterAclInfo:              "GET_BROKER_CLUSTER_ACL_INFO",
	UpdateGlobalWhiteAddrsConfig:         "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
	GetBrokerClusterAclConfig:            "GET_BROKER_CLUSTER_ACL_CONFIG",
	GetTimerCheckPoint:                   "GET_TIMER_CHECK_POINT",
	GetTimerMetrics:                      "GET_TIMER_METRICS",
	PutKvConfig:                          "PUT_KV_CONFIG",
	GetKvConfig:                          "GET_KV_CONFIG",
	DeleteKvConfig:                       "DELETE_KV_CONFIG",
	RegisterBroker:                       "REGISTER_BROKER",
	UnregisterBroker:                     "UNREGISTER_BROKER",
	GetRouteinfoByTopic:                  "GET_ROUTEINFO_BY_TOPIC",
	GetBrokerClusterInfo:                 "GET_BROKER_CLUSTER_INFO",
	UpdateAndCreateSubscriptiongroup:     "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
	GetAllSubscriptiongroupConfig:        "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
	GetTopicStatsInfo:                    "GET_TOPIC_STATS_INFO",
	GetConsumerConnectionList:            "GET_CONSUMER_CONNECTION_LIST",
	GetProducerConnectionList:            "GET_PRODUCER_CONNECTION_LIST",
	WipeWritePermOfBroker:                "WIPE_WRITE_PERM_OF_BROKER",
	GetAllTopicListFromNameserver:        "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	DeleteSubscriptiongroup:              "DELETE_SUBSCRIPTIONGROUP",
	GetConsumeStats:                      "GET_CONSUME_STATS",
	SuspendConsumer:                      "SUSPEND_CONSUMER",
	ResumeConsumer:                       "RESUME_CONSUMER",
	ResetConsumerOffsetInConsumer:        "RESET_CONSUMER_OFFSET_IN_CONSUMER",
	ResetConsumerOffsetInBroker:          "RESET_CONSUMER_OFFSET_IN_BROKER",
	AdjustConsumerThreadPool:             "ADJUST_CONSUMER_THREAD_POOL",
	WhoConsumeTheMessage:                 "WHO_CONSUME_THE_MESSAGE",
	DeleteTopicInBroker:                  "DELETE_TOPIC_IN_BROKER",
	DeleteTopicInNamesrv:                 "DELETE_TOPIC_IN_NAMESRV",
	RegisterTopicInNamesrv:               "REGISTER_TOPIC_IN_NAMESRV",
	GetKvlistByNamespace:                 "GET_KVLIST_BY_NAMESPACE",
	ResetConsumerClientOffset:            "RESET_CONSUMER_CLIENT_OFFSET",
	GetConsumerStatusFromClient:          "GET_CONSUMER_STATUS_FROM_CLIENT",
	InvokeBrokerToResetOffset:            "INVOKE_BROKER_TO_RESET_OFFSET",
	InvokeBrokerToGetConsumerStatus:      "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
	GetTopicsByCluster:                   "GET_TOPICS_BY_CLUSTER",
	UpdateAndCreateSubscriptiongroupList: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST",
	QueryTopicConsumeByWho:               "QUERY_TOPIC_CONSUME_BY_WHO",
	RegisterFilterServer:                 "REGISTER_FILTER_SERVER",
	RegisterMessageFilterClass:           "REGISTER_MESSAGE_FILTER_CLASS",
	QueryConsumeTimeSpan:                 "QUERY_CONSUME_TIME_SPAN",
	GetSystemTopicListFromNs:             "GET_SYSTEM_TOPIC_LIST_FROM_NS",
	GetSystemTopicListFromBroker:         "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
	CleanExpiredConsumequeue:             "CLEAN_EXPIRED_CONSUMEQUEUE",
	GetConsumerRunningInfo:               "GET_CONSUMER_RUNNING_INFO",
	QueryCorrectionOffset:                "QUERY_CORRECTION_OFFSET",
	ConsumeMessageDirectly:               "CONSUME_MESSAGE_DIRECTLY",
	SendMessageV2:                        "SEND_MESSAGE_V2",
	GetUnitTopicList:                     "GET_UNIT_TOPIC_LIST",
	GetHasUnitSubTopicList:               "GET_HAS_UNIT_SUB_TOPIC_LIST",
	GetHasUnitSubUnunitTopicList:         "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST",
	CloneGroupOffset:                     "CLONE_GROUP_OFFSET",
	ViewBrokerStatsData:                  "VIEW_BROKER_STATS_DATA",
	CleanUnusedTopic:                     "CLEAN_UNUSED_TOPIC",
	GetBrokerConsumeStats:                "GET_BROKER_CONSUME_STATS",
	UpdateNamesrvConfig:                  "UPDATE_NAMESRV_CONFIG",
	GetNamesrvConfig:                     "GET_NAMESRV_CONFIG",
	SendBatchMessage:                     "SEND_BATCH_MESSAGE",
	QueryConsumeQueue:                    "QUERY_CONSUME_QUEUE",
	QueryDataVersion:                     "QUERY_DATA_VERSION",
	ResumeCheckHalfMessage:               "RESUME_CHECK_HALF_MESSAGE",
	SendReplyMessage:                     "SEND_REPLY_MESSAGE",
	SendReplyMessageV2:                   "SEND_REPLY_MESSAGE_V2",
	PushReplyMessageToClient:             "PUSH_REPLY_MESSAGE_TO_CLIENT",
	AddWritePermOfBroker:                 "ADD_WRITE_PERM_OF_BROKER",
	GetAllProducerInfo:                   "GET_ALL_PRODUCER_INFO",
	DeleteExpiredCommitlog:               "DELETE_EXPIRED_COMMITLOG",
	QueryTopicsByConsumer:                "QUERY_TOPICS_BY_CONSUMER",
	QuerySubscriptionByConsumer:          "QUERY_SUBSCRIPTION_BY_CONSUMER",
	GetTopicConfig:                       "GET_TOPIC_CONFIG",
	GetSubscriptiongroupConfig:           "GET_SUBSCRIPTIONGROUP_CONFIG",
	UpdateAndGetGroupForbidden:           "UPDATE_AND_GET_GROUP_FORBIDDEN",
	LitePullMessage:                      "LITE_PULL_MESSAGE",
	RecallMessage:                        "RECALL_MESSAGE",
	QueryAssignment:                      "QUERY_ASSIGNMENT",
	SetMessageRequestMode:                "SET_MESSAGE_REQUEST_MODE",
	GetAllMessageRequestMode:             "GET_ALL_MESSAGE_REQUEST_MODE",
	UpdateAndCreateStaticTopic:           "UPDATE_AND_CREATE_STATIC_TOPIC",
	GetBrokerMemberGroup:                 "GET_BROKER_MEMBER_GROUP",
	AddBroker:                            "ADD_BROKER",
	RemoveBroker:                         "REMOVE_BROKER",
	BrokerHeartbeat:                      "BROKER_HEARTBEAT",
	NotifyMinBrokerIdChange:              "NOTIFY_MIN_BROKER_ID_CHANGE",
	ExchangeBrokerHaInfo:                 "EXCHANGE_BROKER_HA_INFO",
	GetBrokerHaStatus:                    "GET_BROKER_HA_STATUS",
	ResetMasterFlushOffset:               "RESET_MASTER_FLUSH_OFFSET",
	AuthCreateUser:                       "AUTH_CREATE_USER",
	AuthUpdateUser:                       "AUTH_UPDATE_USER",
	AuthDeleteUser:                       "AUTH_DELETE_USER",
	AuthGetUser:                          "AUTH_GET_USER",
	AuthListUser:                         "AUTH_LIST_USER",
	AuthCreateAcl:                        "AUTH_CREATE_ACL",
	AuthUpdateAcl:                        "AUTH_UPDATE_ACL",
	AuthDeleteAcl:                        "AUTH_DELETE_ACL",
	AuthGetAcl:                           "AUTH_GET_ACL",
	AuthListAcl:                          "AUTH_LIST_ACL",
	PopMessage:                           "POP_MESSAGE",
	AckMessage:                           "ACK_MESSAGE",
	PeekMessage:                          "PEEK_MESSAGE",
	ChangeMessageInvisibletime:           "CHANGE_MESSAGE_INVISIBLETIME",
	Notification:                         "NOTIFICATION",
	PollingInfo:                          "POLLING_INFO",
	PopRollback:                          "POP_ROLLBACK",
	BatchAckMessage:                      "BATCH_ACK_MESSAGE",
}

// RequestName returns Java's name of a request code for logs, or "UNKNOWN(code)".
func RequestName(code int32) string {
	if n, ok := requestNames[code]; ok {
		return n
	}
	return "UNKNOWN(" + strconv.Itoa(int(code)) + ")"
}

// ResponseName returns Java's name of a response code for logs, or "UNKNOWN(code)". Codes
// 209–211 get their 4.9.8 names.
func ResponseName(code int32) string {
	if n, ok := responseNames[code]; ok {
		return n
	}
	return "UNKNOWN(" + strconv.Itoa(int(code)) + ")"
}

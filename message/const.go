package message

// Magic codes at byte 4 of every commitlog record.
const (
	MagicV1    int32 = -626843481 // 0xDAA320A7: 1-byte topic length
	MagicV2    int32 = -626843477 // 0xDAA320AB: 2-byte topic length (5.x, long topics)
	MagicBlank int32 = -875286124 // 0xCBD43194: end-of-file filler, see BlankLen
)

// BlankLen is the size of the end-of-file header (int32 remaining bytes + MagicBlank). A record
// is appended to a commitlog file only if its length plus BlankLen still fits.
const BlankLen = 8

// SysFlag bits (MessageSysFlag).
const (
	SysFlagCompressed  int32 = 0x1
	SysFlagMultiTags   int32 = 0x2
	SysFlagBornHostV6  int32 = 0x10
	SysFlagStoreHostV6 int32 = 0x20
	SysFlagNeedUnwrap  int32 = 0x40
	SysFlagInnerBatch  int32 = 0x80

	// Transaction type, bits 2-3.
	TransactionNotType      int32 = 0x0
	TransactionPreparedType int32 = 0x4
	TransactionCommitType   int32 = 0x8
	TransactionRollbackType int32 = 0xC
	transactionMask         int32 = 0xC

	// Compression algorithm, bits 8-10, meaningful only with SysFlagCompressed; 0 means zlib
	// (older producers and the Go client set only the compressed bit).
	CompressionLZ4  int32 = 0x100
	CompressionZSTD int32 = 0x200
	CompressionZLIB int32 = 0x300
	CompressionMask int32 = 0x700
)

// TransactionType extracts the transaction bits of a sysFlag.
func TransactionType(sysFlag int32) int32 { return sysFlag & transactionMask }

// ResetTransactionType replaces the transaction bits of sysFlag with t.
func ResetTransactionType(sysFlag, t int32) int32 { return sysFlag&^transactionMask | t }

// Property names (MessageConst).
const (
	PropertyKeys                      = "KEYS"
	PropertyTags                      = "TAGS"
	PropertyWaitStoreMsgOK            = "WAIT"
	PropertyDelayTimeLevel            = "DELAY"
	PropertyRetryTopic                = "RETRY_TOPIC"
	PropertyRealTopic                 = "REAL_TOPIC"
	PropertyRealQueueID               = "REAL_QID"
	PropertyTransactionPrepared       = "TRAN_MSG"
	PropertyProducerGroup             = "PGROUP"
	PropertyMinOffset                 = "MIN_OFFSET"
	PropertyMaxOffset                 = "MAX_OFFSET"
	PropertyBuyerID                   = "BUYER_ID"
	PropertyOriginMessageID           = "ORIGIN_MESSAGE_ID"
	PropertyTransferFlag              = "TRANSFER_FLAG"
	PropertyCorrectionFlag            = "CORRECTION_FLAG"
	PropertyMQ2Flag                   = "MQ2_FLAG"
	PropertyReconsumeTime             = "RECONSUME_TIME"
	PropertyMsgRegion                 = "MSG_REGION"
	PropertyTraceSwitch               = "TRACE_ON"
	PropertyUniqClientMessageIDKeyIdx = "UNIQ_KEY"
	PropertyMaxReconsumeTimes         = "MAX_RECONSUME_TIMES"
	PropertyConsumeStartTimestamp     = "CONSUME_START_TIME"
	PropertyTranPreparedQueueOffset   = "TRAN_PREPARED_QUEUE_OFFSET"
	PropertyTransactionCheckTimes     = "TRANSACTION_CHECK_TIMES"
	PropertyCheckImmunityTimeInSecs   = "CHECK_IMMUNITY_TIME_IN_SECONDS"
	PropertyInstanceID                = "INSTANCE_ID"
	PropertyCorrelationID             = "CORRELATION_ID"
	PropertyMessageReplyToClient      = "REPLY_TO_CLIENT"
	PropertyMessageTTL                = "TTL"
	PropertyReplyMessageArriveTime    = "ARRIVE_TIME"
	PropertyPushReplyTime             = "PUSH_REPLY_TIME"
	PropertyCluster                   = "CLUSTER"
	PropertyMessageType               = "MSG_TYPE"
	PropertyInnerMultiDispatch        = "INNER_MULTI_DISPATCH"
	PropertyInnerMultiQueueOffset     = "INNER_MULTI_QUEUE_OFFSET"
	PropertyTransactionID             = "__transactionId__"
	PropertyShardingKey               = "__SHARDINGKEY"
)

// Separators of the property string: name NameValueSeparator value PropertySeparator ...
const (
	NameValueSeparator byte = 1
	PropertySeparator  byte = 2
)

// Special topic names the store treats differently.
const (
	ScheduleTopic         = "SCHEDULE_TOPIC_XXXX"
	TransHalfTopic        = "RMQ_SYS_TRANS_HALF_TOPIC"
	TransOpHalfTopic      = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	RetryGroupTopicPrefix = "%RETRY%"
	DLQGroupTopicPrefix   = "%DLQ%"
)

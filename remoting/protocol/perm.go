package protocol

import "strings"

// Permission bits of a topic or broker (PermName).
const (
	PermPriority int32 = 1 << 3
	PermRead     int32 = 1 << 2
	PermWrite    int32 = 1 << 1
	PermInherit  int32 = 1 << 0
)

func IsReadable(perm int32) bool  { return perm&PermRead != 0 }
func IsWriteable(perm int32) bool { return perm&PermWrite != 0 }
func IsInherited(perm int32) bool { return perm&PermInherit != 0 }

// PermString renders perm as Java's perm2String does: R, W, X in three positions, '-' for
// an unset bit (e.g. "RW-").
func PermString(perm int32) string {
	b := []byte("---")
	if IsReadable(perm) {
		b[0] = 'R'
	}
	if IsWriteable(perm) {
		b[1] = 'W'
	}
	if IsInherited(perm) {
		b[2] = 'X'
	}
	return string(b)
}

// Topic sysFlag bits (TopicSysFlag): unit mode of the topic and of its subscriptions.
const (
	TopicSysFlagUnit    int32 = 1 << 0
	TopicSysFlagUnitSub int32 = 1 << 1
)

// BuildTopicSysFlag is TopicSysFlag.buildSysFlag.
func BuildTopicSysFlag(unit, hasUnitSub bool) int32 {
	var f int32
	if unit {
		f |= TopicSysFlagUnit
	}
	if hasUnitSub {
		f |= TopicSysFlagUnitSub
	}
	return f
}

func HasUnitFlag(sysFlag int32) bool    { return sysFlag&TopicSysFlagUnit != 0 }
func HasUnitSubFlag(sysFlag int32) bool { return sysFlag&TopicSysFlagUnitSub != 0 }

// System topics (TopicValidator, MixAll).
const (
	AutoCreateTopicKeyTopic            = "TBW102" // template for auto-created topics
	RmqSysScheduleTopic                = "SCHEDULE_TOPIC_XXXX"
	RmqSysBenchmarkTopic               = "BenchmarkTest"
	RmqSysTransHalfTopic               = "RMQ_SYS_TRANS_HALF_TOPIC"
	RmqSysTraceTopic                   = "RMQ_SYS_TRACE_TOPIC"
	RmqSysTransOpHalfTopic             = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	RmqSysTransCheckMaxTimeTopic       = "TRANS_CHECK_MAX_TIME_TOPIC"
	RmqSysSelfTestTopic                = "SELF_TEST_TOPIC"
	RmqSysOffsetMovedEvent             = "OFFSET_MOVED_EVENT"
	SystemTopicPrefix                  = "rmq_sys_"
	ReplyTopicPostfix                  = "REPLY_TOPIC" // <cluster>_REPLY_TOPIC
	RetryGroupTopicPrefix              = "%RETRY%"
	DLQGroupTopicPrefix                = "%DLQ%"
	LMQPrefix                          = "%LMQ%"
	TopicMaxLength                     = 127
	DLQNumsPerGroup                    = 1
	MasterID                     int64 = 0
)

// Groups with special meaning (MixAll).
const (
	DefaultProducerGroup     = "DEFAULT_PRODUCER"
	DefaultConsumerGroup     = "DEFAULT_CONSUMER"
	ToolsConsumerGroup       = "TOOLS_CONSUMER"
	ScheduleConsumerGroup    = "SCHEDULE_CONSUMER"
	FiltersrvConsumerGroup   = "FILTERSRV_CONSUMER"
	MonitorConsumerGroup     = "__MONITOR_CONSUMER"
	ClientInnerProducerGroup = "CLIENT_INNER_PRODUCER"
	SelfTestProducerGroup    = "SELF_TEST_P_GROUP"
	SelfTestConsumerGroup    = "SELF_TEST_C_GROUP"
	OnsHTTPProxyGroup        = "CID_ONS-HTTP-PROXY"
	CIDOnsapiPermissionGroup = "CID_ONSAPI_PERMISSION"
	CIDOnsapiOwnerGroup      = "CID_ONSAPI_OWNER"
	CIDOnsapiPullGroup       = "CID_ONSAPI_PULL"
	CIDRmqSysPrefix          = "CID_RMQ_SYS_"
	DefaultRegionID          = "DefaultRegion" // MSG_REGION of send responses
)

// Ext-field names outside the typed headers.
const (
	// 5.x heartbeat responses: whether the broker takes fingerprint-only heartbeats, and
	// whether the subscription changed. Absent means "not supported", which 5.x clients accept.
	ExtIsSupportHeartBeatV2 = "IS_SUPPORT_HEART_BEAT_V2"
	ExtIsSubChange          = "IS_SUB_CHANGE"
	// ACL 1.0 signing fields that signed clients (e.g. mqadmin with tools.yml) add to every
	// request; they belong to the RPC hook, not to any header.
	ExtAccessKey     = "AccessKey"
	ExtSignature     = "Signature"
	ExtSecurityToken = "SecurityToken"
)

// IsSystemTopic reports a topic Java's TopicValidator treats as a system topic: the fixed set or
// the rmq_sys_ prefix. A broker also counts its cluster-name and broker-name topics (it adds
// them at start-up); callers check those themselves.
func IsSystemTopic(topic string) bool {
	switch topic {
	case AutoCreateTopicKeyTopic, RmqSysScheduleTopic, RmqSysBenchmarkTopic, RmqSysTransHalfTopic,
		RmqSysTraceTopic, RmqSysTransOpHalfTopic, RmqSysTransCheckMaxTimeTopic, RmqSysSelfTestTopic,
		RmqSysOffsetMovedEvent:
		return true
	}
	return strings.HasPrefix(topic, SystemTopicPrefix)
}

// IsNotAllowedSendTopic reports the topics producers may not write to (answered with
// NO_PERMISSION and NotAllowedSendRemark).
func IsNotAllowedSendTopic(topic string) bool {
	switch topic {
	case RmqSysScheduleTopic, RmqSysTransHalfTopic, RmqSysTransOpHalfTopic, RmqSysTransCheckMaxTimeTopic,
		RmqSysSelfTestTopic, RmqSysOffsetMovedEvent:
		return true
	}
	return false
}

// NotAllowedSendRemark is Java's remark for a send to a not-allowed topic.
func NotAllowedSendRemark(topic string) string {
	return "Sending message to topic[" + topic + "] is forbidden."
}

// SystemTopicConflictRemark is Java's remark when an admin tries to create a system topic.
func SystemTopicConflictRemark(topic string) string {
	return "The topic[" + topic + "] is conflict with system topic."
}

// Topic validation remarks (TopicValidator.validateTopic); all answered with SYSTEM_ERROR.
const (
	RemarkTopicBlank   = "The specified topic is blank."
	RemarkTopicIllegal = "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
	RemarkTopicTooLong = "The specified topic is longer than topic max length."
)

// validTopicChar is the ^[%|a-zA-Z0-9_-]+$ character class as a table.
var validTopicChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	t['%'], t['|'], t['_'], t['-'] = true, true, true, true
	return t
}()

// IsTopicOrGroupIllegal reports a name with a character outside ^[%|a-zA-Z0-9_-]+$. Any
// non-ASCII byte is illegal, as any non-ASCII char is in Java.
func IsTopicOrGroupIllegal(s string) bool {
	for i := 0; i < len(s); i++ {
		if !validTopicChar[s[i]] {
			return true
		}
	}
	return false
}

// ValidateTopic checks a topic name as the broker does before a send or a topic creation and
// returns Java's remark, or "" when the name is fine. The broker answers a non-empty remark
// with SYSTEM_ERROR (1).
func ValidateTopic(topic string) string {
	if strings.TrimSpace(topic) == "" {
		return RemarkTopicBlank
	}
	if IsTopicOrGroupIllegal(topic) {
		return RemarkTopicIllegal
	}
	if len(topic) > TopicMaxLength {
		return RemarkTopicTooLong
	}
	return ""
}

// RetryTopic is the retry topic of a consumer group.
func RetryTopic(group string) string { return RetryGroupTopicPrefix + group }

// DLQTopic is the dead-letter topic of a consumer group.
func DLQTopic(group string) string { return DLQGroupTopicPrefix + group }

// IsRetryTopic reports a %RETRY% topic.
func IsRetryTopic(topic string) bool { return strings.HasPrefix(topic, RetryGroupTopicPrefix) }

// IsDLQTopic reports a %DLQ% topic.
func IsDLQTopic(topic string) bool { return strings.HasPrefix(topic, DLQGroupTopicPrefix) }

// IsLMQ reports a light message queue topic.
func IsLMQ(topic string) bool { return strings.HasPrefix(topic, LMQPrefix) }

// GroupOfRetryTopic returns the group of a %RETRY% or %DLQ% topic and true, or "" and false.
func GroupOfRetryTopic(topic string) (string, bool) {
	if g, ok := strings.CutPrefix(topic, RetryGroupTopicPrefix); ok {
		return g, true
	}
	if g, ok := strings.CutPrefix(topic, DLQGroupTopicPrefix); ok {
		return g, true
	}
	return "", false
}

// ReplyTopic is the request-reply topic of a cluster.
func ReplyTopic(cluster string) string { return cluster + "_" + ReplyTopicPostfix }

// IsSysConsumerGroup reports a CID_RMQ_SYS_ group (the broker's own).
func IsSysConsumerGroup(group string) bool { return strings.HasPrefix(group, CIDRmqSysPrefix) }

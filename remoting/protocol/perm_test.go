package protocol

import (
	"strings"
	"testing"
)

func TestPerm(t *testing.T) {
	cases := []struct {
		perm    int32
		r, w, x bool
		s       string
	}{
		{0, false, false, false, "---"},
		{PermRead | PermWrite, true, true, false, "RW-"},
		{PermRead | PermWrite | PermInherit, true, true, true, "RWX"},
		{PermWrite, false, true, false, "-W-"},
		{PermInherit, false, false, true, "--X"},
		{PermPriority | PermRead, true, false, false, "R--"},
	}
	for _, c := range cases {
		if IsReadable(c.perm) != c.r || IsWriteable(c.perm) != c.w || IsInherited(c.perm) != c.x || PermString(c.perm) != c.s {
			t.Errorf("perm %d: %v %v %v %q", c.perm, IsReadable(c.perm), IsWriteable(c.perm), IsInherited(c.perm), PermString(c.perm))
		}
	}
	if PermPriority != 8 || PermRead != 4 || PermWrite != 2 || PermInherit != 1 {
		t.Error("perm values")
	}
	if f := BuildTopicSysFlag(true, true); f != 3 || !HasUnitFlag(f) || !HasUnitSubFlag(f) || HasUnitFlag(BuildTopicSysFlag(false, true)) {
		t.Errorf("sysflag %d", f)
	}
}

func TestValidateTopic(t *testing.T) {
	cases := []struct{ topic, remark string }{
		{"TopicTest", ""},
		{"%RETRY%group_a-1|x", ""},
		{strings.Repeat("a", 127), ""},
		{strings.Repeat("a", 128), RemarkTopicTooLong},
		{"", RemarkTopicBlank},
		{"   ", RemarkTopicBlank},
		{"a b", RemarkTopicIllegal},
		{"topic.with.dot", RemarkTopicIllegal},
		{"tópico", RemarkTopicIllegal},
		{"a@b", RemarkTopicIllegal},
		{"a\x00", RemarkTopicIllegal},
	}
	for _, c := range cases {
		if got := ValidateTopic(c.topic); got != c.remark {
			t.Errorf("ValidateTopic(%q) = %q want %q", c.topic, got, c.remark)
		}
	}
}

func TestSystemTopicsAndGroups(t *testing.T) {
	for _, s := range []string{"TBW102", "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
		"RMQ_SYS_TRACE_TOPIC", "BenchmarkTest", "OFFSET_MOVED_EVENT", "SELF_TEST_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC", "rmq_sys_x"} {
		if !IsSystemTopic(s) {
			t.Errorf("%s not system", s)
		}
	}
	if IsSystemTopic("TopicTest") || IsSystemTopic("%RETRY%g") {
		t.Error("user topic counted as system")
	}
	for _, s := range []string{"SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
		"TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT"} {
		if !IsNotAllowedSendTopic(s) {
			t.Errorf("%s sendable", s)
		}
	}
	if IsNotAllowedSendTopic("TBW102") || IsNotAllowedSendTopic("RMQ_SYS_TRACE_TOPIC") {
		t.Error("TBW102 / trace topic must stay sendable")
	}
	if NotAllowedSendRemark("SELF_TEST_TOPIC") != "Sending message to topic[SELF_TEST_TOPIC] is forbidden." {
		t.Error(NotAllowedSendRemark("SELF_TEST_TOPIC"))
	}
	if RetryTopic("g") != "%RETRY%g" || DLQTopic("g") != "%DLQ%g" || !IsRetryTopic("%RETRY%g") || IsRetryTopic("%DLQ%g") ||
		!IsDLQTopic("%DLQ%g") || ReplyTopic("DefaultCluster") != "DefaultCluster_REPLY_TOPIC" {
		t.Error("retry/DLQ names")
	}
	if g, ok := GroupOfRetryTopic("%RETRY%cg"); !ok || g != "cg" {
		t.Error("group of retry")
	}
	if g, ok := GroupOfRetryTopic("%DLQ%cg"); !ok || g != "cg" {
		t.Error("group of dlq")
	}
	if _, ok := GroupOfRetryTopic("cg"); ok {
		t.Error("plain topic has no group")
	}
	if !IsSysConsumerGroup("CID_RMQ_SYS_TRANS") || IsSysConsumerGroup("CG") || ClientInnerProducerGroup != "CLIENT_INNER_PRODUCER" {
		t.Error("groups")
	}
	if topic, group, ok := SplitOffsetKey(OffsetKey("%RETRY%g", "g")); !ok || topic != "%RETRY%g" || group != "g" {
		t.Error("offset key")
	}
}

package protocol

import "testing"

func TestCodeValuesAndNames(t *testing.T) {
	cases := []struct {
		code int32
		want int32
		name string
		req  bool
	}{
		{SendMessage, 10, "SEND_MESSAGE", true},
		{PullMessage, 11, "PULL_MESSAGE", true},
		{SendMessageV2, 310, "SEND_MESSAGE_V2", true},
		{SendBatchMessage, 320, "SEND_BATCH_MESSAGE", true},
		{GetRouteinfoByTopic, 105, "GET_ROUTEINFO_BY_TOPIC", true},
		{RegisterBroker, 103, "REGISTER_BROKER", true},
		{HeartBeat, 34, "HEART_BEAT", true},
		{LockBatchMq, 41, "LOCK_BATCH_MQ", true},
		{GetKvlistByNamespace, 219, "GET_KVLIST_BY_NAMESPACE", true},
		{GetTopicConfig, 351, "GET_TOPIC_CONFIG", true},
		{LitePullMessage, 361, "LITE_PULL_MESSAGE", true},
		{PopMessage, 200050, "POP_MESSAGE", true},
		{Success, 0, "SUCCESS", false},
		{SystemBusy, 2, "SYSTEM_BUSY", false},
		{RequestCodeNotSupported, 3, "REQUEST_CODE_NOT_SUPPORTED", false},
		{PullOffsetMoved, 21, "PULL_OFFSET_MOVED", false},
		{QueryNotFound, 22, "QUERY_NOT_FOUND", false},
		{SubscriptionGroupNotExist, 26, "SUBSCRIPTION_GROUP_NOT_EXIST", false},
		{ConsumerNotOnline, 206, "CONSUMER_NOT_ONLINE", false},
		{UpdateAndCreateAclConfigFailed, 209, "UPDATE_AND_CREATE_ACL_CONFIG_FAILED", false},
		{FlowControl, 215, "FLOW_CONTROL", false},
	}
	for _, c := range cases {
		if c.code != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.code, c.want)
		}
		got := ResponseName(c.code)
		if c.req {
			got = RequestName(c.code)
		}
		if got != c.name {
			t.Errorf("name of %d = %q, want %q", c.code, got, c.name)
		}
	}
	if RequestName(9999) != "UNKNOWN(9999)" || ResponseName(-1) != "UNKNOWN(-1)" {
		t.Errorf("unknown codes: %q %q", RequestName(9999), ResponseName(-1))
	}
}

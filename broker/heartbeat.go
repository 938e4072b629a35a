package broker

import (
	"errors"
	"strconv"

	jsoniter "github.com/json-iterator/go"
)

// Heartbeat bodies (HeartbeatData) as the clients write them:
//
//	Java: {"clientID":"ip@pid#nanos","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",
//	       "consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING",
//	       "subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG",
//	       "subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T"}],"unitMode":false}],
//	       "producerDataSet":[{"groupName":"PG"}]}
//	Go:   the same names in struct order, codeSet elements as strings ("2598919") and subVersion
//	       in nanoseconds.
//
// The decoder accepts both, in any property order, and ignores unknown properties (5.x adds
// heartbeatFingerprint and withoutSub).

var hbJSON = jsoniter.Config{EscapeHTML: false}.Froze()

type heartbeatData struct {
	ClientID        string         `json:"clientID"`
	ConsumerDataSet []consumerData `json:"consumerDataSet"`
	ProducerDataSet []producerData `json:"producerDataSet"`
}

type producerData struct {
	GroupName string `json:"groupName"`
}

type consumerData struct {
	GroupName           string             `json:"groupName"`
	ConsumeType         string             `json:"consumeType"`
	MessageModel        string             `json:"messageModel"`
	ConsumeFromWhere    string             `json:"consumeFromWhere"`
	SubscriptionDataSet []subscriptionJSON `json:"subscriptionDataSet"`
	UnitMode            bool               `json:"unitMode"`
}

type subscriptionJSON struct {
	ClassFilterMode bool        `json:"classFilterMode"`
	Topic           string      `json:"topic"`
	SubString       string      `json:"subString"`
	TagsSet         []string    `json:"tagsSet"`
	CodeSet         []flexInt32 `json:"codeSet"`
	SubVersion      int64       `json:"subVersion"`
	ExpressionType  string      `json:"expressionType"`
}

func (s *subscriptionJSON) toSubscriptionData() *SubscriptionData {
	codes := make([]int32, len(s.CodeSet))
	for i, c := range s.CodeSet {
		codes[i] = int32(c)
	}
	return &SubscriptionData{Topic: s.Topic, SubString: s.SubString, TagsSet: s.TagsSet, CodeSet: codes,
		SubVersion: s.SubVersion, ExpressionType: s.ExpressionType, ClassFilterMode: s.ClassFilterMode}
}

// flexInt32 is a tag hash code written as a JSON number (Java) or a string (Go).
type flexInt32 int32

func (f *flexInt32) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' {
		b = b[1 : len(b)-1]
	}
	n, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil {
		return errors.New("codeSet element " + strconv.Quote(string(b)) + " is not an int32")
	}
	*f = flexInt32(n)
	return nil
}

func decodeHeartbeat(body []byte) (*heartbeatData, error) {
	if len(body) == 0 {
		return nil, errors.New("empty body")
	}
	var hb heartbeatData
	if err := hbJSON.Unmarshal(body, &hb); err != nil {
		return nil, err
	}
	return &hb, nil
}

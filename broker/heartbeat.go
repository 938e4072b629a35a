package broker

import (
	"errors"

	jsoniter "github.com/json-iterator/go"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// metaJSON decodes the broker's own JSON files and the few admin bodies that have no typed
// decoder in remoting/protocol.
var metaJSON = jsoniter.Config{EscapeHTML: false}.Froze()

// decodeHeartbeat reads a HEART_BEAT body with protocol.HeartbeatData, which accepts the Java
// (4.9.x, 5.x) and Go clients' forms: codeSet numbers or numeric strings, subVersion in ms or
// ns, any property order, unknown properties ignored.
func decodeHeartbeat(body []byte) (*protocol.HeartbeatData, error) {
	if len(body) == 0 {
		return nil, errors.New("empty body")
	}
	var hb protocol.HeartbeatData
	if err := hb.Unmarshal(body); err != nil {
		return nil, err
	}
	return &hb, nil
}

// subscriptionFrom copies a decoded subscription into the client manager's own record, which
// outlives the request body.
func subscriptionFrom(s *protocol.SubscriptionData) *SubscriptionData {
	return &SubscriptionData{Topic: s.Topic, SubString: s.SubString, TagsSet: s.TagsSet, CodeSet: []int32(s.CodeSet),
		SubVersion: s.SubVersion, ExpressionType: s.ExpressionType, ClassFilterMode: s.ClassFilterMode}
}

package broker

import (
	"strconv"
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// TestGetConsumerStatus: 223 fans out 221 to the group's consumers and gathers their offsets
// per clientId; clientAddr narrows it to one client; an offline group gets 1.
func TestGetConsumerStatus(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, nil)
	db.topic("CS", 2)
	resp := db.invoke(adminReq(protocol.InvokeBrokerToGetConsumerStatus, nil, "topic", "CS", "group", "CSG"))
	mustCode(t, resp, protocol.SystemError)
	if resp.Remark != "No Any Consumer online in the consumer group: [CSG]" {
		t.Errorf("remark %q", resp.Remark)
	}
	for i, id := range []string{"127.0.0.1@a", "127.0.0.1@b"} {
		c := newConsumerClient(t, db, id, "CSG", "CS")
		offset := 40 + i
		c.cli.Handle(protocol.GetConsumerStatusFromClient, remoting.ProcessorFunc(func(ch remoting.Channel, req *remoting.Command) *remoting.Command {
			r := remoting.NewResponse(req, protocol.Success, "")
			if req.ExtFields.Value("topic") != "CS" || req.ExtFields.Value("group") != "CSG" {
				r.Code = protocol.SystemError
				return r
			}
			// The Go client's hand-built fastjson form.
			r.Body = []byte(`{"messageQueueTable":{{"topic":"CS","brokerName":"broker-t","queueId":1}:` +
				strconv.Itoa(offset) + `}}`)
			return r
		}))
	}
	resp = db.invoke(adminReq(protocol.InvokeBrokerToGetConsumerStatus, nil, "topic", "CS", "group", "CSG"))
	mustCode(t, resp, protocol.Success)
	var body protocol.GetConsumerStatusBody
	if err := body.Unmarshal(resp.Body); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	mq := protocol.MessageQueue{Topic: "CS", BrokerName: "broker-t", QueueID: 1}
	if len(body.ConsumerTable) != 2 || body.ConsumerTable["127.0.0.1@a"][mq] != 40 || body.ConsumerTable["127.0.0.1@b"][mq] != 41 {
		t.Errorf("consumer table %v (%s)", body.ConsumerTable, resp.Body)
	}
	resp = db.invoke(adminReq(protocol.InvokeBrokerToGetConsumerStatus, nil, "topic", "CS", "group", "CSG",
		"clientAddr", "127.0.0.1@b"))
	mustCode(t, resp, protocol.Success)
	if err := body.Unmarshal(resp.Body); err != nil {
		t.Fatal(err)
	}
	if len(body.ConsumerTable) != 1 || body.ConsumerTable["127.0.0.1@b"][mq] != 41 {
		t.Errorf("narrowed table %v", body.ConsumerTable)
	}
}

package namesrv

import (
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// decodeRegistration fills r's topic table, data version and filter servers from a
// REGISTER_BROKER body. withFilters is false only for brokers older than V3_0_11, whose body
// is the bare TopicConfigSerializeWrapper (and who send no filter-server list).
func decodeRegistration(r *Registration, body []byte, compressed, withFilters bool) error {
	if len(body) == 0 {
		// No body: a zero data version and, for current brokers, an empty filter list
		// (Java's RegisterBrokerBody starts with one).
		r.HasFilterServers = withFilters
		return nil
	}
	if !withFilters {
		var w protocol.TopicConfigSerializeWrapper
		if err := w.Unmarshal(body); err != nil {
			return err
		}
		r.DataVersion, r.TopicConfigs = w.DataVersion, w.TopicConfigTable
		return nil
	}
	rb, err := protocol.UnmarshalRegisterBrokerBody(body, compressed)
	if err != nil {
		return err
	}
	w := &rb.TopicConfigSerializeWrapper
	r.DataVersion, r.TopicConfigs = w.DataVersion, w.TopicConfigTable
	// A body without the property still clears the broker's filter servers, as in Java.
	r.FilterServers, r.HasFilterServers = rb.FilterServerList, true
	return nil
}

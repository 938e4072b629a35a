package namesrv

import (
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Request versions that change what the NameServer does (MQVersion ordinals).
const (
	versionV3_0_11 = 37  // REGISTER_BROKER bodies carry filter servers from here on
	versionV4_9_4  = 401 // route answers switch to standard JSON from here on
)

// faqSuffix is what FAQUrl.suggestTodo(APPLY_TOPIC_URL) appends to a "no route" remark.
const faqSuffix = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."

type handlerFunc func(ch remoting.Channel, req *remoting.Command) *remoting.Command

// handlers maps every request code the NameServer answers to its handler; anything else is
// the server's REQUEST_CODE_NOT_SUPPORTED (3), which 5.x answers too (4.9.8 stays silent).
func (ns *NameServer) handlers() map[int32]handlerFunc {
	return map[int32]handlerFunc{
		protocol.PutKvConfig:                   ns.putKVConfig,
		protocol.GetKvConfig:                   ns.getKVConfig,
		protocol.DeleteKvConfig:                ns.deleteKVConfig,
		protocol.GetKvlistByNamespace:          ns.getKVListByNamespace,
		protocol.QueryDataVersion:              ns.queryDataVersion,
		protocol.RegisterBroker:                ns.registerBroker,
		protocol.UnregisterBroker:              ns.unregisterBroker,
		protocol.BrokerHeartbeat:               ns.brokerHeartbeat,
		protocol.GetRouteinfoByTopic:           ns.getRouteInfoByTopic,
		protocol.GetBrokerClusterInfo:          ns.getBrokerClusterInfo,
		protocol.WipeWritePermOfBroker:         ns.wipeWritePermOfBroker,
		protocol.AddWritePermOfBroker:          ns.addWritePermOfBroker,
		protocol.GetAllTopicListFromNameserver: ns.getAllTopicList,
		protocol.DeleteTopicInNamesrv:          ns.deleteTopicInNamesrv,
		protocol.GetTopicsByCluster:            ns.getTopicsByCluster,
		protocol.GetSystemTopicListFromNs:      ns.getSystemTopicList,
		protocol.GetUnitTopicList:              ns.unitTopicList(UnitTopics),
		protocol.GetHasUnitSubTopicList:        ns.unitTopicList(HasUnitSubTopics),
		protocol.GetHasUnitSubUnunitTopicList:  ns.unitTopicList(HasUnitSubNonUnitTopics),
		protocol.UpdateNamesrvConfig:           ns.updateConfig,
		protocol.GetNamesrvConfig:              ns.getConfig,
	}
}

// Process answers one request in-process (tests, embedding); the network path reaches the same
// handlers through Router.
func (ns *NameServer) Process(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	h := ns.table[req.Code]
	if h == nil {
		return remoting.NewResponse(req, protocol.RequestCodeNotSupported,
			" request type "+strconv.Itoa(int(req.Code))+" not supported")
	}
	return h(ch, req)
}

func success(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, protocol.Success, "")
}

// headerError answers a request whose header lacks a required field or has a bad number the
// way Java's failed decodeCommandCustomHeader does: SYSTEM_ERROR with the reason.
func headerError(req *remoting.Command, err error) *remoting.Command {
	return remoting.NewResponse(req, protocol.SystemError, err.Error())
}

func (ns *NameServer) remoteLog(ch remoting.Channel) *logrus.Entry {
	if ch == nil {
		return ns.log
	}
	return ns.log.WithField("remote", ch.RemoteAddr())
}

// ---- KV config ----

func (ns *NameServer) putKVConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.KVConfigHeader
	if err := h.DecodeFor(req.Code, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	if err := ns.kv.Put(h.Namespace, h.Key, h.Value); err != nil {
		// The table changed but the file did not; Java would only log this, we say so.
		return remoting.NewResponse(req, protocol.SystemError, "kv config updated in memory but not persisted: "+err.Error())
	}
	return success(req)
}

func (ns *NameServer) getKVConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.KVConfigHeader
	if err := h.DecodeFor(req.Code, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	v, ok := ns.kv.Get(h.Namespace, h.Key)
	if !ok {
		return remoting.NewResponse(req, protocol.QueryNotFound,
			"No config item, Namespace: "+h.Namespace+" Key: "+h.Key)
	}
	resp := success(req)
	resp.ExtFields = remoting.ExtFields{}
	(&protocol.GetKVConfigResponseHeader{Value: v}).Encode(&resp.ExtFields)
	return resp
}

func (ns *NameServer) deleteKVConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.KVConfigHeader
	if err := h.DecodeFor(req.Code, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	if err := ns.kv.Delete(h.Namespace, h.Key); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "kv config updated in memory but not persisted: "+err.Error())
	}
	return success(req)
}

func (ns *NameServer) getKVListByNamespace(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.KVConfigHeader
	if err := h.DecodeFor(req.Code, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	kv, ok := ns.kv.List(h.Namespace)
	if !ok {
		return remoting.NewResponse(req, protocol.QueryNotFound, "No config item, Namespace: "+h.Namespace)
	}
	resp := success(req)
	resp.Body = (&protocol.KVTable{Table: kv}).Marshal()
	return resp
}

// ---- broker registration ----

func (ns *NameServer) registerBroker(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.RegisterBrokerRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	log := ns.remoteLog(ch).WithFields(logrus.Fields{"brokerName": h.BrokerName, "brokerAddr": h.BrokerAddr,
		"brokerId": h.BrokerID, "cluster": h.ClusterName})
	if h.BodyCrc32 != 0 && protocol.BodyCRC32(req.Body) != h.BodyCrc32 {
		log.Warn("register broker: crc32 not match")
		return remoting.NewResponse(req, protocol.SystemError, "crc32 not match")
	}
	r := &Registration{
		ClusterName:  h.ClusterName,
		BrokerAddr:   h.BrokerAddr,
		BrokerName:   h.BrokerName,
		BrokerID:     h.BrokerID,
		HAServerAddr: h.HaServerAddr,
		Channel:      ch,
	}
	if h.HeartbeatTimeoutMillis > 0 {
		r.HeartbeatTimeout = time.Duration(h.HeartbeatTimeoutMillis) * time.Millisecond
	}
	if err := decodeRegistration(r, req.Body, h.Compressed, req.Version >= versionV3_0_11); err != nil {
		log.WithError(err).Warn("register broker: bad body")
		return remoting.NewResponse(req, protocol.SystemError, "Failed to decode RegisterBrokerBody: "+err.Error())
	}
	res := ns.routes.Register(r)

	resp := success(req)
	// Java's response has a custom header even when both fields are null: "extFields":{}.
	resp.ExtFields = remoting.ExtFields{}
	(&protocol.RegisterBrokerResponseHeader{HaServerAddr: res.HAServerAddr, MasterAddr: res.MasterAddr}).Encode(&resp.ExtFields)
	if kv, ok := ns.kv.List(NamespaceOrderTopicConfig); ok {
		resp.Body = (&protocol.KVTable{Table: kv}).Marshal()
	}
	return resp
}

func (ns *NameServer) unregisterBroker(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.UnRegisterBrokerRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	ns.routes.Unregister(h.ClusterName, h.BrokerAddr, h.BrokerName, h.BrokerID)
	return success(req)
}

// brokerHeartbeat is 5.x's liveness-only report (BROKER_HEARTBEAT, 904): it keeps a registered
// broker from expiring between full registrations.
func (ns *NameServer) brokerHeartbeat(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	h := protocol.Header{Ext: req.ExtFields}
	if _, err := h.Str("clusterName"); err != nil {
		return headerError(req, err)
	}
	addr, err := h.Str("brokerAddr")
	if err != nil {
		return headerError(req, err)
	}
	ns.routes.Touch(addr)
	return success(req)
}

func (ns *NameServer) queryDataVersion(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.QueryDataVersionRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	var dv DataVersion
	if err := dv.Unmarshal(req.Body); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "bad DataVersion body: "+err.Error())
	}
	changed, stored, ok := ns.routes.QueryDataVersion(h.BrokerAddr, dv)
	resp := success(req)
	resp.ExtFields = remoting.ExtFields{}
	(&protocol.QueryDataVersionResponseHeader{Changed: changed}).Encode(&resp.ExtFields)
	if ok {
		resp.Body = stored.Marshal()
	}
	return resp
}

// ---- routes and lists ----

func (ns *NameServer) getRouteInfoByTopic(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.GetRouteInfoRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	route, ok := ns.routes.Route(h.Topic)
	if !ok {
		return remoting.NewResponse(req, protocol.TopicNotExist,
			"No topic route info in name server for the topic: "+h.Topic+faqSuffix)
	}
	if ns.orderMessageEnable() {
		route.OrderTopicConf, _ = ns.kv.Get(NamespaceOrderTopicConfig, h.Topic)
	}
	resp := success(req)
	// Old clients (the Go client says 317) get fastjson's default form with bare id keys;
	// 4.9.4+ Java clients the standard form.
	resp.Body = route.Marshal(req.Version >= versionV4_9_4 || h.AcceptStandardJSONOnly)
	return resp
}

func (ns *NameServer) getBrokerClusterInfo(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = ns.routes.ClusterInfo().Marshal()
	return resp
}

func (ns *NameServer) getAllTopicList(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = (&protocol.TopicList{TopicList: ns.routes.AllTopics()}).Marshal()
	return resp
}

func (ns *NameServer) getTopicsByCluster(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.GetTopicsByClusterRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	resp := success(req)
	resp.Body = (&protocol.TopicList{TopicList: ns.routes.TopicsByCluster(h.Cluster)}).Marshal()
	return resp
}

func (ns *NameServer) getSystemTopicList(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	topics, addr := ns.routes.SystemTopics()
	resp := success(req)
	resp.Body = (&protocol.TopicList{TopicList: topics, BrokerAddr: addr}).Marshal()
	return resp
}

func (ns *NameServer) unitTopicList(kind UnitTopicKind) handlerFunc {
	return func(ch remoting.Channel, req *remoting.Command) *remoting.Command {
		resp := success(req)
		resp.Body = (&protocol.TopicList{TopicList: ns.routes.UnitTopicList(kind)}).Marshal()
		return resp
	}
}

// ---- admin ----

func (ns *NameServer) wipeWritePermOfBroker(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.BrokerNameHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	n := ns.routes.WipeWritePerm(h.BrokerName)
	ns.remoteLog(ch).WithFields(logrus.Fields{"brokerName": h.BrokerName, "topics": n}).Info("wipe write perm of broker")
	resp := success(req)
	resp.ExtFields = remoting.ExtFields{}
	(&protocol.WipeWritePermOfBrokerResponseHeader{WipeTopicCount: int32(n)}).Encode(&resp.ExtFields)
	return resp
}

func (ns *NameServer) addWritePermOfBroker(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.BrokerNameHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	n := ns.routes.AddWritePerm(h.BrokerName)
	ns.remoteLog(ch).WithFields(logrus.Fields{"brokerName": h.BrokerName, "topics": n}).Info("add write perm of broker")
	resp := success(req)
	resp.ExtFields = remoting.ExtFields{}
	(&protocol.AddWritePermOfBrokerResponseHeader{AddTopicCount: int32(n)}).Encode(&resp.ExtFields)
	return resp
}

func (ns *NameServer) deleteTopicInNamesrv(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.DeleteTopicFromNamesrvRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	ns.routes.DeleteTopic(h.Topic, h.ClusterName)
	ns.remoteLog(ch).WithFields(logrus.Fields{"topic": h.Topic, "cluster": h.ClusterName}).Info("delete topic in namesrv")
	return success(req)
}

// updateConfig applies a properties-text body to the config (UPDATE_NAMESRV_CONFIG). As in
// Java, a black-listed key refuses the whole update with NO_PERMISSION, and keys no config
// field has are ignored; unlike Java, a value that does not parse is refused with a remark
// instead of being dropped silently.
func (ns *NameServer) updateConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	if len(req.Body) == 0 {
		return success(req)
	}
	props, err := conf.ParseProperties(req.Body)
	if err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "string2Properties error")
	}
	// cfgWriteMu keeps updates and their file writes in order; cfgMu is held only while the
	// struct changes, because route lookups on the event loop read it.
	ns.cfgWriteMu.Lock()
	defer ns.cfgWriteMu.Unlock()
	ns.cfgMu.RLock()
	black := ns.blackListLocked()
	for _, p := range props {
		if black[p.Key] {
			ns.cfgMu.RUnlock()
			return remoting.NewResponse(req, protocol.NoPermission, "Can not update config in black list.")
		}
	}
	// Validate everything on a copy first so a bad value changes nothing.
	next := *ns.cfg
	ns.cfgMu.RUnlock()
	known := make(map[string]bool)
	for _, k := range conf.Keys(&next) {
		known[k] = true
	}
	next.Extra = append([]conf.Property(nil), next.Extra...)
	var applied []string
	for _, p := range props {
		if !known[p.Key] {
			// Java merges a key no field has only if the config file had it.
			for i := range next.Extra {
				if next.Extra[i].Key == p.Key {
					next.Extra[i].Value = p.Value
					applied = append(applied, p.Key)
				}
			}
			continue
		}
		if err := conf.Set(&next, p.Key, p.Value); err != nil {
			return remoting.NewResponse(req, protocol.SystemError, err.Error())
		}
		applied = append(applied, p.Key)
	}
	ns.cfgMu.Lock()
	*ns.cfg = next
	text := ns.configTextLocked()
	ns.cfgMu.Unlock()
	ns.remoteLog(ch).WithField("keys", applied).Info("name server config updated")
	if next.ConfigStorePath != "" {
		if err := writeConfigFile(next.ConfigStorePath, []byte(text)); err != nil {
			ns.log.WithError(err).WithField("path", next.ConfigStorePath).Warn("persist name server config")
		}
	}
	return success(req)
}

func (ns *NameServer) blackListLocked() map[string]bool {
	black := map[string]bool{"configBlackList": true, "configStorePath": true, "kvConfigPath": true, "rocketmqHome": true}
	for _, k := range strings.Split(ns.cfg.ConfigBlackList, ";") {
		if k = strings.TrimSpace(k); k != "" {
			black[k] = true
		}
	}
	return black
}

func (ns *NameServer) getConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = []byte(ns.configText())
	return resp
}

// configText renders the config as properties text (escaped so Properties.load reads it back
// exactly), the GET_NAMESRV_CONFIG body and the configStorePath file: every field, then the
// config file's keys no field has, as Java's Configuration keeps them.
func (ns *NameServer) configText() string {
	ns.cfgMu.RLock()
	defer ns.cfgMu.RUnlock()
	return ns.configTextLocked()
}

func (ns *NameServer) configTextLocked() string {
	props := conf.Properties(ns.cfg)
	props = append(props, ns.cfg.Extra...)
	return string(conf.FormatProperties(props))
}

func (ns *NameServer) orderMessageEnable() bool {
	ns.cfgMu.RLock()
	defer ns.cfgMu.RUnlock()
	return ns.cfg.OrderMessageEnable
}

package namesrv

// JSON bodies the NameServer reads and writes, in the exact shapes fastjson 1.2.69 gives Java
// 4.9.8: compact, properties in alphabetical order, null properties left out.
//
// TODO(protocol): move the route/cluster/topic-list/KV encoders and the register-body decoder
// to remoting/protocol once it has the JSON bodies; they live here because the NameServer
// needed them before that package had them.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendJSONString appends s as a JSON string. With ascii set every non-ASCII rune is written
// as \uXXXX (fastjson's BrowserCompatible), otherwise UTF-8 passes through as fastjson does.
func appendJSONString(b []byte, s string, ascii bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !ascii && r != utf8.RuneError {
			b = append(b, s[i:i+size]...)
			i += size
			continue
		}
		var units []rune
		if r >= 0x10000 {
			r -= 0x10000
			units = []rune{0xD800 + (r >> 10), 0xDC00 + (r & 0x3FF)}
		} else {
			units = []rune{r}
		}
		for _, u := range units {
			b = append(b, '\\', 'u', hex[u>>12&0xF], hex[u>>8&0xF], hex[u>>4&0xF], hex[u&0xF])
		}
		i += size
	}
	return append(b, '"')
}

// appendBrokerData writes BrokerData. quoteIDs selects the standard form of the id map
// ({"0":…}); fastjson's default writes Long keys bare ({0:…}), which is not valid JSON but is
// what every 4.9.8 reader and the Go client accept.
func appendBrokerData(b []byte, bd *BrokerData, quoteIDs, ascii bool) []byte {
	ids := make([]int64, 0, len(bd.BrokerAddrs))
	for id := range bd.BrokerAddrs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	b = append(b, `{"brokerAddrs":{`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		if quoteIDs {
			b = append(b, '"')
		}
		b = strconv.AppendInt(b, id, 10)
		if quoteIDs {
			b = append(b, '"')
		}
		b = append(b, ':')
		b = appendJSONString(b, bd.BrokerAddrs[id], ascii)
	}
	b = append(b, `},"brokerName":`...)
	b = appendJSONString(b, bd.BrokerName, ascii)
	b = append(b, `,"cluster":`...)
	b = appendJSONString(b, bd.Cluster, ascii)
	return append(b, '}')
}

func appendStringList(b []byte, list []string, ascii bool) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s, ascii)
	}
	return append(b, ']')
}

// encodeRoute writes TopicRouteData:
//
//	{"brokerDatas":[BrokerData…],"filterServerTable":{addr:[…]},"orderTopicConf":"…","queueDatas":[QueueData…]}
//
// standard selects what Java sends to clients of version ≥ V4_9_4 or with
// acceptStandardJsonOnly: quoted id keys and ASCII-only text. orderTopicConf is left out when "".
func encodeRoute(r *TopicRoute, orderTopicConf string, standard bool) []byte {
	b := make([]byte, 0, 128+160*len(r.BrokerDatas)+100*len(r.QueueDatas))
	b = append(b, `{"brokerDatas":[`...)
	for i := range r.BrokerDatas {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBrokerData(b, &r.BrokerDatas[i], standard, standard)
	}
	b = append(b, `],"filterServerTable":{`...)
	for i, addr := range sortedKeys(r.FilterServerTable) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, addr, standard)
		b = append(b, ':')
		b = appendStringList(b, r.FilterServerTable[addr], standard)
	}
	b = append(b, '}')
	if orderTopicConf != "" {
		b = append(b, `,"orderTopicConf":`...)
		b = appendJSONString(b, orderTopicConf, standard)
	}
	b = append(b, `,"queueDatas":[`...)
	for i := range r.QueueDatas {
		q := &r.QueueDatas[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"brokerName":`...)
		b = appendJSONString(b, q.BrokerName, standard)
		b = append(b, `,"perm":`...)
		b = strconv.AppendInt(b, int64(q.Perm), 10)
		b = append(b, `,"readQueueNums":`...)
		b = strconv.AppendInt(b, int64(q.ReadQueueNums), 10)
		b = append(b, `,"topicSysFlag":`...)
		b = strconv.AppendInt(b, int64(q.TopicSysFlag), 10)
		b = append(b, `,"writeQueueNums":`...)
		b = strconv.AppendInt(b, int64(q.WriteQueueNums), 10)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// encodeClusterInfo writes ClusterInfo in fastjson's default form (bare id keys), which is
// what 4.9.8 always sends for GET_BROKER_CLUSTER_INFO:
//
//	{"brokerAddrTable":{name:BrokerData},"clusterAddrTable":{cluster:[name…]}}
func encodeClusterInfo(ci *ClusterInfo) []byte {
	b := make([]byte, 0, 64+160*len(ci.BrokerAddrTable))
	b = append(b, `{"brokerAddrTable":{`...)
	for i, name := range sortedKeys(ci.BrokerAddrTable) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name, false)
		b = append(b, ':')
		bd := ci.BrokerAddrTable[name]
		b = appendBrokerData(b, &bd, false, false)
	}
	b = append(b, `},"clusterAddrTable":{`...)
	for i, cluster := range sortedKeys(ci.ClusterAddrTable) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, cluster, false)
		b = append(b, ':')
		b = appendStringList(b, ci.ClusterAddrTable[cluster], false)
	}
	return append(b, "}}"...)
}

// encodeTopicList writes TopicList: {"brokerAddr":"…","topicList":[…]}, brokerAddr only when set.
func encodeTopicList(topics []string, brokerAddr string) []byte {
	b := make([]byte, 0, 16+24*len(topics))
	b = append(b, '{')
	if brokerAddr != "" {
		b = append(b, `"brokerAddr":`...)
		b = appendJSONString(b, brokerAddr, false)
		b = append(b, ',')
	}
	b = append(b, `"topicList":`...)
	b = appendStringList(b, topics, false)
	return append(b, '}')
}

// encodeKVTable writes KVTable: {"table":{k:v}} with keys sorted.
func encodeKVTable(kv map[string]string) []byte {
	b := make([]byte, 0, 16+32*len(kv))
	b = append(b, `{"table":{`...)
	for i, k := range sortedKeys(kv) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k, false)
		b = append(b, ':')
		b = appendJSONString(b, kv[k], false)
	}
	return append(b, "}}"...)
}

// encodeDataVersion writes DataVersion: {"counter":n,"timestamp":ms}.
func encodeDataVersion(dv DataVersion) []byte {
	b := make([]byte, 0, 48)
	b = append(b, `{"counter":`...)
	b = strconv.AppendInt(b, dv.Counter, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, dv.Timestamp, 10)
	return append(b, '}')
}

// jsonDataVersion is DataVersion as Java writes it; 5.x adds stateVersion, which 4.9.8
// ignores and so do we.
type jsonDataVersion struct {
	Counter   int64 `json:"counter"`
	Timestamp int64 `json:"timestamp"`
}

type jsonTopicConfig struct {
	TopicName      string `json:"topicName"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	WriteQueueNums int32  `json:"writeQueueNums"`
	Perm           int32  `json:"perm"`
	TopicSysFlag   int32  `json:"topicSysFlag"`
}

type jsonTopicConfigWrapper struct {
	DataVersion      jsonDataVersion            `json:"dataVersion"`
	TopicConfigTable map[string]jsonTopicConfig `json:"topicConfigTable"`
}

type jsonRegisterBody struct {
	FilterServerList []string                `json:"filterServerList"`
	Wrapper          *jsonTopicConfigWrapper `json:"topicConfigSerializeWrapper"`
}

// registerBody is a decoded REGISTER_BROKER body.
type registerBody struct {
	dataVersion      DataVersion
	topics           []TopicQueueConfig
	filterServers    []string
	hasFilterServers bool
}

func (w *jsonTopicConfigWrapper) into(rb *registerBody) {
	rb.dataVersion = DataVersion{Timestamp: w.DataVersion.Timestamp, Counter: w.DataVersion.Counter}
	for _, name := range sortedKeys(w.TopicConfigTable) {
		tc := w.TopicConfigTable[name]
		if tc.TopicName == "" {
			tc.TopicName = name
		}
		rb.topics = append(rb.topics, TopicQueueConfig(tc))
	}
}

// decodeRegisterBody decodes a REGISTER_BROKER body. withFilters is false only for brokers
// older than V3_0_11, whose body is the bare TopicConfigSerializeWrapper.
func decodeRegisterBody(body []byte, compressed, withFilters bool) (*registerBody, error) {
	rb := &registerBody{}
	if !withFilters {
		var w jsonTopicConfigWrapper
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, err
		}
		w.into(rb)
		return rb, nil
	}
	if compressed {
		return decodeCompressedRegisterBody(body)
	}
	var j jsonRegisterBody
	if err := json.Unmarshal(body, &j); err != nil {
		return nil, err
	}
	if j.Wrapper != nil {
		j.Wrapper.into(rb)
	}
	// Java's RegisterBrokerBody starts with an empty list, so a body without the property
	// still clears the broker's filter servers.
	rb.filterServers, rb.hasFilterServers = j.FilterServerList, true
	return rb, nil
}

// maxCompressedPart bounds each length-prefixed part of a compressed body, so a bad length
// cannot make us allocate gigabytes.
const maxCompressedPart = 16 << 20

// decodeCompressedRegisterBody reads the compressRegister form: a zlib stream of
//
//	+--------+-------------------+--------+----------------------------------+--------+------------------+
//	| int32 n| DataVersion JSON  | int32 k| k × (int32 len, TopicConfig text)| int32 m| filter list JSON |
//	+--------+-------------------+--------+----------------------------------+--------+------------------+
//
// all big-endian, where TopicConfig text is "name readQueueNums writeQueueNums perm
// topicFilterType" (5.x appends " <attributes JSON>"); order and topicSysFlag do not travel.
func decodeCompressedRegisterBody(body []byte) (*registerBody, error) {
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	readPart := func(what string) ([]byte, error) {
		var n int32
		if err := binary.Read(zr, binary.BigEndian, &n); err != nil {
			return nil, fmt.Errorf("%s length: %w", what, err)
		}
		if n < 0 || n > maxCompressedPart {
			return nil, fmt.Errorf("%s length %d out of range", what, n)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(zr, buf); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return buf, nil
	}
	rb := &registerBody{hasFilterServers: true}
	dvText, err := readPart("dataVersion")
	if err != nil {
		return nil, err
	}
	var dv jsonDataVersion
	if err := json.Unmarshal(dvText, &dv); err != nil {
		return nil, fmt.Errorf("dataVersion: %w", err)
	}
	rb.dataVersion = DataVersion{Timestamp: dv.Timestamp, Counter: dv.Counter}
	var count int32
	if err := binary.Read(zr, binary.BigEndian, &count); err != nil {
		return nil, fmt.Errorf("topic count: %w", err)
	}
	if count < 0 || count > 1<<20 {
		return nil, fmt.Errorf("topic count %d out of range", count)
	}
	for i := int32(0); i < count; i++ {
		text, err := readPart("topic config")
		if err != nil {
			return nil, err
		}
		tc, err := parseTopicConfigText(string(text))
		if err != nil {
			return nil, err
		}
		rb.topics = append(rb.topics, tc)
	}
	filters, err := readPart("filter server list")
	if err != nil {
		return nil, err
	}
	// Java logs a bad filter list and carries on with none.
	if err := json.Unmarshal(filters, &rb.filterServers); err != nil {
		rb.filterServers = nil
	}
	return rb, nil
}

// parseTopicConfigText parses TopicConfig.encode(): five space-separated fields, plus the
// attributes JSON 5.x appends.
func parseTopicConfigText(s string) (TopicQueueConfig, error) {
	f := strings.SplitN(s, " ", 6)
	if len(f) < 5 || f[0] == "" {
		return TopicQueueConfig{}, fmt.Errorf("topic config %q: want 5 fields", s)
	}
	var n [3]int32
	for i := range n {
		v, err := strconv.ParseInt(f[i+1], 10, 32)
		if err != nil {
			return TopicQueueConfig{}, fmt.Errorf("topic config %q: %w", s, err)
		}
		n[i] = int32(v)
	}
	if f[4] != "SINGLE_TAG" && f[4] != "MULTI_TAG" {
		return TopicQueueConfig{}, fmt.Errorf("topic config %q: bad topicFilterType", s)
	}
	return TopicQueueConfig{TopicName: f[0], ReadQueueNums: n[0], WriteQueueNums: n[1], Perm: n[2]}, nil
}

// decodeDataVersion reads a QUERY_DATA_VERSION body.
func decodeDataVersion(body []byte) (DataVersion, error) {
	if len(body) == 0 {
		return DataVersion{}, errors.New("empty body")
	}
	var dv jsonDataVersion
	if err := json.Unmarshal(body, &dv); err != nil {
		return DataVersion{}, err
	}
	return DataVersion{Timestamp: dv.Timestamp, Counter: dv.Counter}, nil
}

package broker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"

	jsoniter "github.com/json-iterator/go"
	"github.com/rocketgo/rocketgo/store"
)

// The broker's metadata files under <storePathRootDir>/config, in the shape fastjson 1.x
// writes them with PrettyFormat (newline after '{', TAB indentation, no space after ':',
// bean properties in alphabetical order), so a Java broker opened on our store directory reads
// them and vice versa:
//
//	topics.json            {"dataVersion":{"counter":N,"timestamp":T},"topicConfigTable":{name:TopicConfig}}
//	subscriptionGroup.json {"dataVersion":{…},"subscriptionGroupTable":{name:SubscriptionGroupConfig}}
//	consumerOffset.json    {"offsetTable":{"topic@group":{0:250,1:251}}}   ← queue ids unquoted
//
// Java iterates its (Concurrent)HashMaps when writing; we sort map keys so the files are
// deterministic. Readers accept any order, quoted or unquoted numeric keys, and unknown
// properties (5.x writes more of them).

// metaTable is the state behind one versioned config file (topics.json,
// subscriptionGroup.json): the table, its dataVersion, and the locks. The managers embed it,
// so reading, snapshotting and saving work the same way for both files.
type metaTable[V any] struct {
	fileMu  sync.Mutex // serialises writes of the file
	mu      sync.RWMutex
	table   map[string]V
	version DataVersion
}

// snapshot copies the table so that it can be encoded without holding the lock.
func (t *metaTable[V]) snapshot() (map[string]V, DataVersion) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[string]V, len(t.table))
	for k, v := range t.table {
		out[k] = v
	}
	return out, t.version
}

// loadFile reads path (or its .bak) over the entries already in the table: a stored entry
// replaces a built-in one of the same name and the stored dataVersion is adopted, as Java's
// decode does. It returns the file actually read ("" when neither exists).
func (t *metaTable[V]) loadFile(path string, decode func([]byte) (map[string]V, *DataVersion, error)) (string, error) {
	from, err := store.LoadConfigFile(path, func(data []byte) error {
		table, v, err := decode(data)
		if err != nil {
			return err
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		for k, e := range table {
			t.table[k] = e
		}
		if v != nil {
			t.version = *v
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("broker: load %s: %w", path, err)
	}
	return from, nil
}

// persistFile writes the table to path with encode.
func (t *metaTable[V]) persistFile(path string, encode func(map[string]V, DataVersion) []byte) error {
	t.fileMu.Lock()
	defer t.fileMu.Unlock()
	table, v := t.snapshot()
	return writeMetaFile(path, encode(table, v))
}

const (
	topicsFile   = "topics.json"
	groupsFile   = "subscriptionGroup.json"
	offsetsFile  = "consumerOffset.json"
	configSubdir = "config"
)

func (b *Broker) configPath(name string) string {
	return filepath.Join(b.cfg.StorePathRootDir, configSubdir, name)
}

// writeMetaFile writes data with the store's safe procedure (.tmp, .bak, rename).
func writeMetaFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return store.WriteConfigFile(path, data)
}

// prettyWriter builds fastjson's pretty form.
type prettyWriter struct {
	buf     []byte
	compact bool // wire form: no newlines, no indentation
	depth   int
	first   []bool // per open object: no member written yet
}

func (w *prettyWriter) indent() {
	if w.compact {
		return
	}
	w.buf = append(w.buf, '\n')
	for i := 0; i < w.depth; i++ {
		w.buf = append(w.buf, '\t')
	}
}

func (w *prettyWriter) open() {
	w.buf = append(w.buf, '{')
	w.depth++
	w.first = append(w.first, true)
}

func (w *prettyWriter) close() {
	w.depth--
	empty := w.first[len(w.first)-1]
	w.first = w.first[:len(w.first)-1]
	if !empty {
		w.indent()
	}
	w.buf = append(w.buf, '}')
}

func (w *prettyWriter) key(k string) {
	if !w.first[len(w.first)-1] {
		w.buf = append(w.buf, ',')
	}
	w.first[len(w.first)-1] = false
	w.indent()
	w.buf = appendJSONString(w.buf, k)
	w.buf = append(w.buf, ':')
}

func (w *prettyWriter) str(k, v string) { w.key(k); w.buf = appendJSONString(w.buf, v) }
func (w *prettyWriter) i64(k string, v int64) {
	w.key(k)
	w.buf = strconv.AppendInt(w.buf, v, 10)
}
func (w *prettyWriter) boolean(k string, v bool) { w.key(k); w.buf = strconv.AppendBool(w.buf, v) }

func (w *prettyWriter) dataVersion(d DataVersion) {
	w.key("dataVersion")
	w.open()
	w.i64("counter", d.Counter)
	w.i64("timestamp", d.Timestamp)
	w.close()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// encodeTopics renders topics.json.
func encodeTopics(table map[string]*TopicConfig, v DataVersion) []byte {
	w := &prettyWriter{buf: make([]byte, 0, 256+len(table)*200)}
	w.topicWrapper(table, v)
	return w.buf
}

// encodeRegisterBody renders the REGISTER_BROKER body (RegisterBrokerBody, compact):
// {"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{..},"topicConfigTable":{..}}}
func encodeRegisterBody(table map[string]*TopicConfig, v DataVersion) []byte {
	w := &prettyWriter{buf: make([]byte, 0, 256+len(table)*160), compact: true}
	w.open()
	w.key("filterServerList")
	w.buf = append(w.buf, "[]"...)
	w.key("topicConfigSerializeWrapper")
	w.topicWrapper(table, v)
	w.close()
	return w.buf
}

// topicWrapper writes a TopicConfigSerializeWrapper object.
func (w *prettyWriter) topicWrapper(table map[string]*TopicConfig, v DataVersion) {
	w.open()
	w.dataVersion(v)
	w.key("topicConfigTable")
	w.open()
	for _, name := range sortedKeys(table) {
		tc := table[name]
		w.key(name)
		w.open()
		w.boolean("order", tc.Order)
		w.i64("perm", int64(tc.Perm))
		w.i64("readQueueNums", int64(tc.ReadQueueNums))
		w.str("topicFilterType", tc.TopicFilterType)
		w.str("topicName", tc.TopicName)
		w.i64("topicSysFlag", int64(tc.TopicSysFlag))
		w.i64("writeQueueNums", int64(tc.WriteQueueNums))
		w.close()
	}
	w.close()
	w.close()
}

// encodeGroups renders subscriptionGroup.json.
func encodeGroups(table map[string]*SubscriptionGroupConfig, v DataVersion) []byte {
	w := &prettyWriter{buf: make([]byte, 0, 256+len(table)*320)}
	w.open()
	w.dataVersion(v)
	w.key("subscriptionGroupTable")
	w.open()
	for _, name := range sortedKeys(table) {
		g := table[name]
		w.key(name)
		w.open()
		w.i64("brokerId", g.BrokerID)
		w.boolean("consumeBroadcastEnable", g.ConsumeBroadcastEnable)
		w.boolean("consumeEnable", g.ConsumeEnable)
		w.boolean("consumeFromMinEnable", g.ConsumeFromMinEnable)
		w.str("groupName", g.GroupName)
		w.boolean("notifyConsumerIdsChangedEnable", g.NotifyConsumerIdsChangedEnable)
		w.i64("retryMaxTimes", int64(g.RetryMaxTimes))
		w.i64("retryQueueNums", int64(g.RetryQueueNums))
		w.i64("whichBrokerWhenConsumeSlowly", g.WhichBrokerWhenConsumeSlowly)
		w.close()
	}
	w.close()
	w.close()
	return w.buf
}

// encodeOffsets renders consumerOffset.json. fastjson writes Map<Integer,Long> keys bare and
// such a map on one line followed by a newline before its closing brace:
//
//	<TAB><TAB>"TopicTest@group_a":{0:250,1:251
//	<TAB><TAB>},
func encodeOffsets(table map[string]map[int32]int64) []byte {
	w := &prettyWriter{buf: make([]byte, 0, 64+len(table)*128)}
	w.open()
	w.key("offsetTable")
	w.open()
	for _, k := range sortedKeys(table) {
		q := table[k]
		w.key(k)
		ids := make([]int32, 0, len(q))
		for id := range q {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		w.buf = append(w.buf, '{')
		for i, id := range ids {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = strconv.AppendInt(w.buf, int64(id), 10)
			w.buf = append(w.buf, ':')
			w.buf = strconv.AppendInt(w.buf, q[id], 10)
		}
		w.indent()
		w.buf = append(w.buf, '}')
	}
	w.close()
	w.close()
	return w.buf
}

// quoteNumericKeys turns fastjson's bare numeric object keys ({0:250}) into strings
// ({"0":250}) so a standard JSON decoder accepts the text. It tracks string literals so digits
// inside names are left alone.
func quoteNumericKeys(in []byte) []byte {
	out := make([]byte, 0, len(in)+len(in)/8)
	inStr, esc := false, false
	expectKey := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			expectKey = false
		case c == '{' || c == ',':
			expectKey = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case expectKey && (c == '-' || (c >= '0' && c <= '9')):
			j := i + 1
			for j < len(in) && in[j] >= '0' && in[j] <= '9' {
				j++
			}
			k := j
			for k < len(in) && (in[k] == ' ' || in[k] == '\t' || in[k] == '\n' || in[k] == '\r') {
				k++
			}
			if k < len(in) && in[k] == ':' {
				out = append(out, '"')
				out = append(out, in[i:j]...)
				out = append(out, '"')
				i = j - 1
				expectKey = false
				continue
			}
			expectKey = false
		default:
			expectKey = false
		}
		out = append(out, c)
	}
	return out
}

type dataVersionJSON struct {
	Counter   int64 `json:"counter"`
	Timestamp int64 `json:"timestamp"`
}

type topicConfigJSON struct {
	TopicName       string `json:"topicName"`
	ReadQueueNums   int32  `json:"readQueueNums"`
	WriteQueueNums  int32  `json:"writeQueueNums"`
	Perm            *int32 `json:"perm"`
	TopicFilterType string `json:"topicFilterType"`
	TopicSysFlag    int32  `json:"topicSysFlag"`
	Order           bool   `json:"order"`
}

// decodeTopics parses topics.json.
func decodeTopics(data []byte) (map[string]*TopicConfig, *DataVersion, error) {
	var f struct {
		DataVersion      *dataVersionJSON            `json:"dataVersion"`
		TopicConfigTable map[string]*topicConfigJSON `json:"topicConfigTable"`
	}
	if err := metaJSON.Unmarshal(quoteNumericKeys(data), &f); err != nil {
		return nil, nil, err
	}
	out := make(map[string]*TopicConfig, len(f.TopicConfigTable))
	for name, t := range f.TopicConfigTable {
		if t == nil {
			continue
		}
		tc := &TopicConfig{TopicName: t.TopicName, ReadQueueNums: t.ReadQueueNums, WriteQueueNums: t.WriteQueueNums,
			Perm: PermRead | PermWrite, TopicFilterType: t.TopicFilterType, TopicSysFlag: t.TopicSysFlag, Order: t.Order}
		if t.Perm != nil {
			tc.Perm = *t.Perm
		}
		if tc.TopicName == "" {
			tc.TopicName = name
		}
		if tc.TopicFilterType == "" {
			tc.TopicFilterType = "SINGLE_TAG"
		}
		out[name] = tc
	}
	var v *DataVersion
	if f.DataVersion != nil {
		v = &DataVersion{Counter: f.DataVersion.Counter, Timestamp: f.DataVersion.Timestamp}
	}
	return out, v, nil
}

// decodeGroups parses subscriptionGroup.json; absent properties take Java's defaults.
func decodeGroups(data []byte) (map[string]*SubscriptionGroupConfig, *DataVersion, error) {
	var f struct {
		DataVersion            *dataVersionJSON           `json:"dataVersion"`
		SubscriptionGroupTable map[string]jsonRawProperty `json:"subscriptionGroupTable"`
	}
	if err := metaJSON.Unmarshal(quoteNumericKeys(data), &f); err != nil {
		return nil, nil, err
	}
	out := make(map[string]*SubscriptionGroupConfig, len(f.SubscriptionGroupTable))
	for name, raw := range f.SubscriptionGroupTable {
		g := NewSubscriptionGroupConfig(name)
		var j struct {
			GroupName                      *string `json:"groupName"`
			ConsumeEnable                  *bool   `json:"consumeEnable"`
			ConsumeFromMinEnable           *bool   `json:"consumeFromMinEnable"`
			ConsumeBroadcastEnable         *bool   `json:"consumeBroadcastEnable"`
			RetryQueueNums                 *int32  `json:"retryQueueNums"`
			RetryMaxTimes                  *int32  `json:"retryMaxTimes"`
			BrokerID                       *int64  `json:"brokerId"`
			WhichBrokerWhenConsumeSlowly   *int64  `json:"whichBrokerWhenConsumeSlowly"`
			NotifyConsumerIdsChangedEnable *bool   `json:"notifyConsumerIdsChangedEnable"`
		}
		if len(raw) > 0 && string(raw) != "null" {
			if err := metaJSON.Unmarshal(raw, &j); err != nil {
				return nil, nil, err
			}
		}
		setIf(&g.GroupName, j.GroupName)
		setIf(&g.ConsumeEnable, j.ConsumeEnable)
		setIf(&g.ConsumeFromMinEnable, j.ConsumeFromMinEnable)
		setIf(&g.ConsumeBroadcastEnable, j.ConsumeBroadcastEnable)
		setIf(&g.RetryQueueNums, j.RetryQueueNums)
		setIf(&g.RetryMaxTimes, j.RetryMaxTimes)
		setIf(&g.BrokerID, j.BrokerID)
		setIf(&g.WhichBrokerWhenConsumeSlowly, j.WhichBrokerWhenConsumeSlowly)
		setIf(&g.NotifyConsumerIdsChangedEnable, j.NotifyConsumerIdsChangedEnable)
		if g.GroupName == "" {
			g.GroupName = name
		}
		out[name] = g
	}
	var v *DataVersion
	if f.DataVersion != nil {
		v = &DataVersion{Counter: f.DataVersion.Counter, Timestamp: f.DataVersion.Timestamp}
	}
	return out, v, nil
}

type jsonRawProperty = jsoniter.RawMessage

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// decodeOffsets parses consumerOffset.json (quoted or bare queue ids).
func decodeOffsets(data []byte) (map[string]map[int32]int64, error) {
	var f struct {
		OffsetTable map[string]map[string]int64 `json:"offsetTable"`
	}
	if err := metaJSON.Unmarshal(quoteNumericKeys(data), &f); err != nil {
		return nil, err
	}
	out := make(map[string]map[int32]int64, len(f.OffsetTable))
	for k, q := range f.OffsetTable {
		m := make(map[int32]int64, len(q))
		for id, off := range q {
			n, err := strconv.ParseInt(id, 10, 32)
			if err != nil {
				return nil, errors.New("consumerOffset.json: queue id " + strconv.Quote(id) + " of " + k + " is not a number")
			}
			m[int32(n)] = off
		}
		out[k] = m
	}
	return out, nil
}

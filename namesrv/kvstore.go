package namesrv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// NamespaceOrderTopicConfig is the KV namespace of ordered-topic layouts: key = topic, value =
// "brokerName:queueNum;…". Route answers and REGISTER_BROKER answers carry it.
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// kvStore is the NameServer's namespace → key → value table (Java's KVConfigManager),
// persisted as {"configTable":{ns:{k:v}}} at path after every change.
type kvStore struct {
	// writeMu serialises writers from change to file, so files land in change order; mu
	// guards table only for the short in-memory part. GET_KV_CONFIG runs on the event loop
	// and must not wait for a writer's fsync. Lock order: writeMu, then mu.
	writeMu sync.Mutex
	mu      sync.RWMutex
	table   map[string]map[string]string
	path    string
	log     *logrus.Entry
}

type kvFile struct {
	ConfigTable map[string]map[string]string `json:"configTable"`
}

// loadKVStore reads path, falling back to path.bak when the file is missing, empty or
// unparsable (Java's ConfigManager.load); neither existing is an empty table. Unlike Java, a
// damaged file without a usable backup is a start-up error rather than silently lost config.
func loadKVStore(path string, log *logrus.Entry) (*kvStore, error) {
	s := &kvStore{table: make(map[string]map[string]string), path: path, log: log}
	if path == "" {
		return s, nil
	}
	from, err := store.LoadConfigFile(path, func(data []byte) error {
		var f kvFile
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
		s.table = make(map[string]map[string]string, len(f.ConfigTable))
		for ns, kv := range f.ConfigTable {
			if kv != nil {
				s.table[ns] = kv
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load kv config: %w", err)
	}
	if from != "" {
		log.WithFields(logrus.Fields{"path": from, "namespaces": len(s.table)}).Info("kv config loaded")
	}
	return s, nil
}

// Put sets namespace/key to value and persists.
func (s *kvStore) Put(namespace, key, value string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	kv := s.table[namespace]
	if kv == nil {
		kv = make(map[string]string)
		s.table[namespace] = kv
	}
	kv[key] = value
	data, err := s.snapshotLocked()
	s.mu.Unlock()
	s.log.WithFields(logrus.Fields{"namespace": namespace, "key": key, "value": value}).Info("kv config put")
	return s.persist(data, err)
}

// Delete removes namespace/key (absent is fine) and persists.
func (s *kvStore) Delete(namespace, key string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	if kv := s.table[namespace]; kv != nil {
		delete(kv, key)
	}
	data, err := s.snapshotLocked()
	s.mu.Unlock()
	s.log.WithFields(logrus.Fields{"namespace": namespace, "key": key}).Info("kv config delete")
	return s.persist(data, err)
}

// Get returns the value of namespace/key.
func (s *kvStore) Get(namespace, key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.table[namespace][key]
	return v, ok
}

// List returns a copy of namespace, or false when the namespace was never created. A
// namespace whose keys were all deleted still exists, as in Java.
func (s *kvStore) List(namespace string) (map[string]string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	kv, ok := s.table[namespace]
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(kv))
	for k, v := range kv {
		out[k] = v
	}
	return out, true
}

// snapshotLocked renders the table as the file's JSON; s.mu must be held.
func (s *kvStore) snapshotLocked() ([]byte, error) {
	if s.path == "" {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(kvFile{ConfigTable: s.table}); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// persist writes a snapshot; s.writeMu must be held.
func (s *kvStore) persist(data []byte, err error) error {
	if s.path == "" {
		return nil
	}
	if err == nil {
		err = writeConfigFile(s.path, data)
	}
	if err != nil {
		s.log.WithError(err).WithField("path", s.path).Error("persist kv config")
	}
	return err
}

// writeConfigFile writes a config file with store's safe procedure (Java's .tmp/.bak steps
// plus fsyncs), creating its directory first as Java's string2File does.
func writeConfigFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return store.WriteConfigFile(path, data)
}

package compat

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/namesrv"
)

// errServersMissing would let a build without the servers skip; the servers are always there
// now, so it is never returned.
var errServersMissing = errors.New("in-process servers missing")

// Servers are configured through Java key names (conf.Set), the same names a broker.conf or
// namesrv.properties uses, so the harness does not depend on the Go field names.

type nsHandle struct{ ns *namesrv.NameServer }

func (h nsHandle) Addr() string { return h.ns.Addr() }

func (h nsHandle) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return h.ns.Shutdown(ctx)
}

func startOurNamesrv(dir string, extra map[string]string) (namesrvHandle, error) {
	cfg := namesrv.NewConfig()
	props := map[string]string{
		"listenPort":      "0",
		"bindAddress":     "127.0.0.1",
		"kvConfigPath":    filepath.Join(dir, "kvConfig.json"),
		"configStorePath": filepath.Join(dir, "namesrv.properties"),
	}
	for k, v := range extra {
		props[k] = v
	}
	for k, v := range props {
		if err := conf.Set(cfg, k, v); err != nil {
			return nil, fmt.Errorf("namesrv config %s=%s: %w", k, v, err)
		}
	}
	ns, err := namesrv.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := ns.Start(); err != nil {
		return nil, err
	}
	return nsHandle{ns}, nil
}

type brHandle struct{ b *broker.Broker }

// CreateTopic adds a topic the way UPDATE_AND_CREATE_TOPIC does (config, data version, then a
// registration with the NameServers).
func (h brHandle) CreateTopic(topic string, queues int) error {
	h.b.Topics().UpdateTopicConfig(&broker.TopicConfig{TopicName: topic, ReadQueueNums: int32(queues),
		WriteQueueNums: int32(queues), Perm: 6, TopicFilterType: "SINGLE_TAG"})
	h.b.RegisterAll()
	return nil
}

func (h brHandle) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return h.b.Shutdown(ctx)
}

// optionalBrokerKeys only tune the test setup; a broker without them still works.
var optionalBrokerKeys = map[string]bool{"haListenPort": true, "storePathCommitLog": true,
	"mappedFileSizeCommitLog": true, "mappedFileSizeConsumeQueue": true}

// ourBrokerProps is the broker.conf (Java keys) the harness gives broker n.
func ourBrokerProps(n *brokerNode) map[string]string {
	props := map[string]string{
		"brokerClusterName":  n.Cluster,
		"brokerName":         n.Name,
		"brokerId":           "0",
		"brokerIP1":          "127.0.0.1",
		"brokerIP2":          "127.0.0.1",
		"namesrvAddr":        n.c.NamesrvAddr(),
		"listenPort":         strconv.Itoa(n.Port),
		"haListenPort":       strconv.Itoa(n.Port + 1),
		"storePathRootDir":   n.Dir,
		"storePathCommitLog": filepath.Join(n.Dir, "commitlog"),
		// Small files keep t.TempDir() cheap; the layout is the same.
		"mappedFileSizeCommitLog":    strconv.Itoa(64 << 20),
		"mappedFileSizeConsumeQueue": strconv.Itoa(20 * 30000),
	}
	for k, v := range n.Props {
		props[k] = v
	}
	return props
}

func startOurBroker(n *brokerNode) (brokerHandle, error) {
	return startFresh(n, func(n *brokerNode) (brokerHandle, error) { return startOurBrokerProps(ourBrokerProps(n)) })
}

// startOurBrokerProps starts an in-process broker from Java config keys.
func startOurBrokerProps(props map[string]string) (brokerHandle, error) {
	cfg := broker.DefaultConfig()
	for k, v := range props {
		err := conf.Set(cfg, k, v)
		if errors.Is(err, conf.ErrUnknownKey) && optionalBrokerKeys[k] {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("broker config %s=%s: %w", k, v, err)
		}
	}
	b, err := broker.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := b.Start(); err != nil {
		return nil, err
	}
	return brHandle{b}, nil
}

package main

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/remoting"
)

func TestZZProfileBroker(t *testing.T) {
	dir := t.TempDir()
	port, _ := freeBrokerPort()
	cfg := broker.DefaultConfig()
	for k, v := range map[string]string{"brokerIP1": "127.0.0.1", "brokerIP2": "127.0.0.1", "listenPort": strconv.Itoa(port),
		"storePathRootDir": dir, "namesrvAddr": "127.0.0.1:1"} {
		if err := conf.Set(cfg, k, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())
	tg := &target{brokerAddr: "127.0.0.1:" + strconv.Itoa(port), cl: remoting.NewClient(remoting.ClientConfig{})}
	if err := tg.createTopic(benchTopic, 8); err != nil {
		t.Fatal(err)
	}
	var uniq atomic.Int64
	body := make([]byte, 1024)
	mk := func(i int) workload {
		return newSendWorkload(benchTopic, 8, i, body, remoting.SerializeJSON, &uniq, "7F000001000000000000000A")
	}
	ph := sendPhase(tg.brokerAddr, nil, 4, 32, 8*time.Second, mk)
	t.Logf("4x32 %.0f/s p99 %v", ph.Rate, ph.P99)
	o := &options{queues: 8, pullBatch: 32, bodySize: 1024}
	_ = o
}

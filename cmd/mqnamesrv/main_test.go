package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/namesrv"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "namesrv.properties")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrintConfig(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"defaults", []string{"-p"}, 0, []string{"listenPort=9876\n", "orderMessageEnable=false\n", "productEnvName=center\n"}, nil},
		{"file", []string{"-c", writeConf(t, "listenPort=19876\norderMessageEnable=true\nbogusKey=1\n"), "-p"}, 0,
			[]string{"listenPort=19876\n", "orderMessageEnable=true\n"}, []string{"unknown config key ignored", "bogusKey"}},
		{"long names", []string{"--configFile", writeConf(t, "kvConfigPath=/x/kv.json\n"), "--printConfigItem"}, 0,
			[]string{"kvConfigPath=/x/kv.json\n"}, nil},
		{"bad value", []string{"-c", writeConf(t, "listenPort=98x76\n"), "-p"}, 255, nil, []string{"bad configuration", "listenPort", "98x76"}},
		{"missing file", []string{"-c", "/nonexistent/namesrv.properties"}, 255, nil, []string{"bad configuration"}},
		{"unknown flag", []string{"-z"}, 255, nil, []string{"flag provided but not defined"}},
		{"help", []string{"-h"}, 0, []string{"configFile"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tc.args, &out, &errOut, nil, nil)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, errOut.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
		})
	}
}

func TestRunServesAndStopsOnSignal(t *testing.T) {
	dir := t.TempDir()
	cfgFile := writeConf(t, "listenPort=0\nbindAddress=127.0.0.1\nkvConfigPath="+filepath.Join(dir, "kv.json")+"\n")
	stop := make(chan os.Signal, 1)
	ready := make(chan *namesrv.NameServer, 1)
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"-c", cfgFile}, &out, &errOut, stop, ready) }()
	var ns *namesrv.NameServer
	select {
	case ns = <-ready:
	case code := <-done:
		t.Fatalf("exited %d: %s", code, errOut.String())
	case <-time.After(5 * time.Second):
		t.Fatal("not ready")
	}
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	req := remoting.NewRequest(protocol.PutKvConfig, remoting.ExtFields{{Key: "namespace", Value: "n"}, {Key: "key", Value: "k"}, {Key: "value", Value: "v"}}, nil)
	resp, err := cl.Invoke(ns.Addr(), req, 3*time.Second)
	if err != nil || resp.Code != 0 {
		t.Fatalf("put kv: %v %+v", err, resp)
	}
	stop <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	if !strings.Contains(out.String(), "The Name Server boot success") || !strings.Contains(out.String(), ns.Addr()) {
		t.Errorf("start-up line missing: %s", out.String())
	}
	if data, err := os.ReadFile(filepath.Join(dir, "kv.json")); err != nil || !strings.Contains(string(data), `"k":"v"`) {
		t.Errorf("kv file: %v %s", err, data)
	}
}

package compat

import (
	"os"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/sirupsen/logrus"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childBrokerEnv); spec != "" {
		// Re-executed as a broker process for the crash tests (child_test.go).
		logrus.SetLevel(logrus.WarnLevel)
		os.Exit(runChildBroker(spec))
	}
	// The stock client logs every rebalance and heartbeat at info; our servers log through
	// logrus. Both would drown a failure's own output.
	rlog.SetLogLevel("error")
	if os.Getenv("COMPAT_VERBOSE") == "" {
		logrus.SetLevel(logrus.WarnLevel)
	}
	code := m.Run()
	if probeDir != "" {
		_ = os.RemoveAll(probeDir)
	}
	os.Exit(code)
}

//go:build !servers

package compat

import "errors"

// Until the NameServer and Broker packages expose New/Start/Shutdown, the compat tests build
// against this stub and skip; `go test -tags servers` builds servers_test.go instead.
var errServersMissing = errors.New("the in-process NameServer/Broker are not available in this build (build tag servers)")

func startOurNamesrv(dir string) (namesrvHandle, error) { return nil, errServersMissing }

func startOurBroker(b *brokerNode) (brokerHandle, error) { return nil, errServersMissing }

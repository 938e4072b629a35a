// Package compat holds end-to-end tests that drive our NameServer and Broker with stock
// RocketMQ clients: rocketmq-client-go/v2 in-process, and the Java client and mqadmin from
// ../shared/java when a Java runtime is present. It is its own module so that the servers'
// go.mod never depends on a client library.
package compat

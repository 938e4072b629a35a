// Package compat holds end-to-end tests that drive our NameServer and Broker with stock
// RocketMQ clients: rocketmq-client-go/v2 in-process, and the Java client and mqadmin from
// ../shared/java when a Java runtime is present. It is its own module so that the servers'
// go.mod never depends on a client library.
//
// Where it sits in the flow: it is the outermost check. Nothing here is imported by the
// servers; the tests start them in-process and talk to them only over TCP on 127.0.0.1, as a
// user's clients would.
//
//	stock Go client ─┐
//	stock Java client (CompatProbe, SemanticsProbe) ─┼─▶ NameServer ◀─ REGISTER ─ Broker(s), store in t.TempDir()
//	stock mqadmin ───┤                                   (namesrv.New)            (broker.New, restartable)
//	rawConn (our own minimal JSON-frame client) ─┘
//
// The pieces:
//
//   - harness_test.go: cluster = one NameServer + N broker groups on free loopback ports
//     (brokerIP1/2 = 127.0.0.1, listenPort with listenPort-2 and +1 also free), Stop/Start/Restart
//     of a broker on the same port and store, topic creation through UPDATE_AND_CREATE_TOPIC,
//     waits bounded everywhere, and delivery bookkeeping that asserts "exactly these messages,
//     each exactly n times".
//   - servers_test.go: the only file that knows the server packages; it configures them by Java
//     key names through conf.Set, so a renamed Go field does not break the suite.
//   - javaservers_test.go: with COMPAT_TARGET=java the same tests run against the stock Java
//     4.9.8 NameServer and Broker instead, which is how every expectation here was checked
//     against Java's real behaviour (and the base for differential tests).
//   - raw_test.go, traps_test.go: a client independent of our remoting package, and the
//     client-visible traps of remoting-protocol.md §11.
//   - goclient_test.go, java_test.go (+ java/CompatProbe.java): the stock clients.
//   - semantics_test.go, filter_query_test.go (Go client) and java_semantics_test.go
//     (+ java/SemanticsProbe.java, run with the 4.9.8 and the 5.3.3 Java client): retry and
//     dead letters, delay, transactions, orderly, SQL92 and queries, each asserting exact
//     delivery and the properties the broker leaves on each path.
//   - differential_test.go: the same scenarios against our servers and the stock Java broker
//     side by side, compared observation by observation.
//   - admin_test.go: the stock mqadmin against our servers, and our cmd/mqadmin's output
//     compared with the stock tool's for the same state.
//   - ha_test.go, crash_test.go, child_test.go, bench_test.go: master/slave replication,
//     killed processes, and the end-to-end load run of `make bench`.
//
// Environment: COMPAT_TARGET=java (run against the stock servers), COMPAT_VERBOSE=1 (keep the
// servers' info logs). The Java tests skip, saying why, without `java` or ../shared/java.
package compat

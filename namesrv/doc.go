// Package namesrv is rocketgo's NameServer: the registry brokers report to and clients ask for
// routes.
//
// Where it sits in the flow:
//
//	broker ──REGISTER_BROKER every 30 s──▶ remoting server ──▶ processors ──▶ RouteTable
//	client ──GET_ROUTEINFO_BY_TOPIC──────▶ remoting server ──▶ processors ──▶ RouteTable (read lock)
//	mqadmin ──KV / perm / topic codes────▶ remoting server ──▶ processors ──▶ RouteTable, kvStore
//	HTTP GET /rocketmq/nsaddr ───────────▶ address endpoint (optional port) ──▶ our own address list
//
// The state model follows Java 4.9.8's RouteInfoManager: clusters hold broker names, a broker
// name holds one address per broker id, a topic holds one QueueData per broker name (built only
// from master registrations), and every broker address has a liveness record. Brokers silent
// for 120 s, or whose connection closes, are removed at once with everything only they held.
// Each NameServer stands alone: there is no replication between NameServers; brokers register
// with all of them.
package namesrv

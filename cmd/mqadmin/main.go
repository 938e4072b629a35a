// Command mqadmin is rocketgo's administration tool: the subcommands, options and output
// layout of RocketMQ 4.9.8's Java mqadmin (admin-protocol.md §2), talking the same remoting
// protocol to any RocketMQ NameServer and broker (ours or Java's), but starting in
// milliseconds instead of a JVM's seconds.
//
// Where it sits in the flow:
//
//	mqadmin <cmd> -n ns ─GET_BROKER_CLUSTER_INFO / GET_ROUTEINFO_BY_TOPIC / KV…─▶ NameServer
//	                   ─admin codes (17, 26, 28, 202, 208, …)──────────────────▶ brokers
//
// Output is Java's byte for byte for the same state, maps included: where Java prints a
// HashMap/HashSet/Properties it decoded, the rows come in that map's iteration order
// (javaSetOrder, javaCHMOrder, hashOrderMQs). compat's TestGoMqadminMatchesJava holds every
// subcommand of issue 7 to that against the stock 4.9.8 tool.
//
// Differences from Java, on purpose: an error exits with status 1 and one line on stderr
// ("<Class> command failed: CODE: 17  DESC: …", Java's exception message and its cause's)
// instead of a stack trace and status 0; a usage error adds its reason on stderr to the usage
// Java prints; an unknown -c cluster fails instead of printing "[error] …" and going on as if
// the cluster had no brokers.
package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

func main() {
	logrus.SetLevel(logrus.WarnLevel)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// option is one commons-cli option of a subcommand.
type option struct {
	short, long string
	hasArg      bool
	required    bool
	desc        string
	// group marks the members of the command's one required OptionGroup (updateTopic's
	// -b | -c): exactly one of them must be given.
	group bool
}

// command is one subcommand.
type command struct {
	name, desc string
	opts       []option
	run        func(c *ctx) error
}

// ctx is what a running subcommand sees: its parsed options, the output and the admin client.
type ctx struct {
	cmd    *command
	vals   map[string]string // by short name
	out    io.Writer
	errOut io.Writer
	adm    *admin
}

func (c *ctx) has(short string) bool { _, ok := c.vals[short]; return ok }
func (c *ctx) get(short string) string {
	return strings.TrimSpace(c.vals[short])
}
func (c *ctx) printf(format string, a ...any) { fmt.Fprintf(c.out, format, a...) }

// usageError makes the command print its usage (Java: ServerUtil.printCommandLineHelp).
var errUsage = errors.New("usage")

var commands []*command

func register(c *command) { commands = append(commands, c) }

func find(name string) *command {
	for _, c := range commands {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

func run(args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		printHelp(out)
		return 0
	}
	// Java treats "help" as a command name unless exactly one word follows it.
	if args[0] == "help" && len(args) == 2 {
		if c := find(args[1]); c != nil {
			printUsage(out, c)
			return 0
		}
		fmt.Fprintf(out, "The sub command %s not exist.\n", args[1])
		return 1
	}
	c := find(args[0])
	if c == nil {
		fmt.Fprintf(out, "The sub command %s not exist.\n", args[0])
		return 1
	}
	// Like commons-cli, a parse error (checked before -h) prints the usage and fails; the
	// reason, which Java does not print, goes to stderr.
	vals, err := parseOptions(c, args[1:])
	if err != nil {
		fmt.Fprintln(errOut, err)
		printUsage(out, c)
		return 1
	}
	if _, ok := vals["h"]; ok {
		printUsage(out, c)
		return 0
	}
	nsList := vals["n"]
	if nsList == "" {
		nsList = os.Getenv("NAMESRV_ADDR")
	}
	adm := newAdmin(nsList)
	defer adm.close()
	x := &ctx{cmd: c, vals: vals, out: out, errOut: errOut, adm: adm}
	if err := c.run(x); err != nil {
		if errors.Is(err, errUsage) {
			printUsage(errOut, c)
			return 1
		}
		fmt.Fprintf(errOut, "%s: %v\n", failedText(c.name), err)
		return 1
	}
	return 0
}

// javaClass names the Java classes that are not <Name>SubCommand (typos included: they are
// what Java prints).
var javaClass = map[string]string{
	"brokerConsumeStats": "BrokerConsumeStatsSubCommad", "cleanUnusedTopic": "CleanUnusedTopicCommand",
	"getBrokerConfig": "GetBrokerConfigCommand", "deleteSubGroup": "DeleteSubscriptionGroupCommand",
	"consumeMessage": "ConsumeMessageCommand", "sendMessage": "SendMessageCommand",
	"deleteKvConfig": "DeleteKvConfigCommand", "updateKvConfig": "UpdateKvConfigCommand",
	"getNamesrvConfig": "GetNamesrvConfigCommand", "updateNamesrvConfig": "UpdateNamesrvConfigCommand",
	"cloneGroupOffset": "CloneGroupOffsetCommand", "resetOffsetByTime": "ResetOffsetByTimeCommand",
	"queryCq": "QueryConsumeQueueCommand", "updateOrderConf": "UpdateOrderConfCommand",
	"skipAccumulatedMessage": "SkipAccumulationSubCommand", "topicClusterList": "TopicClusterSubCommand",
	"sendMsgStatus": "SendMsgStatusCommand", "checkMsgSendRT": "CheckMsgSendRTCommand",
	"clusterRT": "CLusterSendMsgRTCommand", "printMsgByQueue": "PrintMessageByQueueCommand",
	"printMsg": "PrintMessageSubCommand",
}

// failedText is the message of Java's SubCommandException for the command: "<Class> command
// failed", with the two spellings a few classes use.
func failedText(name string) string {
	class, ok := javaClass[name]
	if !ok {
		class = strings.ToUpper(name[:1]) + name[1:] + "SubCommand"
	}
	switch name {
	case "addWritePerm":
		return class + "command failed"
	case "deleteExpiredCommitLog":
		return class + " command execute failed."
	}
	return class + " command failed"
}

// allOptions is ServerUtil's -h and -n, then the command's own; a command's option with the
// same letter replaces the common one, as Options.addOption does.
func allOptions(c *command) []option {
	var out []option
	for _, o := range []option{{short: "h", long: "help", desc: "Print help"},
		{short: "n", long: "namesrvAddr", hasArg: true, desc: "Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'"}} {
		if !slices.ContainsFunc(c.opts, func(x option) bool { return x.short == o.short }) {
			out = append(out, o)
		}
	}
	return append(out, c.opts...)
}

// parseOptions reads `-x value`, `-xvalue`, `--long value` and `--long=value`, and checks the
// required options, as commons-cli's PosixParser does for mqadmin.
func parseOptions(c *command, args []string) (map[string]string, error) {
	opts := allOptions(c)
	vals := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return nil, fmt.Errorf("Unrecognized argument: %s", a)
		}
		var o *option
		var inline string
		hasInline := false
		if strings.HasPrefix(a, "--") {
			name := a[2:]
			if k := strings.IndexByte(name, '='); k >= 0 {
				name, inline, hasInline = name[:k], name[k+1:], true
			}
			// An exact long name, else one that it is the only prefix of (commons-cli 1.5).
			var prefixed []*option
			for j := range opts {
				if opts[j].long == name {
					o = &opts[j]
				} else if strings.HasPrefix(opts[j].long, name) {
					prefixed = append(prefixed, &opts[j])
				}
			}
			if o == nil && len(prefixed) == 1 {
				o = prefixed[0]
			}
		} else {
			name := a[1:]
			for j := range opts {
				if opts[j].short == name {
					o = &opts[j]
				}
			}
			if o == nil && len(name) > 1 {
				for j := range opts {
					if opts[j].hasArg && strings.HasPrefix(name, opts[j].short) && len(opts[j].short) == 1 {
						o, inline, hasInline = &opts[j], name[1:], true
						break
					}
				}
			}
		}
		if o == nil {
			return nil, fmt.Errorf("Unrecognized option: %s", a)
		}
		if !o.hasArg {
			vals[o.short] = "true"
			continue
		}
		if hasInline {
			vals[o.short] = inline
			continue
		}
		if i+1 >= len(args) {
			return nil, fmt.Errorf("Missing argument for option: %s", o.short)
		}
		i++
		vals[o.short] = args[i]
	}
	var missing, chosen []string
	groupKeys := ""
	for _, o := range opts {
		if _, ok := vals[o.short]; o.required && !ok {
			missing = append(missing, o.short)
		}
		if o.group {
			if _, ok := vals[o.short]; ok {
				chosen = append(chosen, o.short)
			}
			groupKeys += ", -" + o.short
		}
	}
	if len(chosen) > 1 {
		return nil, fmt.Errorf("The option '%s' was specified but an option from this group has already been selected: '%s'", chosen[1], chosen[0])
	}
	if groupKeys != "" && len(chosen) == 0 {
		missing = append(missing, "["+groupKeys[2:]+"]")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("Missing required option%s: %s", plural(len(missing)), strings.Join(missing, ", "))
	}
	return vals, nil
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

// javaOrder is MQAdminStartup.initCommand's registration order, which the help list follows.
var javaOrder = strings.Fields(`updateTopic deleteTopic updateSubGroup deleteSubGroup updateBrokerConfig updateTopicPerm
	topicRoute topicStatus topicClusterList brokerStatus queryMsgById queryMsgByKey queryMsgByUniqueKey queryMsgByOffset
	queryMsgTraceById printMsg printMsgByQueue sendMsgStatus brokerConsumeStats producerConnection consumerConnection
	consumerProgress consumerStatus cloneGroupOffset producer clusterList topicList updateKvConfig deleteKvConfig
	wipeWritePerm addWritePerm resetOffsetByTime skipAccumulatedMessage updateOrderConf cleanExpiredCQ
	deleteExpiredCommitLog cleanUnusedTopic startMonitoring statsAll allocateMQ checkMsgSendRT clusterRT getNamesrvConfig
	updateNamesrvConfig getBrokerConfig getConsumerConfig queryCq sendMessage consumeMessage`)

func javaRank(name string) int {
	for i, n := range javaOrder {
		if n == name {
			return i
		}
	}
	return len(javaOrder)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "The most commonly used mqadmin commands are:")
	sort.SliceStable(commands, func(i, j int) bool { return javaRank(commands[i].name) < javaRank(commands[j].name) })
	for _, c := range commands {
		fmt.Fprintf(w, "   %-20s %s\n", c.name, c.desc)
	}
	fmt.Fprintf(w, "\nSee 'mqadmin help <command>' for more information on a specific command.\n")
}

// printUsage prints the command's help as commons-cli 1.5's HelpFormatter does for mqadmin
// (ServerUtil: width 110, autoUsage): options sorted by their key ignoring case, the usage
// line wrapped under "usage: ", then one line per option with its description wrapped under
// the description column.
func printUsage(w io.Writer, c *command) {
	opts := slices.Clone(allOptions(c))
	slices.SortStableFunc(opts, func(a, b option) int {
		return strings.Compare(strings.ToLower(a.short), strings.ToLower(b.short))
	})
	const width = 110
	var sb strings.Builder
	sb.WriteString("usage: mqadmin " + c.name + " ")
	groupDone := false
	for i, o := range opts {
		switch {
		case o.group && !groupDone:
			groupDone = true
			var members []string
			for _, g := range opts {
				if g.group {
					members = append(members, usageOption(g, true))
				}
			}
			sb.WriteString(strings.Join(members, " | "))
		case !o.group:
			sb.WriteString(usageOption(o, o.required))
		}
		if i < len(opts)-1 {
			sb.WriteString(" ")
		}
	}
	usage := sb.String()
	fmt.Fprintln(w, wrapText(width, strings.IndexByte(usage, ' ')+1, usage))
	left := make([]string, len(opts))
	maxLeft := 0
	for i, o := range opts {
		left[i] = " -" + o.short + ",--" + o.long
		if o.hasArg {
			left[i] += " <arg>"
		}
		maxLeft = max(maxLeft, len(left[i]))
	}
	lines := make([]string, len(opts))
	for i, o := range opts {
		lines[i] = wrapText(width, maxLeft+3, left[i]+strings.Repeat(" ", maxLeft-len(left[i]))+"   "+o.desc)
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

func usageOption(o option, required bool) string {
	s := "-" + o.short
	if o.hasArg {
		s += " <arg>"
	}
	if !required {
		s = "[" + s + "]"
	}
	return s
}

// wrapText is HelpFormatter.renderWrappedText: lines of at most width, broken at the last
// space that fits (or cut at width), continuation lines indented by tab columns.
func wrapText(width, tab int, text string) string {
	var sb strings.Builder
	pos := wrapPos(text, width)
	if pos < 0 {
		return strings.TrimRight(text, " \t\n\r")
	}
	sb.WriteString(strings.TrimRight(text[:pos], " \t\n\r") + "\n")
	if tab >= width {
		tab = 1
	}
	pad := strings.Repeat(" ", tab)
	for {
		text = pad + strings.TrimSpace(text[pos:])
		pos = wrapPos(text, width)
		if pos < 0 {
			sb.WriteString(text)
			return sb.String()
		}
		if len(text) > width && pos == tab-1 {
			pos = width
		}
		sb.WriteString(strings.TrimRight(text[:pos], " \t\n\r") + "\n")
	}
}

// wrapPos is HelpFormatter.findWrapPos from the start of text, or -1 when it fits.
func wrapPos(text string, width int) int {
	if p := strings.IndexByte(text, '\n'); p >= 0 && p <= width {
		return p + 1
	}
	if p := strings.IndexByte(text, '\t'); p >= 0 && p <= width {
		return p + 1
	}
	if width >= len(text) {
		return -1
	}
	p := width
	for ; p >= 0; p-- {
		if c := text[p]; c == ' ' || c == '\n' || c == '\r' {
			break
		}
	}
	if p > 0 {
		return p
	}
	if width == len(text) {
		return -1
	}
	return width
}

// admin is the remoting side: one client, the NameServer list, Java's 5 s timeout.
type admin struct {
	cli     *remoting.Client
	ns      []string
	timeout time.Duration
}

func newAdmin(nsList string) *admin {
	a := &admin{cli: remoting.NewClient(remoting.ClientConfig{Name: "mqadmin"}), timeout: 5 * time.Second}
	for _, s := range strings.Split(nsList, ";") {
		if s = strings.TrimSpace(s); s != "" {
			a.ns = append(a.ns, s)
		}
	}
	return a
}

func (a *admin) close() { _ = a.cli.Close() }

// codeError is a non-zero answer, worded as Java's MQClientException/MQBrokerException; the
// calls whose MQBrokerException names the broker add " BROKER: <addr>".
type codeError struct {
	code   int32
	remark string
	broker string
}

func (e *codeError) Error() string {
	if e.broker != "" {
		return fmt.Sprintf("CODE: %d  DESC: %s BROKER: %s", e.code, e.remark, e.broker)
	}
	return fmt.Sprintf("CODE: %d  DESC: %s", e.code, e.remark)
}

// brokerNamed are the request codes whose refusal the 4.9.8 client throws as
// MQBrokerException(code, remark, addr) (MQClientAPIImpl); the rest leave the address out.
var brokerNamed = map[int32]bool{
	protocol.GetAllProducerInfo: true, protocol.GetAllSubscriptiongroupConfig: true, protocol.GetAllTopicConfig: true,
	protocol.GetBrokerConfig: true, protocol.GetBrokerRuntimeInfo: true, protocol.GetConsumeStats: true,
	protocol.GetConsumerConnectionList: true, protocol.GetConsumerListByGroup: true, protocol.GetEarliestMsgStoretime: true,
	protocol.GetMaxOffset: true, protocol.GetMinOffset: true, protocol.GetProducerConnectionList: true,
	protocol.GetTopicStatsInfo: true, protocol.LockBatchMq: true, protocol.UnlockBatchMq: true,
	protocol.QueryConsumeTimeSpan: true, protocol.QueryConsumerOffset: true, protocol.QueryTopicConsumeByWho: true,
	protocol.SearchOffsetByTimestamp: true, protocol.HeartBeat: true, protocol.UnregisterClient: true,
	protocol.UpdateBrokerConfig: true, protocol.UpdateConsumerOffset: true, protocol.ViewMessageById: true,
	protocol.ConsumerSendMsgBack: true, protocol.SendMessageV2: true, // processSendResponse
}

func isCode(err error, code int32) bool {
	var ce *codeError
	return errors.As(err, &ce) && ce.code == code
}

// call sends one request and turns a non-zero code into a codeError.
func (a *admin) call(addr string, code int32, ext remoting.ExtFields, body []byte) (*remoting.Command, error) {
	return a.callTimeout(addr, code, ext, body, a.timeout)
}

func (a *admin) callTimeout(addr string, code int32, ext remoting.ExtFields, body []byte, d time.Duration) (*remoting.Command, error) {
	req := remoting.NewRequest(code, ext, body)
	resp, err := a.cli.Invoke(addr, req, d)
	if err != nil {
		return nil, transportError(code, addr, d, err)
	}
	if resp.Code != protocol.Success {
		ce := &codeError{code: resp.Code, remark: resp.Remark}
		if brokerNamed[code] {
			ce.broker = addr
		}
		return resp, ce
	}
	return resp, nil
}

// nsCall asks the NameServers in turn until one answers (Java sticks to one reachable server).
func (a *admin) nsCall(code int32, ext remoting.ExtFields, body []byte) (*remoting.Command, error) {
	if len(a.ns) == 0 {
		return nil, errors.New("no name server address: use -n or NAMESRV_ADDR")
	}
	var last error
	for _, addr := range a.ns {
		resp, err := a.call(addr, code, ext, body)
		var ce *codeError
		if err == nil || errors.As(err, &ce) {
			return resp, err
		}
		last = err
	}
	return nil, last
}

func kv(pairs ...string) remoting.ExtFields {
	e := make(remoting.ExtFields, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		e = append(e, remoting.Field{Key: pairs[i], Value: pairs[i+1]})
	}
	return e
}

// clustersOf lists, sorted, the clusters that name broker as a member (one, in practice).
func clustersOf(ci *protocol.ClusterInfo, broker string) []string {
	var out []string
	for cl, members := range ci.ClusterAddrTable {
		if slices.Contains(members, broker) {
			out = append(out, cl)
		}
	}
	sort.Strings(out)
	return out
}

// clusterOf is the cluster naming broker as a member, the greatest name if several do, or "".
func clusterOf(ci *protocol.ClusterInfo, broker string) string {
	var out string
	for cl, members := range ci.ClusterAddrTable {
		if cl > out && slices.Contains(members, broker) {
			out = cl
		}
	}
	return out
}

func (a *admin) clusterInfo() (*protocol.ClusterInfo, error) {
	resp, err := a.nsCall(protocol.GetBrokerClusterInfo, nil, nil)
	if err != nil {
		return nil, err
	}
	var ci protocol.ClusterInfo
	if err := ci.Unmarshal(resp.Body); err != nil {
		return nil, fmt.Errorf("cluster info: %w", err)
	}
	return &ci, nil
}

func (a *admin) route(topic string) (*protocol.TopicRouteData, error) {
	resp, err := a.nsCall(protocol.GetRouteinfoByTopic, kv("topic", topic), nil)
	if err != nil {
		return nil, err
	}
	var r protocol.TopicRouteData
	if err := r.Unmarshal(resp.Body); err != nil {
		return nil, fmt.Errorf("route of %s: %w", topic, err)
	}
	return &r, nil
}

// brokerIDs are the broker ids of a group in ascending order.
func brokerIDs(b *protocol.BrokerData) []int64 { return slices.Sorted(maps.Keys(b.BrokerAddrs)) }

// selectAddr is BrokerData.selectBrokerAddr: the master, else any address.
func selectAddr(b *protocol.BrokerData) string {
	if a := b.BrokerAddrs[0]; a != "" {
		return a
	}
	ids := brokerIDs(b)
	if len(ids) == 0 {
		return ""
	}
	return b.BrokerAddrs[ids[0]]
}

// masterAddrs is CommandUtil.fetchMasterAddrByClusterName: the masters of the cluster's
// broker names (a HashSet as decoded) collected into a HashSet, in that set's order. Java
// prints "[error] …" and goes on with none for an unknown cluster; we fail.
func (a *admin) masterAddrs(cluster string) ([]string, error) {
	ci, err := a.clusterInfo()
	if err != nil {
		return nil, err
	}
	names, ok := ci.ClusterAddrTable[cluster]
	if !ok {
		return nil, fmt.Errorf("Make sure the specified clusterName exists or the name server connected to is correct.")
	}
	var out []string
	for _, n := range javaSetOrder(names) {
		if bd := ci.BrokerAddrTable[n]; bd != nil && bd.BrokerAddrs[0] != "" {
			out = append(out, bd.BrokerAddrs[0])
		}
	}
	return javaSetOrder(out), nil
}

// allAddrs is every address (masters and slaves) of a cluster in the order of Java's
// CommandUtil.fetchMasterAndSlaveAddrByClusterName HashSet, or of every cluster when cluster
// is empty (sorted: Java's callers then only print the last answer).
func (a *admin) allAddrs(cluster string) ([]string, error) {
	ci, err := a.clusterInfo()
	if err != nil {
		return nil, err
	}
	var out []string
	for c, names := range ci.ClusterAddrTable {
		if cluster != "" && c != cluster {
			continue
		}
		for _, n := range javaSetOrder(names) {
			if bd := ci.BrokerAddrTable[n]; bd != nil {
				for _, id := range brokerIDs(bd) { // a HashMap<Long,…> of small ids iterates in id order
					out = append(out, bd.BrokerAddrs[id])
				}
			}
		}
	}
	if cluster == "" {
		sort.Strings(out)
		return out, nil
	}
	return javaSetOrder(out), nil
}

// mastersAndSlaves is CommandUtil.fetchMasterAndSlaveDistinguish: the cluster's masters in
// the order of its HashMap (created for 4 entries) and each one's slaves in id order.
func (a *admin) mastersAndSlaves(cluster string) ([]string, map[string][]string, error) {
	ci, err := a.clusterInfo()
	if err != nil {
		return nil, nil, err
	}
	names, ok := ci.ClusterAddrTable[cluster]
	if !ok {
		return nil, nil, fmt.Errorf("Make sure the specified clusterName exists or the name server connected to is correct.")
	}
	var masters []string
	slaves := map[string][]string{}
	for _, n := range javaSetOrder(names) {
		bd := ci.BrokerAddrTable[n]
		if bd == nil {
			continue
		}
		m := bd.BrokerAddrs[0]
		if _, seen := slaves[m]; !seen {
			masters = append(masters, m)
		}
		slaves[m] = nil
		for _, id := range brokerIDs(bd) {
			if id != 0 {
				slaves[m] = append(slaves[m], bd.BrokerAddrs[id])
			}
		}
	}
	bins := uint32(4)
	for uint32(len(masters)) > bins*3/4 {
		bins <<= 1
	}
	ordered := make([]string, len(masters))
	for i, j := range javaHashSetPerm(len(masters), func(i int) int32 { return protocol.JavaHashCode(masters[i]) }, bins) {
		ordered[i] = masters[j]
	}
	return ordered, slaves, nil
}

// timeHuman2 is UtilAll.timeMillisToHumanString2: local yyyy-MM-dd HH:mm:ss,SSS.
func timeHuman2(ms int64) string {
	return strings.Replace(time.UnixMilli(ms).Format("2006-01-02 15:04:05.000"), ".", ",", 1)
}

// timeYMDHMS is local yyyy-MM-dd HH:mm:ss.
func timeYMDHMS(ms int64) string { return time.UnixMilli(ms).Format("2006-01-02 15:04:05") }

// trunc is UtilAll.frontStringAtLeast: at most n characters.
func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// numberError is Java's NumberFormatException message for an option that is not a number:
// the command fails with "<Class> command failed: For input string: "abc"", as Java's does.
func numberError(s string) error { return errors.New(`For input string: "` + s + `"`) }

// transportError words a failed call as the Java client's remoting exceptions do; other
// failures keep the request name and the cause.
func transportError(code int32, addr string, d time.Duration, err error) error {
	switch {
	case errors.Is(err, remoting.ErrConnect):
		return fmt.Errorf("connect to %s failed", addr)
	case errors.Is(err, remoting.ErrTimeout):
		return fmt.Errorf("wait response on the channel <%s> timeout, %d(ms)", addr, d.Milliseconds())
	}
	return fmt.Errorf("%s to %s: %w", protocol.RequestName(code), addr, err)
}

// Package protocol is the vocabulary the NameServer and Broker speak on top of the remoting
// frames: request and response codes, typed custom headers (views of a Command's extFields),
// and the fastjson-shaped JSON bodies and config files Java writes.
//
// Where it sits in the flow:
//
//	client ──frame──▶ remoting (codec, server) ──*remoting.Command──▶ namesrv / broker processors
//	                                                   │
//	                         protocol: code constants pick the processor; XxxHeader.Decode(cmd.ExtFields);
//	                         body Unmarshal; … ; response header Encode(&resp.ExtFields); body Marshal
//
// What is where:
//
//   - codes.go: every request and response code (Java names in CamelCase), RequestName and
//     ResponseName for logs.
//   - send.go, pull.go: the hot-path headers, decoded in one pass with no allocation;
//     SEND_MESSAGE_V2's one-letter names decode into the same SendMessageRequestHeader.
//   - headers.go: typed headers of the other requests; fields.go: MissingFieldError,
//     InvalidFieldError (Java's remark text) and Header, the generic getter path for rare ones.
//   - javaorder.go: SortJavaOrder puts extFields in the order a Java peer's HashMap writes them,
//     so our frames are byte for byte what Java sends.
//   - route.go, topicconfig.go, clientbodies.go: bodies and config files, with Marshal writing
//     fastjson's exact text (bare integer keys, MessageQueue object keys, alphabetical
//     properties) and Unmarshal accepting fastjson's invalid JSON as well as strict JSON;
//     Pretty gives the TAB-indented form Java persists.
//   - perm.go: permission bits, topic sysFlag, topic-name validation with Java's remarks,
//     system topics and groups, retry/DLQ names.
//
// protocol imports only remoting (for ExtFields). Headers are hand-written: no reflection, and
// header values are substrings the codec already produced. Tests check everything against the
// captured 4.9.8 traffic and config files in testdata/, and, when a JVM is present, against the
// stock Java classes themselves (java_test.go).
package protocol

// Package protocol is the vocabulary the NameServer and Broker speak on top of the remoting
// frames: request and response codes, typed custom headers (views of a Command's extFields),
// and the fastjson-shaped JSON bodies and config files Java writes.
//
// Where it sits in the flow:
//
//	client ──frame──▶ remoting (codec, server) ──*remoting.Command──▶ namesrv / broker processors
//	                                                   │
//	                                 protocol: Code → processor, Header.Decode(cmd.ExtFields),
//	                                 body Unmarshal / Marshal, response Header.Encode
//
// protocol imports only remoting (for Command and ExtFields). Headers are hand-written: no
// reflection, and decoding a send or pull header allocates nothing, because header values are
// substrings the codec already produced.
package protocol

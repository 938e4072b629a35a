package remoting

import "strconv"

// SerializeType is the high byte of the header-length word: how the header is encoded.
type SerializeType uint8

const (
	SerializeJSON     SerializeType = 0 // fastjson text, Java's default
	SerializeRocketMQ SerializeType = 1 // the compact binary layout (RocketMQSerializable)
)

func (t SerializeType) String() string {
	switch t {
	case SerializeJSON:
		return "JSON"
	case SerializeRocketMQ:
		return "ROCKETMQ"
	}
	return "SerializeType(" + strconv.Itoa(int(t)) + ")"
}

// LanguageCode is the sender's language, a name in JSON headers and a byte in binary ones.
type LanguageCode uint8

const (
	LangJava LanguageCode = iota
	LangCPP
	LangDotNet
	LangPython
	LangDelphi
	LangErlang
	LangRuby
	LangOther
	LangHTTP
	LangGo
	LangPHP
	LangOMS
	LangRust
	LangNodeJS
	// LangUnknown stands for a name Java's decoder would map to null.
	LangUnknown LanguageCode = 255
)

var languageNames = [...]string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
	"OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"}

func (l LanguageCode) String() string {
	if int(l) < len(languageNames) {
		return languageNames[l]
	}
	return "UNKNOWN"
}

// ParseLanguage maps a JSON language name to its code; an unknown name gives LangUnknown.
func ParseLanguage(name string) LanguageCode {
	for i, n := range languageNames {
		if n == name {
			return LanguageCode(i)
		}
	}
	return LangUnknown
}

// Flag bits of a command.
const (
	FlagResponse int32 = 1 << 0 // RPC_TYPE: set on responses
	FlagOneway   int32 = 1 << 1 // RPC_ONEWAY: the sender wants no answer
)

// Version is what our servers put in the version field (V4_9_8). The Java client records a
// broker's version from heartbeat responses and refuses SQL92 pulls below 232, so it must not be 0.
const Version int32 = 409

// Field is one extFields entry.
type Field struct {
	Key, Value string
}

// ExtFields holds a header's extension fields in the order they were decoded or set, so a
// decoded frame re-encodes to the same bytes. A nil ExtFields is written as absent (Java's
// null map); a non-nil empty one as {}.
type ExtFields []Field

// Get returns the value of key and whether it is present.
func (e ExtFields) Get(key string) (string, bool) {
	for i := range e {
		if e[i].Key == key {
			return e[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of key, or "" when it is absent.
func (e ExtFields) Value(key string) string {
	v, _ := e.Get(key)
	return v
}

// Set replaces the value of key, or appends it.
func (e *ExtFields) Set(key, value string) {
	for i := range *e {
		if (*e)[i].Key == key {
			(*e)[i].Value = value
			return
		}
	}
	*e = append(*e, Field{key, value})
}

// Del removes key if present.
func (e *ExtFields) Del(key string) {
	for i := range *e {
		if (*e)[i].Key == key {
			*e = append((*e)[:i], (*e)[i+1:]...)
			return
		}
	}
}

// Command is one remoting frame: a request, a response or a oneway request.
type Command struct {
	Code      int32 // request code, or response code when IsResponse
	Language  LanguageCode
	Version   int32
	Opaque    int32 // request id; a response copies its request's
	Flag      int32
	Remark    string
	HasRemark bool // Java omits a null remark; Go clients send "" which decodes as present
	ExtFields ExtFields
	Body      []byte
	// Serialize is how the header was (or will be) encoded. A response takes its request's.
	Serialize SerializeType
}

// NewRequest makes a request command with our language and version.
func NewRequest(code int32, ext ExtFields, body []byte) *Command {
	return &Command{Code: code, Language: LangJava, Version: Version, ExtFields: ext, Body: body}
}

// NewResponse makes a response to req with the given code and remark (empty remark = none),
// carrying req's opaque and serialize type.
func NewResponse(req *Command, code int32, remark string) *Command {
	return &Command{
		Code:      code,
		Language:  LangJava,
		Version:   Version,
		Opaque:    req.Opaque,
		Flag:      FlagResponse,
		Remark:    remark,
		HasRemark: remark != "",
		Serialize: req.Serialize,
	}
}

func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }
func (c *Command) IsOneway() bool   { return c.Flag&FlagOneway != 0 }
func (c *Command) MarkResponse()    { c.Flag |= FlagResponse }
func (c *Command) MarkOneway()      { c.Flag |= FlagOneway }

// SetRemark sets a remark that will be written.
func (c *Command) SetRemark(r string) { c.Remark, c.HasRemark = r, true }

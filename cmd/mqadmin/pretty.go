package main

import "strings"

// prettyJSON re-indents compact fastjson text the way JSON.toJSONString(obj, true) prints it
// (mqadmin topicRoute): TAB indentation, one property or element per line, empty containers
// as {} and [], and an object with bare numeric keys (fastjson's Map<Long,…>) kept on its
// opening line with only its closing brace on the next:
//
//	"brokerAddrs":{0:"127.0.0.1:10911"
//	},
func prettyJSON(in []byte) string {
	var sb strings.Builder
	depth := 0
	indent := func() {
		sb.WriteByte('\n')
		for i := 0; i < depth; i++ {
			sb.WriteByte('\t')
		}
	}
	// numeric[d] marks that the container opened at depth d has bare numeric keys.
	var numeric []bool
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch c {
		case '"':
			j := i + 1
			for j < len(in) && in[j] != '"' {
				if in[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(in) {
				j = len(in) - 1
			}
			sb.Write(in[i : j+1])
			i = j
		case '{', '[':
			if i+1 < len(in) && (in[i+1] == '}' || in[i+1] == ']') {
				sb.WriteByte(c)
				sb.WriteByte(in[i+1])
				i++
				continue
			}
			num := c == '{' && i+1 < len(in) && (in[i+1] >= '0' && in[i+1] <= '9' || in[i+1] == '-')
			numeric = append(numeric, num)
			sb.WriteByte(c)
			depth++
			if !num {
				indent()
			}
		case '}', ']':
			depth--
			if len(numeric) > 0 {
				numeric = numeric[:len(numeric)-1]
			}
			indent()
			sb.WriteByte(c)
		case ',':
			sb.WriteByte(',')
			if len(numeric) == 0 || !numeric[len(numeric)-1] {
				indent()
			}
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

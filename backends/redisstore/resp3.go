package redisstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The little of RESP3 that a tracking connection needs: it writes
// commands as arrays of bulk strings and reads any reply or push, so that
// the connection stays independent of go-redis's pool (a pooled
// connection would be handed to other commands, and go-redis reads pushes
// only around commands).

// respError is an error reply (-ERR ..., !...).
type respError string

func (e respError) Error() string { return string(e) }

// respPush is a push frame (>): "invalidate" and its keys, for example.
type respPush []any

// appendCommand appends args as a RESP array of bulk strings.
func appendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// maxRespLen bounds a bulk string or aggregate that a tracking connection
// accepts (a key list of an invalidation is small).
const maxRespLen = 512 << 20

// readResp reads one RESP2 or RESP3 value: string, int64, nil, bool,
// []any (array, set, map as key, value, ...), respPush, or respError.
func readResp(r *bufio.Reader) (any, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("malformed reply line %q", line)
	}
	kind, body := line[0], string(line[1:len(line)-2])
	switch kind {
	case '+', '(', ',':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '_':
		return nil, nil
	case '#':
		return body == "t", nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxRespLen {
			return nil, fmt.Errorf("malformed length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		s := string(buf[:n])
		if kind == '!' {
			return respError(s), nil
		}
		return s, nil
	case '*', '~', '%', '>', '|':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxRespLen {
			return nil, fmt.Errorf("malformed length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readResp(r); err != nil {
				return nil, err
			}
		}
		switch kind {
		case '>':
			return respPush(out), nil
		case '|': // an attribute precedes the value it describes
			return readResp(r)
		}
		return out, nil
	}
	return nil, errors.New("unknown reply type " + strconv.QuoteRune(rune(kind)))
}

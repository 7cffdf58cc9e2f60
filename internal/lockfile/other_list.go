package lockfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
)

// otherParsers returns the parsers of this family (Go, Rust, Ruby, PHP,
// .NET, Java, Dart); see Default.
func otherParsers() []Parser {
	return []Parser{
		goModParser{},
		GoBinary{},
		cargoLockParser{},
		gemfileLockParser{},
		composerLockParser{},
		nugetLockParser{},
		pomXMLParser{},
		gradleLockParser{},
		pubspecLockParser{},
	}
}

// jsonError turns an error of encoding/json, decoding data from offset base
// on, into an *Error at its line, with what (the member being read, or "")
// before the message.
func jsonError(f File, data []byte, lines *Lines, base int64, what string, err error) error {
	line := 0
	msg := err.Error()
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line = lines.At(base + syn.Offset)
	case errors.As(err, &typ):
		line = lines.At(base + typ.Offset)
		field := typ.Field
		if field == "" {
			field = "value"
		}
		msg = fmt.Sprintf("%s is %s, want %s", field, typ.Value, jsonKind(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		line = lines.At(int64(len(data)))
		msg = "unexpected end of file"
	}
	if what != "" {
		msg = what + ": " + msg
	}
	return Errorf(f, line, "%s", msg)
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

// jsonExpectDelim reads the next token of dec and checks that it is want;
// it reports null as ok == false, for a member that may be null.
func jsonExpectDelim(dec *json.Decoder, want json.Delim) (ok bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	if tok == nil {
		return false, nil
	}
	if d, isDelim := tok.(json.Delim); !isDelim || d != want {
		return false, fmt.Errorf("found %s where %q should start", jsonTokenKind(tok), string(want))
	}
	return true, nil
}

// jsonTokenKind names the kind of a JSON token for an error message.
func jsonTokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return strconv.Quote(string(t))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}

// jsonErrorOr is jsonError for errors that may come from jsonExpectDelim,
// which carry no offset: those are placed at the decoder's position.
func jsonErrorOr(f File, data []byte, lines *Lines, dec *json.Decoder, what string, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return jsonError(f, data, lines, 0, what, err)
	}
	if what != "" {
		return Errorf(f, lines.At(dec.InputOffset()), "%s: %v", what, err)
	}
	return Errorf(f, lines.At(dec.InputOffset()), "%v", err)
}

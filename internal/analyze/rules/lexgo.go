package rules

import (
	"bytes"
	"go/scanner"
	"go/token"
)

// lexGo finds the comments and string and rune literals of Go source with
// go/scanner. The scanner goes on after errors, so a file that is not
// quite Go is still lexed.
func lexGo(data []byte) []lexSpan {
	var sl spanList
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(data))
	var s scanner.Scanner
	s.Init(file, data, nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.COMMENT:
			// The scanner drops carriage returns from the text of
			// comments, so find the end in the source.
			off := file.Offset(pos)
			sl.add(off, goCommentEnd(data, off), inComment)
		case token.STRING, token.CHAR:
			off := file.Offset(pos)
			end := off + len(lit)
			if data[off] == '`' { // raw strings lose their carriage returns too
				end = len(data)
				if j := bytes.IndexByte(data[off+1:], '`'); j >= 0 {
					end = off + 1 + j + 1
				}
			}
			sl.add(off, min(end, len(data)), inString)
		}
	}
	return sl.s
}

// goCommentEnd returns the offset after the comment at off.
func goCommentEnd(data []byte, off int) int {
	if bytes.HasPrefix(data[off:], []byte("//")) {
		if j := bytes.IndexByte(data[off:], '\n'); j >= 0 {
			return off + j
		}
		return len(data)
	}
	if j := bytes.Index(data[off+2:], []byte("*/")); j >= 0 {
		return off + 2 + j + 2
	}
	return len(data)
}

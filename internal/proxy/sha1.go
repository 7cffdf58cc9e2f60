package proxy

import (
	"crypto/sha1" // npm's oldest packuments publish only SHA-1 shasums; nothing is run on its say-so alone
	"hash"
)

func newSHA1() hash.Hash { return sha1.New() }

module example.com/app

go 1.22.0

toolchain go1.22.3

require github.com/google/uuid v1.6.0

require (
	golang.org/x/mod v0.17.0
	github.com/pkg/errors v0.9.1 // indirect
	github.com/docker/docker v24.0.7+incompatible
	golang.org/x/exp v0.0.0-20240506185415-9bf2ced13842 // indirect
)

tool golang.org/x/tools/cmd/stringer

retract v1.0.1 // published by mistake

module example.invalid/demo

go 1.22

require (
	github.com/boltdb-go/bolt v1.3.1
	golang.org/x/text v0.21.0
)

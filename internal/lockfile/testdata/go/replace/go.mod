// A module with every kind of replace and exclude.
module example.com/app

go 1.21

require (
	github.com/sirupsen/logrus v1.9.0
	github.com/foo/bar v1.2.3
	github.com/foo/baz v0.4.0
	example.com/local v0.0.0-00010101000000-000000000000
	golang.org/x/net v0.20.0
	golang.org/x/text v0.14.0
	github.com/excluded/mod v1.0.0
	github.com/excluded/mod2 v1.1.0
)

replace github.com/sirupsen/logrus => github.com/fork/logrus v1.9.3

replace (
	github.com/foo/bar v1.2.3 => ../bar
	github.com/foo/baz v0.3.0 => github.com/other/baz v0.3.1
	example.com/local => ./local
	golang.org/x/net => golang.org/x/net v0.21.0
	golang.org/x/text v0.14.0 => golang.org/x/text v0.14.1
	golang.org/x/text => golang.org/x/text v0.15.0
	github.com/unused/mod => github.com/unused/fork v1.0.0
)

exclude github.com/excluded/mod v1.0.0
exclude (
	github.com/excluded/mod2 v1.0.0
)

module github.com/ifmatch/ifmatch

go 1.25.0

require (
	github.com/cenkalti/backoff/v4 v4.3.0
	github.com/evanphx/json-patch/v5 v5.9.11
	github.com/hashicorp/go-cleanhttp v0.5.2
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/hashicorp/golang-lru/v2 v2.0.7
	go.uber.org/goleak v1.3.0
	golang.org/x/term v0.45.0
	golang.org/x/time v0.15.0
)

require golang.org/x/sys v0.47.0 // indirect

package main

// The api package is generated from api.yaml (the same API as
// examples/openapi) by ogen, configured by ogen.yml to generate the client
// only, without OpenTelemetry. Pinned here so that regenerating needs
// nothing but the Go module proxy:
//
//go:generate go run github.com/ogen-go/ogen/cmd/ogen@v1.24.0 --config ogen.yml --target api --package api --clean api.yaml

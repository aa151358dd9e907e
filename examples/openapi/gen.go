package main

// client.gen.go is generated from api.yaml by oapi-codegen, pinned here so
// that regenerating needs nothing but the Go module proxy:
//
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml api.yaml

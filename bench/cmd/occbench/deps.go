package main

import (
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/ifmatch/ifmatch"
	_ "k8s.io/apimachinery/pkg/api/errors"
	_ "k8s.io/client-go/util/retry"
)

func main() {}

package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// inFlight returns the context apply's operations run with. It outlives
// stop, so that the operations in flight when a stop is asked (the first
// SIGINT or SIGTERM) can finish, for at most grace, or until a second
// signal; then it ends, and they end with it, reported as unknown.
func inFlight(stop context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(stop))
	go func() {
		select {
		case <-stop.Done():
		case <-ctx.Done():
			return
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sig)
		t := time.NewTimer(max(grace, 0))
		defer t.Stop()
		select {
		case <-sig:
		case <-t.C:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}

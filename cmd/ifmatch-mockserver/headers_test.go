package main

import (
	"io"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// heapObjects is the heap's objects, live and not yet collected: cheap to
// sample while an attack runs.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// liveHeap is the live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestUnfinishedHeadersAreBounded opens 200 connections that each send 1
// MiB of a header field and never finish it, as a reliability run did: the
// server read up to 1 MiB per connection and held it, 529 MB at the peak.
// Now it reads -max-header-bytes (64 KiB), answers 431 and closes, so the
// heap stays small throughout, and returns to where it was once the
// connections are gone.
func TestUnfinishedHeadersAreBounded(t *testing.T) {
	addr := startRun(t)
	before := liveHeap()

	// sample the heap while the attack runs: a missed sample can only
	// hide a peak, never invent one
	stop := make(chan struct{})
	peak := make(chan uint64, 1)
	go func() {
		var top uint64
		for {
			top = max(top, heapObjects())
			select {
			case <-stop:
				peak <- top
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	pad := strings.Repeat("a", 1<<20)
	var wg sync.WaitGroup
	for range 200 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer conn.Close()
			go func() { // the server may close before taking it all
				if _, err := io.WriteString(conn, "GET /doc HTTP/1.1\r\nHost: x\r\nX-Pad: "); err == nil {
					_, _ = io.WriteString(conn, pad) // shared, so the test allocates no more
				}
			}()
			// until the server closes: at once past the limit, or after
			// -read-header-timeout (5s) without one
			got, _ := io.ReadAll(conn)
			if !strings.HasPrefix(string(got), "HTTP/1.1 431") {
				t.Errorf("the server answered %.40q, want 431", got)
			}
		})
	}
	wg.Wait()
	close(stop)
	held := max(<-peak, before) - before
	t.Logf("200 connections of 1 MiB of unfinished headers: heap peak %d MiB above the start", held>>20)
	if held > 64<<20 {
		t.Errorf("the heap peaked %d MiB above the start, want at most 64 MiB", held>>20)
	}
	after := liveHeap()
	t.Logf("after the connections closed: %d KiB above the start", (int64(after)-int64(before))>>10)
	if after > before+8<<20 {
		t.Errorf("the live heap is %d MiB above the start after the connections closed, want at most 8", (after-before)>>20)
	}
}

package main

import (
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ifmatch/ifmatch/internal/connlimit"
	"github.com/ifmatch/ifmatch/mockserver"
)

// liveHeap is the live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// countingListener records the most bytes the server read from any one
// connection: what a client made it buffer.
type countingListener struct {
	net.Listener
	most atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l    *countingListener
	read int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read += int64(n)
	for most := c.l.most.Load(); c.read > most && !c.l.most.CompareAndSwap(most, c.read); most = c.l.most.Load() {
	}
	return n, err
}

// TestUnfinishedHeadersAreBounded opens 200 connections that each send 1
// MiB of a header field and never finish it, as a reliability run did: the
// server read up to 1 MiB per connection and held it, 529 MB at the peak,
// and 510 MB after the connections closed. Now it reads -max-header-bytes
// (64 KiB) and a little buffering, answers 431 and closes, and what it held
// is released once the connections are gone.
func TestUnfinishedHeadersAreBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingListener{Listener: ln}
	srv := newServer(mockserver.NewHandler(mockserver.Options{}), timeouts{readHeader: defaultReadHeaderTimeout},
		mockserver.DefaultMaxHeaderBytes, slog.New(slog.DiscardHandler))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(connlimit.Listener(counting, mockserver.DefaultMaxConnections)) }()
	defer func() {
		srv.Close()
		<-served
	}()
	before := liveHeap()

	pad := strings.Repeat("a", 1<<20)
	var wg sync.WaitGroup
	for range 200 {
		conn, err := net.Dial("tcp", ln.Addr().String())
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
			// the read header timeout (5s) without one
			got, _ := io.ReadAll(conn)
			if !strings.HasPrefix(string(got), "HTTP/1.1 431") {
				t.Errorf("the server answered %.40q, want 431", got)
			}
		})
	}
	wg.Wait()
	most := counting.most.Load()
	t.Logf("the server read at most %d KiB of one connection", most>>10)
	if limit := int64(mockserver.DefaultMaxHeaderBytes + 16<<10); most > limit {
		t.Errorf("the server read %d KiB of one connection's headers, want at most %d KiB", most>>10, limit>>10)
	}
	after := liveHeap()
	t.Logf("after the connections closed: %d KiB above the start", (int64(after)-int64(before))>>10)
	if after > before+8<<20 {
		t.Errorf("the live heap is %d MiB above the start after the connections closed, want at most 8", (after-before)>>20)
	}
}

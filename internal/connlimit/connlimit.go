// Package connlimit bounds the connections a listener hands out at once,
// so that a server's memory for connections (their buffers and unfinished
// headers) has a bound: the limit times what one connection may hold.
package connlimit

import (
	"net"
	"sync"
)

// Listener returns l bounded to n open connections: Accept waits while n
// are open, and closing one frees its place. n <= 0 means no bound: l
// itself. Connections waiting meanwhile queue in the operating system's
// backlog, as with a busy server.
func Listener(l net.Listener, n int) net.Listener {
	if n <= 0 {
		return l
	}
	return &listener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type listener struct {
	net.Listener
	slots     chan struct{} // one element per open connection
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

// Accept waits for a free place, then for a connection.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &Conn{Conn: c, release: func() { <-l.slots }}, nil
}

// Close closes the listener and ends the Accept calls waiting for a place.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Conn is a connection from a bounded listener; its first Close frees its
// place.
type Conn struct {
	net.Conn
	release   func()
	closeOnce sync.Once
}

// Close closes the connection and frees its place.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.release)
	return err
}

// NetConn returns the connection the listener accepted, as tls.Conn's
// does: for what only it can do, such as a TCP reset (SetLinger).
func (c *Conn) NetConn() net.Conn { return c.Conn }

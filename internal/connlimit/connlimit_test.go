package connlimit

import (
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
)

// pipeListener hands out one end of each pipe sent on conns.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{} }

func TestListenerBoundsOpenConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &pipeListener{conns: make(chan net.Conn, 10), closed: make(chan struct{})}
		for range 3 {
			a, _ := net.Pipe()
			inner.conns <- a
		}
		l := Listener(inner, 2)
		first, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Accept(); err != nil {
			t.Fatal(err)
		}
		third := make(chan net.Conn)
		go func() {
			c, _ := l.Accept()
			third <- c
		}()
		synctest.Wait()
		select {
		case <-third:
			t.Fatal("a third connection was accepted while two were open")
		default:
		}
		first.Close()
		first.Close() // a second Close frees nothing more
		if c := <-third; c == nil {
			t.Fatal("the third Accept failed after a connection closed")
		}

		// a waiting Accept ends when the listener closes
		waiting := make(chan error)
		go func() {
			_, err := l.Accept()
			waiting <- err
		}()
		synctest.Wait()
		l.Close()
		if err := <-waiting; !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
		}
	})
}

func TestListenerWithoutBound(t *testing.T) {
	inner := &pipeListener{}
	if l := Listener(inner, 0); l != net.Listener(inner) {
		t.Errorf("Listener(l, 0) = %T, want l itself", l)
	}
}

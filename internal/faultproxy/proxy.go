// Package faultproxy is a reverse proxy that injects the mockserver's
// faults in front of a real server, so that chaos tests can run against
// servers nobody here wrote. Only loopback targets are meant: it is a test
// tool.
package faultproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

// Proxy forwards requests to a target server, injecting faults.
type Proxy struct {
	URL string

	target string
	client *http.Client
	srv    *httptest.Server

	mu     sync.Mutex
	faults mockserver.Faults
	rng    *rand.Rand
	old    map[string][]snapshot // recent GET answers per path, for stale reads

	stats struct {
		delayed, errors, resets, drops, interferences, staleReads atomic.Int64
	}
}

type snapshot struct {
	header http.Header
	body   []byte
}

// New starts a proxy on 127.0.0.1 in front of target (a base URL such as
// http://127.0.0.1:8084), with a seeded fault generator.
func New(target string, f mockserver.Faults, seed uint64) *Proxy {
	p := &Proxy{
		target: strings.TrimSuffix(target, "/"),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second},
		faults: f,
		rng:    rand.New(rand.NewPCG(seed, seed^0x5eed)),
		old:    map[string][]snapshot{},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.Close()
	p.client.CloseIdleConnections()
}

// SetFaults switches the faults at run time.
func (p *Proxy) SetFaults(f mockserver.Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// Stats counts the faults injected so far.
func (p *Proxy) Stats() mockserver.FaultStats {
	return mockserver.FaultStats{
		Delayed: p.stats.delayed.Load(), Errors: p.stats.errors.Load(), Resets: p.stats.resets.Load(),
		Drops: p.stats.drops.Load(), Interferences: p.stats.interferences.Load(), StaleReads: p.stats.staleReads.Load(),
	}
}

// roll draws the faults for one request under the lock.
func (p *Proxy) roll() (f mockserver.Faults, delay time.Duration, fail, reset, interfere, stale, drop bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f = p.faults
	delay = f.Latency
	if f.LatencyJitter > 0 {
		delay += time.Duration(p.rng.Int64N(int64(f.LatencyJitter)))
	}
	hit := func(rate float64) bool { return rate > 0 && p.rng.Float64() < rate }
	return f, delay, hit(f.ErrorRate), hit(f.ResetRate), hit(f.InterfereRate), hit(f.StaleReadRate), hit(f.DropRate)
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	f, delay, fail, reset, interfere, stale, drop := p.roll()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if delay > 0 {
		p.stats.delayed.Add(1)
		time.Sleep(delay)
	}
	if fail {
		p.stats.errors.Add(1)
		status := f.ErrorStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		}
		http.Error(w, "injected fault", status)
		return
	}
	if reset {
		p.stats.resets.Add(1)
		hangUp(w, true)
		return
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	if r.Method == http.MethodGet && stale {
		if s, ok := p.staleFor(r.URL.Path); ok {
			p.stats.staleReads.Add(1)
			for k, v := range s.header {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusOK)
			w.Write(s.body)
			return
		}
	}
	if write && interfere && r.Header.Get("If-Match") != "" {
		if p.interfere(r.URL.Path) {
			p.stats.interferences.Add(1)
		}
	}
	resp, err := p.forward(r, body)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	if r.Method == http.MethodGet && resp.status == http.StatusOK {
		p.remember(r.URL.Path, resp.header, resp.body)
	}
	if write && drop && resp.status >= 200 && resp.status < 300 {
		p.stats.drops.Add(1)
		hangUp(w, false)
		return
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (p *Proxy) forward(r *http.Request, body []byte) (*answer, error) {
	req, err := http.NewRequest(r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	return p.do(req)
}

func (p *Proxy) do(req *http.Request) (*answer, error) {
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	h := resp.Header.Clone()
	h.Del("Content-Length")
	return &answer{status: resp.StatusCode, header: h, body: b}, nil
}

// interfere commits a concurrent change to the document at path, as
// another client would, without touching what the client under test
// writes: it sets a "_interference" member of a random length (so that
// size-based ETags change too), conditionally, and gives up on a conflict.
func (p *Proxy) interfere(path string) bool {
	get, _ := http.NewRequest(http.MethodGet, p.target+path, nil)
	cur, err := p.do(get)
	if err != nil || cur.status != http.StatusOK || cur.header.Get("ETag") == "" {
		return false
	}
	var doc map[string]any
	if json.Unmarshal(cur.body, &doc) != nil || doc == nil {
		return false
	}
	p.mu.Lock()
	doc["_interference"] = strings.Repeat("x", 1+p.rng.IntN(64))
	p.mu.Unlock()
	b, _ := json.Marshal(doc)
	put, _ := http.NewRequest(http.MethodPut, p.target+path, bytes.NewReader(b))
	put.Header.Set("If-Match", cur.header.Get("ETag"))
	put.Header.Set("Content-Type", "application/json")
	res, err := p.do(put)
	return err == nil && res.status >= 200 && res.status < 300
}

func (p *Proxy) remember(path string, h http.Header, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := append(p.old[path], snapshot{h.Clone(), body})
	if len(l) > 4 {
		l = l[len(l)-4:]
	}
	p.old[path] = l
}

// staleFor returns an older answer than the latest one seen, if any.
func (p *Proxy) staleFor(path string) (snapshot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.old[path]
	if len(l) < 2 {
		return snapshot{}, false
	}
	return l[p.rng.IntN(len(l)-1)], true
}

// hangUp closes the client's connection without an answer; with rst, as a
// TCP reset.
func hangUp(w http.ResponseWriter, rst bool) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(fmt.Sprintf("faultproxy: hijack: %v", err))
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	conn.Close()
}

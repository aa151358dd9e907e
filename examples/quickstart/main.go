// Command quickstart shows ifmatch keeping every update under contention:
// 32 goroutines each add 1 to one counter 100 times, on an in-process mock
// server, first through one shared Client, then through 32 independent
// Clients (as 32 processes would be). Run it with:
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

type counter struct {
	N int `json:"n"`
}

func main() {
	writers := flag.Int("writers", 32, "concurrent goroutines")
	each := flag.Int("each", 100, "increments per goroutine")
	flag.Parse()
	for _, shared := range []bool{true, false} {
		if err := run(*writers, *each, shared); err != nil {
			log.Fatal(err)
		}
	}
}

func run(writers, each int, shared bool) error {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	url := srv.URL + "/counters/visits"
	if _, err := srv.SetDoc("/counters/visits", []byte(`{"n":0}`)); err != nil {
		return err
	}

	clients := make([]*ifmatch.Client, writers)
	for i := range clients {
		if i == 0 || !shared {
			clients[i] = ifmatch.New(nil)
		} else {
			clients[i] = clients[0]
		}
	}
	ctx := context.Background()
	var committed, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := ifmatch.Modify(ctx, c, url, func(v *counter) error {
					v.N++
					return nil
				})
				if err != nil {
					failed.Add(1)
					fmt.Fprintln(os.Stderr, err)
					continue
				}
				committed.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	doc, _, _ := srv.Doc("/counters/visits")
	var final counter
	if err := json.Unmarshal(doc, &final); err != nil {
		return err
	}
	var rebases int64
	seen := map[*ifmatch.Client]bool{}
	for _, c := range clients {
		if !seen[c] {
			seen[c] = true
			rebases += c.Stats().Rebases
		}
	}
	st := srv.Stats()
	var requests int64
	for _, n := range st.Requests {
		requests += n
	}
	requested := int64(writers * each)
	mode := "one shared Client (group commit)"
	if !shared {
		mode = fmt.Sprintf("%d independent Clients", writers)
	}
	fmt.Printf("%d goroutines x %d increments of one counter, %s\n", writers, each, mode)
	fmt.Printf("  updates requested   %d\n", requested)
	fmt.Printf("  updates committed   %d (failed %d)\n", committed.Load(), failed.Load())
	fmt.Printf("  final counter       %d\n", final.N)
	fmt.Printf("  lost updates        %d\n", committed.Load()-int64(final.N))
	fmt.Printf("  conflicts rebased   %d\n", rebases)
	fmt.Printf("  writes to server    %d\n", st.Commits)
	fmt.Printf("  requests per update %.2f\n", float64(requests)/float64(requested))
	fmt.Printf("  elapsed             %v\n\n", elapsed.Round(time.Millisecond))
	if final.N != int(committed.Load()) || failed.Load() != 0 {
		return fmt.Errorf("lost or failed updates")
	}
	return nil
}

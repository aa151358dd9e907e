// Package inventory is a typed client for an inventory API, and an example
// of a domain SDK built on ifmatch: the SDK says once where the API lives,
// how to authenticate and where versions are kept, and its methods state
// changes in the domain's words. ifmatch does the ETags, If-Match, and the
// refetch-and-retry on conflicts.
package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ifmatch/ifmatch"
)

// Item is one stock-keeping unit.
type Item struct {
	SKU   string   `json:"sku"`
	Name  string   `json:"name"`
	Stock int      `json:"stock"`
	Tags  []string `json:"tags,omitempty"`
	// Version string `json:"version,omitempty"` // with VersionField "/version", see New
}

var (
	// ErrNotFound means there is no item with that SKU. It wraps the
	// *ifmatch.ResponseError of the 404.
	ErrNotFound = errors.New("inventory: item not found")
	// ErrConflict is ifmatch.ErrConflict: a conflict that retries could not
	// resolve, or that ran out of time. errors.As to *ifmatch.ConflictError
	// tells more.
	ErrConflict = ifmatch.ErrConflict
)

// OutOfStockError means a stock adjustment would take an item below zero.
// Nothing was written.
type OutOfStockError struct {
	SKU   string
	Stock int // the stock when the adjustment was refused
	Delta int
}

func (e *OutOfStockError) Error() string {
	return fmt.Sprintf("inventory: %s: out of stock: %d in stock, adjustment %d", e.SKU, e.Stock, e.Delta)
}

// Client is safe for concurrent use; share one per token.
type Client struct {
	base string
	occ  *ifmatch.Client
}

// An Option adjusts the ifmatch.Options the Client is built with (an HTTP
// client, retry budgets, a logger).
type Option func(*ifmatch.Options)

// New returns a Client for the API at baseURL (such as
// "https://inventory.example.com/v1") that authenticates with token.
func New(baseURL, token string, opts ...Option) *Client {
	o := ifmatch.Options{Header: http.Header{}}
	if token != "" {
		// Sent with every request, and kept out of errors and logs; the
		// ETag cache is partitioned by it.
		o.Header.Set("Authorization", "Bearer "+token)
	}
	// An API that keeps the version in the item rather than in the ETag
	// header (as CouchDB's _rev) says so here, and Item gets the field:
	//
	//	o.VersionField = "/version"
	for _, opt := range opts {
		opt(&o)
	}
	return &Client{base: strings.TrimSuffix(baseURL, "/"), occ: ifmatch.New(&o)}
}

func (c *Client) url(sku string) string { return c.base + "/items/" + url.PathEscape(sku) }

// Get reads an item.
func (c *Client) Get(ctx context.Context, sku string) (*Item, error) {
	resp, err := c.occ.Get(ctx, c.url(sku))
	return decode(resp, err)
}

// AdjustStock adds delta (negative: takes out) to an item's stock. It
// returns *OutOfStockError, writing nothing, if the stock would go below
// zero. The check runs on every attempt, against the stock as it is then.
func (c *Client) AdjustStock(ctx context.Context, sku string, delta int) (*Item, error) {
	it, err := ifmatch.Modify(ctx, c.occ, c.url(sku), func(it *Item) error {
		if it.Stock+delta < 0 {
			return &OutOfStockError{SKU: sku, Stock: it.Stock, Delta: delta}
		}
		it.Stock += delta
		return nil
	})
	return it, mapError(err)
}

// Rename changes an item's name, leaving the rest as it is then.
func (c *Client) Rename(ctx context.Context, sku, name string) (*Item, error) {
	patch, err := json.Marshal(map[string]string{"name": name})
	if err != nil {
		return nil, err
	}
	resp, err := c.occ.MergePatch(ctx, c.url(sku), patch)
	return decode(resp, err)
}

func decode(resp *ifmatch.Response, err error) (*Item, error) {
	if err != nil {
		return nil, mapError(err)
	}
	it := new(Item)
	if err := json.Unmarshal(resp.Body, it); err != nil {
		return nil, fmt.Errorf("inventory: decoding item: %w", err)
	}
	return it, nil
}

// mapError turns a 404 into ErrNotFound, keeping the ifmatch error
// underneath; every other error, ErrConflict included, passes as it is.
func mapError(err error) error {
	var re *ifmatch.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

package ifmatch

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
	"github.com/ifmatch/ifmatch/internal/merge3"
)

// Where a resource's version lives: the ETag header by default, or a field
// of the document (Options.VersionField) for APIs such as CouchDB
// ("/_rev") and Kubernetes ("/metadata/resourceVersion").

// versionOf returns the version of the representation in an answer, "" if
// it has none. ETags are returned verbatim, weak ones included.
func (c *Client) versionOf(h http.Header, body []byte) string {
	if c.cfg.VersionField == "" {
		return h.Get("ETag")
	}
	v, _ := pointerString(body, c.cfg.VersionField)
	return v
}

// withVersion prepares a write based on version v: If-Match in header mode;
// in field mode the version goes into the body (PUT), into a JSON Patch as
// a leading test, into a merge patch, and into VersionParam when set.
func (c *Client) withVersion(r *request, v, contentType string) error {
	r.conditional = true
	if c.cfg.VersionField == "" {
		r.header.Set("If-Match", v)
		return nil
	}
	if c.cfg.VersionParam != "" {
		u, err := url.Parse(r.url)
		if err != nil {
			return errInvalidURL
		}
		q := u.Query()
		q.Set(c.cfg.VersionParam, v)
		u.RawQuery = q.Encode()
		r.url = u.String()
	}
	if r.body == nil {
		return nil
	}
	val, _ := json.Marshal(v)
	var err error
	switch contentType {
	case contentJSONPatch:
		test := fmt.Sprintf(`[{"op":"test","path":%q,"value":%s}`, c.cfg.VersionField, val)
		if rest := strings.TrimSpace(string(r.body)); len(rest) > 2 {
			r.body = []byte(test + "," + rest[1:])
		} else {
			r.body = []byte(test + "]")
		}
	default: // a whole document or a merge patch: set the field
		r.body, err = setPointer(r.body, c.cfg.VersionField, val)
	}
	return err
}

// pointerString reads the value at an RFC 6901 JSON Pointer: strings
// unquoted, other values as their JSON text.
func pointerString(doc []byte, ptr string) (string, bool) {
	cur, err := merge3.Decode(doc)
	if err != nil {
		return "", false
	}
	toks, ok := pointerTokens(ptr)
	if !ok {
		return "", false
	}
	for _, t := range toks {
		switch n := cur.(type) {
		case map[string]any:
			if cur, ok = n[t]; !ok {
				return "", false
			}
		case []any:
			i, err := jsonpointer.Index(t, len(n), false)
			if err != nil {
				return "", false
			}
			cur = n[i]
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case nil:
		return "", false
	default:
		b, _ := json.Marshal(v)
		return string(b), true
	}
}

// setPointer sets the object member at ptr to the JSON value val, creating
// intermediate objects.
func setPointer(doc []byte, ptr string, val json.RawMessage) ([]byte, error) {
	toks, ok := pointerTokens(ptr)
	if !ok || len(toks) == 0 {
		return nil, fmt.Errorf("%w: version field %q is not a JSON Pointer to a member", ErrInvalidChange, ptr)
	}
	// Numbers stay exact (json.Number): no field is changed but the
	// version's.
	v, err := merge3.Decode(doc)
	root, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: a document with a version field must be a JSON object", ErrInvalidChange)
	}
	cur := root
	for _, t := range toks[:len(toks)-1] {
		next, ok := cur[t].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[t] = next
		}
		cur = next
	}
	cur[toks[len(toks)-1]] = val
	return marshalNoEscape(root)
}

// pointerTokens splits an RFC 6901 JSON Pointer into its tokens.
func pointerTokens(ptr string) ([]string, bool) {
	toks, err := jsonpointer.Parse(ptr)
	return toks, err == nil
}

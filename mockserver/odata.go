package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// OData V4 services (SAP CAP, Dynamics, Graph), as clients meet them:
//
//   - Options.ODataPatch: PATCH takes a merge patch sent as
//     application/json, and refuses the RFC patch media types with 415.
//   - Options.TimestampETags with WeakETags: the version is the commit
//     time, W/"2026-12-02T03:59:01.932000Z", taken back verbatim.
//   - Options.RequireIfMatch: a write without If-Match gets 428.
//   - Options.Annotations: answers carry "@odata.context" and
//     "@odata.etag"; annotations sent in a write are not stored.
//   - Options.ManagedFields: fields the server sets on every write
//     ("ModifiedAt"), whatever the write sends.
//   - Options.PutKeepsOmitted: a PUT keeps the fields it omits, as SAP CAP
//     does (OData says PUT resets them; both are met).
//
// A write is answered with 200 (201 on create), the stored document, its
// annotations and its ETag. ODataOptions sets all of these.

// ODataOptions returns Options that behave as an OData V4 service such as
// SAP CAP does: weak timestamp ETags compared verbatim, 428 for a write
// without If-Match, merge patches as application/json, annotations in
// answers and ignored in writes, a server-managed "ModifiedAt" field, and
// PUT keeping the fields it omits.
func ODataOptions() Options {
	return Options{
		RequireIfMatch:  true,
		WeakETags:       true,
		TimestampETags:  true,
		ODataPatch:      true,
		Annotations:     true,
		ManagedFields:   []string{"ModifiedAt"},
		PutKeepsOmitted: true,
	}
}

// validateOData reports OData options the other modes cannot honor.
func (o Options) validateOData() error {
	var errs []error
	if o.VersionField != "" && (o.TimestampETags || o.Annotations) {
		errs = append(errs, errors.New("mockserver: TimestampETags and Annotations need ETag mode, not VersionField"))
	}
	for _, f := range o.ManagedFields {
		if f == "" || strings.Contains(f, "@") {
			errs = append(errs, errors.New("mockserver: ManagedFields "+strconv.Quote(f)+": want a member name without @"))
		}
	}
	return errors.Join(errs...)
}

// odata reports whether a write's stored form may differ from its body.
func (o Options) odata() bool {
	return o.Annotations || len(o.ManagedFields) > 0 || o.TimestampETags
}

// stampLocked returns the commit time of a new version: now, or just after
// the last one, so that timestamp ETags are never reused. h.mu must be
// held. Across restarts they stay unique as long as the clock does not go
// back.
func (h *Handler) stampLocked() string {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if !now.After(h.lastStamp) {
		now = h.lastStamp.Add(time.Microsecond)
	}
	h.lastStamp = now
	return now.Format("2006-01-02T15:04:05.000000Z")
}

// storedForm is what the server stores of body, an object, committed at
// stamp: without annotations, with the managed fields set to stamp. Other
// JSON values are stored as they are.
func (h *Handler) storedForm(body []byte, stamp string) []byte {
	if !h.opts.Annotations && len(h.opts.ManagedFields) == 0 {
		return body
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return body
	}
	if h.opts.Annotations {
		for k := range m {
			if strings.Contains(k, "@") {
				delete(m, k)
			}
		}
	}
	val, _ := json.Marshal(stamp)
	for _, f := range h.opts.ManagedFields {
		m[f] = val
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// keepOmitted is a PUT's document with the top-level fields of cur it
// omits, for PutKeepsOmitted. Anything but two objects is doc as it is.
func keepOmitted(cur, doc []byte) []byte {
	var c, d map[string]json.RawMessage
	if json.Unmarshal(cur, &c) != nil || json.Unmarshal(doc, &d) != nil || c == nil || d == nil {
		return doc
	}
	for k, v := range c {
		if _, ok := d[k]; !ok {
			d[k] = v
		}
	}
	out, err := json.Marshal(d)
	if err != nil {
		return doc
	}
	return out
}

// present is the document as an answer shows it: with the OData
// annotations "@odata.context" and "@odata.etag" first, in Annotations
// mode, when it is an object.
func (h *Handler) present(body []byte, etag, path string) []byte {
	if !h.opts.Annotations || len(body) == 0 || body[0] != '{' {
		return body
	}
	ctx, _ := json.Marshal("$metadata#" + path + "/$entity")
	tag, _ := json.Marshal(etag)
	var b bytes.Buffer
	b.Grow(len(body) + len(ctx) + len(tag) + 40)
	b.WriteString(`{"@odata.context":`)
	b.Write(ctx)
	b.WriteString(`,"@odata.etag":`)
	b.Write(tag)
	if rest := bytes.TrimSpace(body[1:]); len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(body[1:])
	return b.Bytes()
}

// minimalAnswer drops the document from a successful write's answer when
// the request asks for Prefer: return=minimal (RFC 7240), as OData services
// do: 200 becomes 204, the ETag stays, Preference-Applied says so.
func minimalAnswer(r *http.Request, resp *response) {
	if !resp.committed || resp.body == nil || !prefersMinimal(r.Header) {
		return
	}
	resp.header.Del("Content-Type")
	resp.header.Set("Preference-Applied", "return=minimal")
	resp.body = nil
	if resp.status == http.StatusOK {
		resp.status = http.StatusNoContent
	}
}

// prefersMinimal reports whether a Prefer header asks for return=minimal.
func prefersMinimal(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(p), " ", ""), "return=minimal") {
				return true
			}
		}
	}
	return false
}

package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// serveAdmin answers the endpoints under AdminPrefix. They are never
// faulted nor counted, so a test can always observe and steer the server:
//
//	GET    /_mock/stats        Stats
//	DELETE /_mock/stats        ResetStats
//	GET    /_mock/faults       Faults
//	PUT    /_mock/faults       SetFaults from a JSON object (missing fields are zero), answers the new Faults
//	GET    /_mock/docs/<path>  Doc of /<path>, with its ETag
//	PUT    /_mock/docs/<path>  SetDoc of /<path>
//	DELETE /_mock/docs/<path>  DeleteDoc of /<path>
func (h *Handler) serveAdmin(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, AdminPrefix)
	switch {
	case rest == "stats":
		h.adminStats(w, r)
	case rest == "faults":
		h.adminFaults(w, r)
	case strings.HasPrefix(rest, "docs/"):
		h.adminDoc(w, r, "/"+strings.TrimPrefix(rest, "docs/"))
	default:
		problem(http.StatusNotFound, ProblemNotFound, "Not Found",
			"admin endpoints are "+AdminPrefix+"stats, "+AdminPrefix+"faults and "+AdminPrefix+"docs/<path>", r.URL.Path).write(w, false)
	}
}

func (h *Handler) adminStats(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, h.Stats())
	case http.MethodDelete:
		h.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, r, "GET, HEAD, DELETE")
	}
}

func (h *Handler) adminFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, h.Faults())
	case http.MethodPut:
		body, resp := readBody(r)
		if resp != nil {
			resp.write(w, false)
			return
		}
		var f Faults
		err := json.Unmarshal(body, &f)
		if err == nil && jsonKind(body) != "object" {
			// json.Unmarshal takes null as "no change", which here would
			// silently switch every fault off
			err = errors.New("mockserver: faults: want a JSON object, not " + jsonKind(body))
		}
		if err == nil {
			err = f.Validate()
		}
		if err != nil {
			problem(http.StatusBadRequest, ProblemBadRequest, "Bad Request", err.Error(), r.URL.Path).write(w, false)
			return
		}
		h.SetFaults(f)
		writeJSON(w, http.StatusOK, h.Faults())
	default:
		methodNotAllowed(w, r, "GET, HEAD, PUT")
	}
}

func (h *Handler) adminDoc(w http.ResponseWriter, r *http.Request, path string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		doc, etag, ok := h.Doc(path)
		if !ok {
			notFound(path).write(w, r.Method == http.MethodHead)
			return
		}
		docResponse(http.StatusOK, doc, etag).write(w, r.Method == http.MethodHead)
	case http.MethodPut:
		body, resp := readBody(r)
		if resp != nil {
			resp.write(w, false)
			return
		}
		stored, created, err := h.setDoc(path, bytes.TrimSpace(body))
		if err != nil {
			problem(http.StatusBadRequest, ProblemInvalidJSON, "Bad Request", err.Error(), r.URL.Path).write(w, false)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		docResponse(status, stored.body, stored.etag).write(w, false)
	case http.MethodDelete:
		if !h.DeleteDoc(path) {
			notFound(path).write(w, false)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, r, "GET, HEAD, PUT, DELETE")
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	problem(http.StatusMethodNotAllowed, ProblemMethodNotAllowed, "Method Not Allowed", "allowed: "+allow, r.URL.Path).write(w, false)
}

package ifmatch_test

import (
	"net/http"
	"net/http/httptest"
)

type recorder struct{ *httptest.ResponseRecorder }

func newRecorder() recorder { return recorder{httptest.NewRecorder()} }

func (r recorder) result(req *http.Request) *http.Response {
	resp := r.Result()
	resp.Request = req
	return resp
}

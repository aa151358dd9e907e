package jsontest

import (
	"encoding/json"
	"testing"
)

func TestFlat(t *testing.T) {
	for _, tt := range []struct {
		n     int
		value string
		want  string
	}{
		{0, `0`, `{}`},
		{2, `"v"`, `{"k0":"v","k1":"v"}`},
	} {
		if got := Flat(tt.n, tt.value); got != tt.want || !json.Valid([]byte(got)) {
			t.Errorf("Flat(%d, %s) = %s, want %s", tt.n, tt.value, got, tt.want)
		}
	}
}

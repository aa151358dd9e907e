// Package jsontest builds JSON documents for tests of the mock server and
// its merge patch: large inputs written the same way everywhere.
package jsontest

import (
	"strconv"
	"strings"
)

// Flat is a JSON object of n members "k0".."k<n-1>", each holding value
// (JSON text, such as `0` or `"v"`).
func Flat(n int, value string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":`)
		b.WriteString(value)
	}
	b.WriteByte('}')
	return b.String()
}

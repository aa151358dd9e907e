package main

import (
	"io"
	"reflect"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestODataFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want mockserver.Options // the OData fields only
	}{
		{"none", nil, mockserver.Options{}},
		{"each", []string{"-timestamp-etags", "-odata-patch", "-annotations", "-put-keeps-omitted", "-managed-fields", "A,B"},
			mockserver.Options{TimestampETags: true, ODataPatch: true, Annotations: true, PutKeepsOmitted: true, ManagedFields: []string{"A", "B"}}},
		{"odata", []string{"-odata"}, mockserver.ODataOptions()},
		{"odata with fields of its own", []string{"-odata", "-managed-fields", "modifiedAt,modifiedBy"},
			func() mockserver.Options {
				o := mockserver.ODataOptions()
				o.ManagedFields = []string{"modifiedAt", "modifiedBy"}
				return o
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatalf("parseFlags(%q): %v", tt.args, err)
			}
			o := c.opts
			got := mockserver.Options{RequireIfMatch: o.RequireIfMatch, WeakETags: o.WeakETags, TimestampETags: o.TimestampETags,
				ODataPatch: o.ODataPatch, Annotations: o.Annotations, ManagedFields: o.ManagedFields, PutKeepsOmitted: o.PutKeepsOmitted}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

package main

import "testing"

func TestQuickstart(t *testing.T) {
	for _, shared := range []bool{true, false} {
		if err := run(8, 20, shared); err != nil {
			t.Errorf("shared=%v: %v", shared, err)
		}
	}
}

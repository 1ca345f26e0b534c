package scheduler

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWindowCapacity(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/small.json")
	require.NoError(t, err)
	// small: P = 6, weeks 13 (day 105, last of P2) and 14 (day 126, first of
	// P3) around the Christmas holidays, weeks 14..20 consecutive.
	tests := []struct {
		name        string
		give        []PackUnavailability
		wantCap     map[int]int // week → capW; other weeks 6
		wantInexact bool
	}{
		{"none", nil, map[int]int{}, false},
		{"two weeks from a Monday", []PackUnavailability{{Pack: 1, FromDay: 126, ToDay: 140}},
			map[int]int{14: 5, 15: 5}, false},
		{"same pack twice counts once", []PackUnavailability{{Pack: 2, FromDay: 126, ToDay: 133}, {Pack: 2, FromDay: 130, ToDay: 140}},
			map[int]int{14: 5, 15: 5}, false},
		{"two packs", []PackUnavailability{{Pack: 1, FromDay: 126, ToDay: 140}, {Pack: 6, FromDay: 133, ToDay: 134}},
			map[int]int{14: 5, 15: 4}, false},
		// A window from Wednesday meets every loan busy in that week but
		// not its Monday: capW is stricter than the relaxation.
		{"from a Wednesday", []PackUnavailability{{Pack: 3, FromDay: 128, ToDay: 140}},
			map[int]int{14: 5, 15: 5}, true},
		// During the Christmas holidays: only loans extended over the
		// holidays hold a pack then; small has extensions, so week 13's
		// widest part runs to the Monday of week 14.
		{"in the holidays", []PackUnavailability{{Pack: 4, FromDay: 120, ToDay: 122}},
			map[int]int{13: 5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst, err := ParseInstance(data)
			require.NoError(t, err)
			inst.PackUnavailability = tt.give
			m, err := compile(inst)
			require.NoError(t, err)
			for w := range m.W {
				want, ok := tt.wantCap[w]
				if !ok {
					want = 6
				}
				assert.Equal(t, want, m.capW[w], "capW of week %d", w)
			}
			assert.Equal(t, tt.wantInexact, m.down.inexact, "inexact")
		})
	}
}

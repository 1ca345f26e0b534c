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
		name    string
		give    []PackUnavailability
		wantCap map[int]int // week → capW; other weeks 6
	}{
		{"none", nil, map[int]int{}},
		{"two weeks from a Monday", []PackUnavailability{{Pack: 1, FromDay: 126, ToDay: 140}},
			map[int]int{14: 5, 15: 5}},
		// The database's windows start the day before (see store.buildRound).
		{"from the Sunday before", []PackUnavailability{{Pack: 1, FromDay: 125, ToDay: 138}},
			map[int]int{14: 5, 15: 5}},
		{"same pack twice counts once", []PackUnavailability{{Pack: 2, FromDay: 126, ToDay: 133}, {Pack: 2, FromDay: 130, ToDay: 140}},
			map[int]int{14: 5, 15: 5}},
		// Every loan covering week 14 (first of P3) runs on into week 15:
		// a window in week 15 takes the pack from week 14 too.
		{"two packs", []PackUnavailability{{Pack: 1, FromDay: 126, ToDay: 140}, {Pack: 6, FromDay: 133, ToDay: 134}},
			map[int]int{14: 4, 15: 4}},
		// P1 (weeks 0-6, consecutive): loans start in week 0 or 1. Week 6
		// is covered by loans from week 1 (free on day 53) and, by their
		// turnaround only, by loans from week 0 (free on day 46).
		{"Wednesday of week 6", []PackUnavailability{{Pack: 3, FromDay: 44, ToDay: 45}},
			map[int]int{0: 5, 1: 5, 2: 5, 3: 5, 4: 5, 5: 5, 6: 5}}, // every P1 loan holds its pack past day 44
		{"Saturday of week 6", []PackUnavailability{{Pack: 3, FromDay: 47, ToDay: 48}},
			map[int]int{}},
		// During the Christmas holidays only extensions over the holidays
		// hold a pack: the weeks stay open, the numbering decides.
		{"in the holidays", []PackUnavailability{{Pack: 4, FromDay: 120, ToDay: 122}},
			map[int]int{}},
		{"whole P3", []PackUnavailability{{Pack: 5, FromDay: 126, ToDay: 175}},
			map[int]int{14: 5, 15: 5, 16: 5, 17: 5, 18: 5, 19: 5, 20: 5}},
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
		})
	}
}

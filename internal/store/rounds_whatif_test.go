package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/classemobile/classemobile/internal/store"
)

func TestUnservedWhatIf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		give      store.RoundUnserved
		wantDelta int
		wantOK    bool
	}{
		{name: "one pack in a period", give: store.RoundUnserved{Code: "capacity",
			Message: "Capacité : P1, P2 pleines ; serait servi avec un pack de plus en P2."}, wantDelta: 1, wantOK: true},
		{name: "two packs for a 2-pack request", give: store.RoundUnserved{Code: "capacity",
			Message: "Capacité : P4 pleine ; serait servi avec 2 packs de plus en P4."}, wantDelta: 2, wantOK: true},
		{name: "more packs than the city owns", give: store.RoundUnserved{Code: "too_many_packs",
			Message: "Demande 3 packs, la ville n'en a que 2. Pour la servir : 1 pack(s) de plus."}, wantDelta: 1, wantOK: true},
		{name: "penalties", give: store.RoundUnserved{Code: "concentration",
			Message: "Non servi : les pénalités annulent sa valeur ; serait servi avec un pack de plus en P5."}, wantDelta: 1, wantOK: true},
		{name: "capacity without a fix", give: store.RoundUnserved{Code: "capacity",
			Message: "Non servie : pas assez de packs libres en P1."}},
		{name: "excluded by the coordinator", give: store.RoundUnserved{Code: "excluded",
			Message: "Exclue de ce tour par le coordinateur."}},
		{name: "ineligible", give: store.RoundUnserved{Code: "ineligible", Message: "Inéligible : un pack de plus n'y change rien."}},
		{name: "absurd number", give: store.RoundUnserved{Code: "capacity", Message: "serait servi avec 999 packs de plus en P1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := store.UnservedWhatIf(tt.give)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantDelta, got.PacksDelta)
		})
	}
}

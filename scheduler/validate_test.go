package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateInconsistentInstances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		giveMutate  func(inst *scheduler.Instance)
		wantElement string
		wantMessage string
	}{
		{"unknown school", func(i *scheduler.Instance) { i.Projects[2].School = "E99999" }, `projects[2] "PR00003"`, `unknown school "E99999"`},
		{"unknown sector", func(i *scheduler.Instance) { i.Schools[1].Sector = "S999" }, `schools[1] "E00002"`, `unknown sector "S999"`},
		{"duplicate project", func(i *scheduler.Instance) { i.Projects[5].ID = i.Projects[4].ID }, `projects[5] "PR00005"`, "duplicate"},
		{"duplicate school", func(i *scheduler.Instance) { i.Schools[3].ID = i.Schools[0].ID }, `schools[3] "E00001"`, "duplicate"},
		{"duplicate sector", func(i *scheduler.Instance) { i.Sectors[1].ID = i.Sectors[0].ID }, `sectors[1] "S001"`, "duplicate"},
		{"week index out of order", func(i *scheduler.Instance) { i.Calendar.Weeks[3].Index = 40 }, "calendar.weeks[3]", "index is 40"},
		{"week in unknown period", func(i *scheduler.Instance) { i.Calendar.Weeks[3].Period = "P9" }, "calendar.weeks[3]", `unknown period "P9"`},
		{"today out of range", func(i *scheduler.Instance) { i.Params.TodayWeek = 99 }, "params.today_week", "is 99"},
		{"unknown preferred period", func(i *scheduler.Instance) { i.Projects[0].PreferredPeriods = []string{"P7"} }, `projects[0] "PR00001"`, `unknown preferred period "P7"`},
		{"no packs needed", func(i *scheduler.Instance) { i.Projects[0].Packs = 0 }, `projects[0] "PR00001"`, "packs is 0"},
		{"negative weight", func(i *scheduler.Instance) { i.Params.Weights.ChurnDrop = -1 }, "params.weights.churn_drop", "is -1"},
		{"wrong format", func(i *scheduler.Instance) { i.Format = "v0" }, "format", `is "v0"`},
		{"locked loan past the year", func(i *scheduler.Instance) {
			i.PreviousPlan = &scheduler.PreviousPlan{Loans: []scheduler.PreviousLoan{
				{Project: "PR00001", StartWeek: 33, ExtensionWeeks: 0, Packs: []int{1}, Locked: true}}}
		}, `previous_plan.loans[0] "PR00001"`, "does not fit"},
		{"locked loans over capacity", func(i *scheduler.Instance) {
			var loans []scheduler.PreviousLoan
			for _, p := range i.Projects[:8] {
				loans = append(loans, scheduler.PreviousLoan{Project: p.ID, StartWeek: 0, Packs: []int{1}, Locked: true})
			}
			i.PreviousPlan = &scheduler.PreviousPlan{Loans: loans}
		}, "calendar.weeks[0]", "locked loans use"},
		{"previous plan twice the same project", func(i *scheduler.Instance) {
			i.PreviousPlan = &scheduler.PreviousPlan{Loans: []scheduler.PreviousLoan{
				{Project: "PR00001", StartWeek: 0}, {Project: "PR00001", StartWeek: 7}}}
		}, `previous_plan.loans[1] "PR00001"`, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := loadInstance(t, "small")
			tt.giveMutate(inst)
			err := inst.Validate()
			var ve *scheduler.ValidationError
			require.True(t, errors.As(err, &ve), "a *ValidationError, got %v", err)
			found := false
			for _, p := range ve.Problems {
				if p.Element == tt.wantElement {
					found = true
					assert.Contains(t, p.Message, tt.wantMessage, "message for %s", tt.wantElement)
				}
			}
			assert.True(t, found, "problem names %s: %v", tt.wantElement, ve.Problems)
			assert.Contains(t, err.Error(), tt.wantElement)

			// The other entry points refuse it the same way, without panicking.
			_, err = scheduler.Solve(context.Background(), inst, scheduler.Options{})
			assert.True(t, errors.As(err, &ve), "Solve returns the validation error")
			_, err = scheduler.Evaluate(inst, &scheduler.Plan{})
			assert.True(t, errors.As(err, &ve), "Evaluate returns the validation error")
		})
	}
}

func TestParseInstanceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{"not json", "{", "decode instance"},
		{"wrong type", `{"projects": 3}`, "decode instance"},
		{"empty object", `{}`, "invalid instance"},
		{"null", `null`, "invalid instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scheduler.ParseInstance([]byte(tt.give))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestInstanceRoundTrip(t *testing.T) {
	t.Parallel()
	raw := readTestdata(t, "small-rerun.json")
	inst, err := scheduler.ParseInstance(raw)
	require.NoError(t, err)
	out, err := json.Marshal(inst)
	require.NoError(t, err)
	var a, b map[string]any
	require.NoError(t, json.Unmarshal(raw, &a))
	require.NoError(t, json.Unmarshal(out, &b))
	assert.Equal(t, a, b, "instance JSON round-trips unchanged")
}

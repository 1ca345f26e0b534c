package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const planTestdata = "../../scheduler/testdata"

func TestPlanUsage(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.json")
	data, err := os.ReadFile(filepath.Join(planTestdata, "small.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(string(data), `"school": "E00007"`, `"school": "E99999"`, 1)), 0o644))
	for _, tt := range []struct {
		name     string
		giveArgs []string
		wantCode int
		wantErr  string
	}{
		{name: "no subcommand", giveArgs: []string{"plan"}, wantCode: 2, wantErr: "plan solve --instance F"},
		{name: "help", giveArgs: []string{"plan", "-h"}, wantCode: 0, wantErr: "plan capacity --instance F"},
		{name: "unknown subcommand", giveArgs: []string{"plan", "frob"}, wantCode: 2, wantErr: `unknown subcommand "frob"`},
		{name: "solve help", giveArgs: []string{"plan", "solve", "-h"}, wantCode: 0, wantErr: "-time-limit"},
		{name: "solve without instance", giveArgs: []string{"plan", "solve"}, wantCode: 2, wantErr: "--instance is required"},
		{name: "solve bad time limit", giveArgs: []string{"plan", "solve", "--instance", "x", "--time-limit", "soon"}, wantCode: 2, wantErr: "invalid value"},
		{name: "solve missing file", giveArgs: []string{"plan", "solve", "--instance", "/nonexistent.json"}, wantCode: 1, wantErr: "read instance"},
		{name: "solve inconsistent instance", giveArgs: []string{"plan", "solve", "--instance", bad}, wantCode: 1, wantErr: `projects[0] "PR00001": unknown school "E99999"`},
		{name: "evaluate without plan", giveArgs: []string{"plan", "evaluate", "--instance", "x"}, wantCode: 2, wantErr: "--plan are required"},
		{name: "capacity bad loan weeks", giveArgs: []string{"plan", "capacity", "--instance", "x", "--loan-weeks", "-1"}, wantCode: 2, wantErr: "must be positive"},
		{name: "capacity bad loan policy", giveArgs: []string{"plan", "capacity", "--instance", "x", "--loan-policy", "always"}, wantCode: 2, wantErr: "--loan-policy"},
		{name: "solve bad progress", giveArgs: []string{"plan", "solve", "--instance", "x", "--progress", "maybe"}, wantCode: 2, wantErr: "--progress must be"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, nil, tt.giveArgs...)
			assert.Equal(t, tt.wantCode, code, "exit code; stderr: %s", stderr)
			assert.Contains(t, stderr, tt.wantErr)
			assert.Empty(t, stdout, "nothing on stdout")
		})
	}
}

func TestPlanSolveAndEvaluate(t *testing.T) {
	t.Parallel()
	inst := filepath.Join(planTestdata, "small.json")
	out := filepath.Join(t.TempDir(), "plan.json")
	code, stdout, stderr := runCLI(t, nil, "plan", "solve", "--instance", inst, "--out", out, "--time-limit", "60s")
	require.Equal(t, 0, code, "solve: %s", stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "objective=5394 upper_bound=5394 proved_optimal=true")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var plan struct {
		Format        string            `json:"format"`
		Objective     int               `json:"objective"`
		UpperBound    int               `json:"upper_bound"`
		ProvedOptimal bool              `json:"proved_optimal"`
		Loans         []json.RawMessage `json:"loans"`
		Explanations  []struct {
			Project string `json:"project"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"explanations"`
	}
	require.NoError(t, json.Unmarshal(data, &plan))
	assert.Equal(t, "tablet-pack-allocation-plan/v1", plan.Format)
	assert.Equal(t, 5394, plan.Objective)
	assert.True(t, plan.ProvedOptimal)
	assert.Len(t, plan.Loans, 29)
	assert.Len(t, plan.Explanations, 40)

	code, stdout, stderr = runCLI(t, nil, "plan", "evaluate", "--instance", inst, "--plan", out)
	require.Equal(t, 0, code, "evaluate: %s", stderr)
	assert.Contains(t, stdout, "feasible=true objective=5394")
	assert.Contains(t, stdout, "school_year_penalty  -120")

	code, stdout, stderr = runCLI(t, nil, "plan", "evaluate", "--instance", inst, "--plan", out, "--json")
	require.Equal(t, 0, code, "evaluate --json: %s", stderr)
	var ev struct {
		Feasible  bool `json:"feasible"`
		Objective int  `json:"objective"`
		Terms     struct {
			SchoolYearPenalty int `json:"school_year_penalty"`
		} `json:"terms"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &ev))
	assert.True(t, ev.Feasible)
	assert.Equal(t, 5394, ev.Objective)
	assert.Equal(t, 120, ev.Terms.SchoolYearPenalty)
}

func TestPlanEvaluateInfeasible(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(planTestdata, "small-highs.plan.json"))
	require.NoError(t, err)
	var plan map[string]any
	require.NoError(t, json.Unmarshal(data, &plan))
	for _, l := range plan["loans"].([]any) {
		l.(map[string]any)["packs"] = []int{1}
	}
	data, err = json.Marshal(plan)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "bad.plan.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	code, stdout, stderr := runCLI(t, nil, "plan", "evaluate", "--instance", filepath.Join(planTestdata, "small.json"), "--plan", path)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "feasible=false")
	assert.Contains(t, stdout, "ERROR pack-overlap")
	assert.Contains(t, stderr, "plan infeasible")
}

func TestPlanCapacity(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "plan", "capacity", "--instance", filepath.Join(planTestdata, "small.json"), "--loan-weeks", "5")
	require.Equal(t, 0, code, "capacity: %s", stderr)
	assert.Contains(t, stdout, "packs=6 loan_weeks=5")
	assert.Contains(t, stdout, "pack-weeks used")
	assert.Contains(t, stdout, "packs needed to serve every eligible project")
}

// Progress goes to stderr when asked (a terminal by default, never a pipe):
// the plan, the bound and the gap, on one rewritten line, then the summary
// with how the search ended.
func TestPlanSolveProgress(t *testing.T) {
	t.Parallel()
	inst := filepath.Join(planTestdata, "medium-rerun.json")
	out := filepath.Join(t.TempDir(), "plan.json")
	code, _, stderr := runCLI(t, nil, "plan", "solve", "--instance", inst, "--out", out, "--progress", "always")
	require.Equal(t, 0, code, "solve: %s", stderr)
	assert.Contains(t, stderr, "\r\x1b[Kplan ", "progress line")
	assert.Contains(t, stderr, "bound ")
	assert.Contains(t, stderr, "stopped_by=optimal gap=0.00000%")
	code, _, stderr = runCLI(t, nil, "plan", "solve", "--instance", inst, "--out", out, "--fixed-effort")
	require.Equal(t, 0, code, "solve: %s", stderr)
	assert.NotContains(t, stderr, "\r", "no progress on a pipe")
	assert.Contains(t, stderr, "first_objective=")
}

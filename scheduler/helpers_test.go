package scheduler_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/require"
)

// readTestdata reads testdata/name, or testdata/name.gz if only that exists.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	data, err := os.ReadFile(path)
	if err == nil {
		return data
	}
	f, err := os.Open(path + ".gz")
	require.NoError(t, err, "open %s(.gz)", path)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err, "gunzip %s", path)
	data, err = io.ReadAll(zr)
	require.NoError(t, err, "gunzip %s", path)
	return data
}

func loadInstance(t testing.TB, name string) *scheduler.Instance {
	t.Helper()
	inst, err := scheduler.ParseInstance(readTestdata(t, name+".json"))
	require.NoError(t, err, "parse instance %s", name)
	return inst
}

func loadPlan(t testing.TB, name string) *scheduler.Plan {
	t.Helper()
	p, err := scheduler.ParsePlan(readTestdata(t, name+".plan.json"))
	require.NoError(t, err, "parse plan %s", name)
	return p
}

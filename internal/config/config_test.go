package config

import (
	"errors"
	"flag"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		giveArgs []string
		giveEnv  map[string]string
		want     func(t *testing.T, c Config)
		wantErr  string
	}{
		{name: "defaults", want: func(t *testing.T, c Config) {
			assert.Equal(t, ":8080", c.Addr)
			assert.Equal(t, "classemobile.db", c.DatabaseURL)
			assert.Equal(t, "http://localhost:8080", c.BaseURL)
			assert.Equal(t, 6, c.LoanWeeks)
			assert.Equal(t, 5, c.PickupWindowDays, "pickup window default")
			assert.Equal(t, "Europe/Paris", c.Location.String())
			assert.Equal(t, "outbox", c.OutboxDir)
			assert.Equal(t, "02:00", c.JobsAt)
			assert.False(t, c.Demo)
			assert.Equal(t, 60, c.FeedRatePerMinute)
			assert.Equal(t, 30, c.FeedBurst)
		}},
		{name: "environment", giveEnv: map[string]string{"DATABASE_URL": "/var/lib/cm/data.db", "DEMO": "1", "LOAN_WEEKS": "5", "BASE_URL": "https://cm.example/", "PICKUP_WINDOW_DAYS": "3"},
			want: func(t *testing.T, c Config) {
				assert.Equal(t, 3, c.PickupWindowDays)
				assert.Equal(t, "/var/lib/cm/data.db", c.DatabaseURL)
				assert.True(t, c.Demo)
				assert.Equal(t, 5, c.LoanWeeks)
				assert.Equal(t, "https://cm.example", c.BaseURL, "trailing slash trimmed")
				assert.Equal(t, filepath.Join("/var/lib/cm", "outbox"), c.OutboxDir, "outbox beside the SQLite file")
			}},
		{name: "flags win over environment", giveArgs: []string{"--db", "postgres://x@h/db", "--addr", "127.0.0.1:9000"}, giveEnv: map[string]string{"DATABASE_URL": "other.db"},
			want: func(t *testing.T, c Config) {
				assert.Equal(t, "postgres://x@h/db", c.DatabaseURL)
				assert.Equal(t, "http://127.0.0.1:9000", c.BaseURL)
				assert.Equal(t, "outbox", c.OutboxDir, "outbox in the working directory on PostgreSQL")
			}},
		{name: "every problem reported", giveArgs: []string{"--loan-weeks", "0", "--tz", "Mars/Olympus", "--jobs-at", "25:00", "--smtp", "http://x"},
			wantErr: "loan-weeks"},
		{name: "stray argument", giveArgs: []string{"extra"}, wantErr: "unexpected argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.giveArgs, func(k string) string { return tt.giveEnv[k] }, io.Discard)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.want(t, c)
		})
	}
	_, err := Load([]string{"--loan-weeks", "0", "--tz", "Mars/Olympus", "--jobs-at", "25:00", "--smtp", "http://x"}, func(string) string { return "" }, io.Discard)
	for _, want := range []string{"loan-weeks", "tz", "jobs-at", "smtp"} {
		assert.ErrorContains(t, err, want, "Validate reports every problem")
	}
	_, err = Load([]string{"-h"}, func(string) string { return "" }, io.Discard)
	assert.True(t, errors.Is(err, flag.ErrHelp))
}

package calendar

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestParisOffsetMatchesTZData checks the built-in summer-time rule against
// the system time zone database, hour by hour over the years the data covers.
func TestParisOffsetMatchesTZData(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	for ts := time.Date(2017, 1, 1, 0, 30, 0, 0, time.UTC); ts.Year() < 2031; ts = ts.Add(time.Hour) {
		_, off := ts.In(loc).Zone()
		if !assert.Equal(t, time.Duration(off)*time.Second, parisOffset(ts), "offset at %s", ts) {
			return
		}
	}
}

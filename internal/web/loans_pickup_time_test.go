package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestLoanPickupTime sets the agreed pickup time of a loan: the school's
// feed then shows the pickup as a timed event in Europe/Paris.
func TestLoanPickupTime(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newLoanServer(t, db)
		c := newLoanCast(t, db)
		res := call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 0})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		id := int64(res.JSON["id"].(float64))
		pickupDay := strings.ReplaceAll(res.JSON["pickup_day"].(string), "-", "")
		path := fmt.Sprintf("/api/v1/loans/%d/pickup-time", id)

		for _, tt := range []struct {
			name       string
			giveToken  string
			giveBody   any
			wantStatus int
			wantCode   string
		}{
			{name: "teacher", giveToken: c.teacher, giveBody: map[string]any{"pickup_time": "14:30"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "hour 25", giveToken: c.it, giveBody: map[string]any{"pickup_time": "25:00"}, wantStatus: 422, wantCode: "validation_failed"},
			{name: "no minutes", giveToken: c.it, giveBody: map[string]any{"pickup_time": "14h"}, wantStatus: 422, wantCode: "validation_failed"},
			{name: "missing", giveToken: c.it, giveBody: map[string]any{}, wantStatus: 422, wantCode: "validation_failed"},
			{name: "set", giveToken: c.it, giveBody: map[string]any{"pickup_time": "14:30"}, wantStatus: 200},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := call(t, ts, "POST", path, tt.giveToken, tt.giveBody)
				assert.Equal(t, tt.wantStatus, res.Status, "%s", res.Body)
				if tt.wantCode != "" {
					assert.Equal(t, tt.wantCode, res.ErrorCode())
				}
			})
		}
		res = call(t, ts, "GET", fmt.Sprintf("/api/v1/loans/%d", id), c.director, nil)
		require.Equal(t, 200, res.Status)
		assert.Equal(t, "14:30", res.JSON["pickup_time"])

		feed := call(t, ts, "POST", "/api/v1/feeds", c.coord, map[string]any{"scope": "school", "school": c.req.SchoolUAI})
		require.Equal(t, http.StatusCreated, feed.Status, "%s", feed.Body)
		url := feed.JSON["url"].(string)
		ics := call(t, ts, "GET", url[strings.Index(url, "/ics/"):], "", nil)
		require.Equal(t, 200, ics.Status)
		body := string(ics.Body)
		assert.Contains(t, body, "DTSTART;TZID=Europe/Paris:"+pickupDay+"T143000", "a timed pickup at 14:30 Paris time")
		assert.Contains(t, body, "BEGIN:VTIMEZONE")

		res = call(t, ts, "POST", path, c.coord, map[string]any{"pickup_time": ""})
		require.Equal(t, 200, res.Status, "%s", res.Body)
		assert.Nil(t, res.JSON["pickup_time"], "cleared")

		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/loans/%d/cancel", id), c.coord, map[string]any{"reason": "Classe fermée"})
		require.Equal(t, 200, res.Status, "%s", res.Body)
		res = call(t, ts, "POST", path, c.coord, map[string]any{"pickup_time": "09:00"})
		assert.Equal(t, 409, res.Status)
		assert.Equal(t, "invalid_state", res.ErrorCode())
		assert.Contains(t, errMessage(res), "annulé", "the current state is named")
	})
}

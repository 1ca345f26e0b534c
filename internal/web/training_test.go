package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestTrainingAPI: a loan blocked on the teacher's training is unblocked
// by recording it: the teacher plans it, IT records it done, the pickup
// goes through, and the training is closed afterwards.
func TestTrainingAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newLoanServer(t, db)
		c := newLoanCast(t, db)
		storetest.SetTrainingStatus(t, db, c.req.ID, "not_planned")
		res := call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 0})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		path := fmt.Sprintf("/api/v1/loans/%d", int64(res.JSON["id"].(float64)))
		require.Equal(t, http.StatusOK, call(t, ts, "POST", path+"/agreement", c.director, nil).Status)
		require.Equal(t, http.StatusOK, call(t, ts, "POST", path+"/agreement", c.it, nil).Status)
		pickup := map[string]any{"school_person": "Nadia Haddad", "all_present": true}
		res = call(t, ts, "POST", path+"/pickup", c.it, pickup)
		assert.Equal(t, "pickup_blocked", res.ErrorCode())
		assert.Contains(t, errMessage(res), "formation technique de l'enseignant (non planifiée)")

		// The teacher plans it, may not say it is done.
		res = call(t, ts, "POST", path+"/training", c.teacher, map[string]any{"planned_on": "2026-09-15"})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		training := res.JSON["training"].(map[string]any)
		assert.Equal(t, "planned", training["status"])
		assert.Equal(t, "2026-09-15", training["planned_on"])
		res = call(t, ts, "POST", path+"/training", c.teacher, map[string]any{"status": "done", "done_on": "2026-09-15"})
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Equal(t, "training_forbidden", res.ErrorCode())
		assert.Equal(t, http.StatusNotFound, call(t, ts, "POST", path+"/training", c.otherTeacher, map[string]any{"planned_on": "2026-09-15"}).Status)
		assert.Equal(t, http.StatusForbidden, call(t, ts, "POST", path+"/training", c.director, map[string]any{"planned_on": "2026-09-15"}).Status)

		// IT records it done; not in the future, a date required.
		res = call(t, ts, "POST", path+"/training", c.it, map[string]any{"status": "done"})
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, res.ErrorFields(), "done_on")
		res = call(t, ts, "POST", path+"/training", c.it, map[string]any{"status": "done", "done_on": "2026-09-30"})
		assert.Equal(t, "validation_failed", res.ErrorCode(), "the clock is 20 September 2026")
		res = call(t, ts, "POST", path+"/training", c.it, map[string]any{"status": "done", "done_on": "2026-09-15", "by": "Karim Benali (DSI)"})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		training = res.JSON["training"].(map[string]any)
		assert.Equal(t, "done", training["status"])
		assert.Equal(t, "2026-09-15", training["done_on"])
		assert.Equal(t, "Karim Benali (DSI)", training["by"])
		assert.Equal(t, "Karim Benali (DSI)", training["recorded_by_name"])

		rq := call(t, ts, "GET", fmt.Sprintf("/api/v1/requests/%d", c.req.ID), c.coord, nil)
		var actions []string
		for _, h := range rq.JSON["history"].([]any) {
			actions = append(actions, h.(map[string]any)["action"].(string))
		}
		assert.Contains(t, actions, "request.training", "audited")

		res = call(t, ts, "POST", path+"/pickup", c.it, pickup)
		require.Equal(t, http.StatusOK, res.Status, "the training no longer blocks: %s", res.Body)
		res = call(t, ts, "POST", path+"/training", c.coord, map[string]any{"status": "done", "done_on": "2026-09-14"})
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "training_closed", res.ErrorCode())

		// The request's route does the same before a loan exists.
		other := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{TrainingStatus: "not_planned"})
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/training", other.ID), c.coord, map[string]any{"planned_on": "2026-10-01", "by": "DSI"})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "planned", res.JSON["training"].(map[string]any)["status"])
	})
}

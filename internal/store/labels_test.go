package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestNamesBesideIDs: an extension, an assessment and a maintenance
// window carry the names of the people and the label of the loan beside
// their ids, whichever method returns them.
func TestNamesBesideIDs(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newAgreementCase(t, db)
		teacher, coord := store.Actor{UserID: c.teacher.ID}, store.Actor{UserID: c.coord.ID}
		label := fmt.Sprintf("prêt n° %d, %s", c.loan.ID, c.loan.SchoolName)

		ext, err := db.RequestExtension(ctx, teacher, c.loan.ID, 2, "Finir l'album", c.loan.PickupDay)
		require.NoError(t, err)
		assert.Equal(t, label, ext.LoanLabel)
		assert.Equal(t, c.teacher.Name, ext.RequestedByName)
		ext, _, err = db.DecideExtension(ctx, coord, c.loan.ID, false, "Non")
		require.NoError(t, err)
		assert.Equal(t, "Claire Morel", ext.DecidedByName)
		d, err := db.LoanDetail(ctx, c.loan.ID)
		require.NoError(t, err)
		require.Len(t, d.Extensions, 1)
		assert.Equal(t, c.teacher.Name, d.Extensions[0].RequestedByName)
		assert.Equal(t, "Claire Morel", d.Extensions[0].DecidedByName)

		returned := storetest.ReminderLoan(t, db, storetest.LoanEnv{CoordinatorID: c.coord.ID}, storetest.LoanFixture{
			SchoolUAI: c.loan.SchoolUAI, TeacherID: c.teacher.ID, State: store.LoanReturned, TrainingDone: true})
		a, err := db.SaveAssessment(ctx, teacher, store.AssessmentInput{LoanID: returned, Human: "Classe soudée",
			Pedagogical: "Album terminé", ApplyAgain: new(true)})
		require.NoError(t, err)
		assert.Equal(t, c.teacher.Name, a.AuthorName)
		assert.Equal(t, fmt.Sprintf("prêt n° %d, %s", returned, c.loan.SchoolName), a.LoanLabel)
		entries, err := db.ListAssessments(ctx, "")
		require.NoError(t, err)
		require.Len(t, entries, 1)
		assert.Equal(t, c.teacher.Name, entries[0].Assessment.AuthorName)
		assert.Equal(t, a.LoanLabel, entries[0].Assessment.LoanLabel)

		p := storetest.Pack(t, db, nil)
		m, err := db.CreateMaintenance(ctx, store.Actor{UserID: c.it.ID}, store.NewMaintenance{PackID: p.ID,
			FirstDay: calendar.MustParseDate("2027-06-01"), LastDay: calendar.MustParseDate("2027-06-04"), Reason: "Mise à jour"})
		require.NoError(t, err)
		assert.Equal(t, "Karim Benali", m.CreatedByName)
		ms, err := db.ListMaintenance(ctx, store.MaintenanceFilter{PackID: p.ID})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Equal(t, "Karim Benali", ms[0].CreatedByName)
	})
}

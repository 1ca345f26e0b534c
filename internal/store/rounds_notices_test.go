package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestRoundRerunCancellationsAndNotices: a re-run that drops a published,
// not yet started loan shows it in the draft and counts it; publishing
// needs the coordinator to confirm it; publishing computes one notice per
// person (new, moved with both dates, cancelled with the reason), the same
// as the draft's preview.
func TestRoundRerunCancellationsAndNotices(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 6})
		coord := store.Actor{UserID: d.Coordinator.ID}
		first, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		assert.Empty(t, first.Cancellations, "a first round cancels nothing")
		preview, isPreview, err := db.RoundNotices(ctx, first.ID)
		require.NoError(t, err)
		assert.True(t, isPreview)
		first, err = db.PublishRound(ctx, coord, first.ID)
		require.NoError(t, err)
		stored, _, err := db.RoundNotices(ctx, first.ID)
		require.NoError(t, err)
		require.NotEmpty(t, stored, "the first round tells its teachers and directors")
		assert.Equal(t, len(preview), len(stored), "the preview is what publishing stores")
		for _, n := range stored {
			for _, it := range n.Items {
				assert.Equal(t, store.NoticeNew, it.Kind)
				assert.NotZero(t, it.LoanID, "the notice names the loan created")
			}
		}
		before := liveLoans(t, db, d.Year)

		require.GreaterOrEqual(t, len(first.Loans), 3)
		dropped, moved := first.Loans[len(first.Loans)-1], first.Loans[len(first.Loans)-2]
		week := moved.StartWeek + 1
		in := roundInput(d.Year)
		in.Pins = []store.RoundPin{{RequestID: dropped.RequestID, Kind: store.PinExclude},
			{RequestID: moved.RequestID, Kind: store.PinServe, StartWeek: &week}}
		draft, err := round.Run(ctx, db, coord, in)
		if err != nil {
			// The week after may not be a legal start: try the week before.
			week = moved.StartWeek - 1
			in.Pins[1].StartWeek = &week
			draft, err = round.Run(ctx, db, coord, in)
		}
		require.NoError(t, err)
		droppedLoan := before[dropped.RequestID]
		require.Len(t, draft.Cancellations, 1, "the dropped loan is shown in the draft")
		c := draft.Cancellations[0]
		assert.Equal(t, droppedLoan.ID, c.LoanID)
		assert.Contains(t, c.Message, fmt.Sprintf("annule le prêt n° %d, %s", droppedLoan.ID, dropped.SchoolName))
		assert.Contains(t, c.Message, "motif")
		assert.Equal(t, 1, draft.Stats.Cancelled, "counted")
		require.Len(t, draft.Moves, 1)
		assert.Equal(t, before[moved.RequestID].ID, draft.Moves[0].LoanID)

		_, err = db.PublishRound(ctx, coord, draft.ID)
		require.Equal(t, "cancellations_unconfirmed", loanErrCode(t, err), "%v", err)
		assert.Contains(t, err.Error(), fmt.Sprintf("prêt n° %d", droppedLoan.ID))
		_, err = db.PublishRoundConfirmed(ctx, coord, draft.ID, []int64{droppedLoan.ID + 1000})
		require.Equal(t, "cancellations_unconfirmed", loanErrCode(t, err), "the wrong loan confirmed")
		still, err := db.Loan(ctx, droppedLoan.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanReserved, still.State, "nothing changed")

		preview, _, err = db.RoundNotices(ctx, draft.ID)
		require.NoError(t, err)
		pub, err := db.PublishRoundConfirmed(ctx, coord, draft.ID, []int64{droppedLoan.ID})
		require.NoError(t, err)
		assert.Equal(t, store.RoundPublished, pub.State)
		gone, err := db.Loan(ctx, droppedLoan.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanCancelled, gone.State)

		stored, preview2, err := db.RoundNotices(ctx, draft.ID)
		require.NoError(t, err)
		assert.False(t, preview2)
		require.Equal(t, len(preview), len(stored), "one notice per person, as previewed")
		kinds := map[string]int{}
		for _, n := range stored {
			for _, it := range n.Items {
				kinds[it.Kind]++
				switch it.Kind {
				case store.NoticeCancelled:
					assert.Equal(t, droppedLoan.ID, it.LoanID)
					assert.NotEmpty(t, it.Reason)
					assert.Contains(t, it.Text, "Prêt annulé")
				case store.NoticeMoved:
					require.NotNil(t, it.OldPickupDay)
					assert.Equal(t, before[moved.RequestID].PickupDay, *it.OldPickupDay, "the old date")
					assert.NotEqual(t, *it.OldPickupDay, it.PickupDay, "the new date")
					assert.Contains(t, it.Text, "Prêt déplacé")
				}
			}
		}
		assert.GreaterOrEqual(t, kinds[store.NoticeCancelled], 1, "the dropped loan's teacher is told")
		assert.GreaterOrEqual(t, kinds[store.NoticeMoved], 1, "the moved loan's teacher is told")
		mine, err := db.ListNotices(ctx, store.NoticeFilter{UserID: droppedLoan.TeacherID})
		require.NoError(t, err)
		assert.Len(t, mine, 2, "the teacher's notices of both rounds")
	})
}

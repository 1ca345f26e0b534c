package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// A page of requests is sorted, filtered, counted and cut in the database:
// pages do not overlap, their union is the whole list, and each person
// only counts what they see.
func TestListRequestsPage(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		schoolB := storetest.School(t, db, &storetest.SchoolOpts{Name: "ECOLE B"})
		schoolA := storetest.School(t, db, &storetest.SchoolOpts{Name: "ECOLE A"})
		var teacherB int64
		for i, st := range []store.RequestState{store.RequestDraft, store.RequestSubmitted, store.RequestInReview, store.RequestValidated, store.RequestAuthorised} {
			q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: schoolB.UAI, State: st})
			if i == 0 {
				teacherB = q.TeacherID
			}
			storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: schoolA.UAI, State: st})
		}
		all, err := db.ListRequestsFor(ctx, coord, store.RequestFilter{})
		require.NoError(t, err)
		require.Len(t, all, 10)

		var seen []int64
		for page := 1; page <= 4; page++ {
			p, err := db.ListRequestsPage(ctx, coord, store.RequestPageQuery{Sort: store.SortBySchool, Page: page, PageSize: 3})
			require.NoError(t, err)
			assert.Equal(t, 10, p.Total)
			assert.Equal(t, 4, p.Pages)
			assert.Equal(t, page, p.Page)
			for _, q := range p.Requests {
				seen = append(seen, q.ID)
				assert.Len(t, q.Opinions, map[store.RequestState]int{store.RequestInReview: 3, store.RequestValidated: 3}[q.State], "opinions are loaded")
			}
		}
		require.Len(t, seen, 10, "every request once")
		var ids []int64
		for _, q := range all {
			ids = append(ids, q.ID)
		}
		assert.Equal(t, ids, seen, "by school name then id, as the full list")
		first, err := db.ListRequestsPage(ctx, coord, store.RequestPageQuery{Sort: store.SortBySchool, PageSize: 3})
		require.NoError(t, err)
		assert.Equal(t, "ECOLE A", first.Requests[0].SchoolName)
		last, err := db.ListRequestsPage(ctx, coord, store.RequestPageQuery{Page: 99, PageSize: 3})
		require.NoError(t, err)
		assert.Equal(t, 4, last.Page, "beyond the last page: the last")
		assert.Len(t, last.Requests, 1)

		p, err := db.ListRequestsPage(ctx, coord, store.RequestPageQuery{NotDraft: true, PageSize: 100})
		require.NoError(t, err)
		assert.Equal(t, 8, p.Total, "drafts left out")
		p, err = db.ListRequestsPage(ctx, coord, store.RequestPageQuery{Opinions: store.OpinionsMissing})
		require.NoError(t, err)
		assert.Equal(t, 2, p.Total, "the authorised ones: opinions missing")
		p, err = db.ListRequestsPage(ctx, coord, store.RequestPageQuery{RequestFilter: store.RequestFilter{State: store.RequestInReview}, Opinions: store.OpinionsComplete})
		require.NoError(t, err)
		assert.Equal(t, 2, p.Total, "in review with the three opinions")

		teacher, err := db.User(ctx, teacherB)
		require.NoError(t, err)
		p, err = db.ListRequestsPage(ctx, teacher, store.RequestPageQuery{})
		require.NoError(t, err)
		assert.Equal(t, 1, p.Total, "a teacher counts their own")
		p, err = db.ListRequestsPage(ctx, teacher, store.RequestPageQuery{RequestFilter: store.RequestFilter{SchoolUAI: schoolA.UAI}})
		require.NoError(t, err)
		assert.Equal(t, 0, p.Total, "another school: none")
		assert.NotNil(t, p.Requests)

		for _, pq := range []store.RequestPageQuery{{Sort: "random"}, {Opinions: "some"}, {Page: -1}, {PageSize: store.MaxPageSize + 1}} {
			_, err := db.ListRequestsPage(ctx, coord, pq)
			assert.Len(t, invalidFields(t, err), 1, "%+v", pq)
		}
	})
}

package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// RequestSort orders a page of requests.
type RequestSort string

// The orders of a page of requests; both end with the id, so that pages
// never overlap.
const (
	// SortByDate puts the oldest first: by submission, or by last change
	// for a draft.
	SortByDate RequestSort = "date"
	// SortBySchool orders by school name.
	SortBySchool RequestSort = "school"
)

// OpinionsFilter selects requests by their referents' opinions.
type OpinionsFilter string

// The opinion filters.
const (
	// OpinionsComplete: the three referents gave their opinion.
	OpinionsComplete OpinionsFilter = "complete"
	// OpinionsMissing: authorised or in review, an opinion still missing.
	OpinionsMissing OpinionsFilter = "missing"
)

// DefaultPageSize is the size of a page of requests when none is asked;
// MaxPageSize the largest one may ask.
const (
	DefaultPageSize = 25
	MaxPageSize     = 500
)

// RequestPageQuery asks for one page of the requests a person sees.
type RequestPageQuery struct {
	RequestFilter
	Opinions OpinionsFilter
	// NotDraft leaves drafts out.
	NotDraft bool
	Sort     RequestSort
	// Page is 1-based; a page beyond the last gives the last one.
	Page int
	// PageSize is the number of requests a page holds (0: DefaultPageSize).
	PageSize int
}

// RequestPage is one page of requests and where it lies in the list.
type RequestPage struct {
	Requests []Request `json:"requests"`
	Total    int       `json:"total"`
	Page     int       `json:"page"`
	Pages    int       `json:"pages"`
	PageSize int       `json:"page_size"`
}

// Validate checks the filter, the sort, the opinion filter and the page.
func (pq RequestPageQuery) Validate() error {
	if err := pq.RequestFilter.Validate(); err != nil {
		return err
	}
	f := FieldErrors{}
	switch pq.Sort {
	case "", SortByDate, SortBySchool:
	default:
		f.Add("sort", "tri attendu : date ou school")
	}
	switch pq.Opinions {
	case "", OpinionsComplete, OpinionsMissing:
	default:
		f.Add("opinions", "filtre attendu : complete ou missing")
	}
	if pq.Page < 0 {
		f.Add("page", "numéro de page positif attendu")
	}
	if pq.PageSize < 0 || pq.PageSize > MaxPageSize {
		f.Add("page_size", "taille de page entre 1 et %d attendue", MaxPageSize)
	}
	return f.Err()
}

// opinionCountSQL counts the opinions of the request aliased r.
const opinionCountSQL = `(SELECT count(*) FROM request_opinions AS o WHERE o.request_id = r.id)`

// ListRequestsPage returns one page of the requests u sees that match pq,
// sorted, filtered and counted in the database: only the page's requests
// are loaded with their opinions and eligibility.
func (db *DB) ListRequestsPage(ctx context.Context, u User, pq RequestPageQuery) (_ RequestPage, err error) {
	defer wrapf(&err, "ListRequestsPage")
	if err := pq.Validate(); err != nil {
		return RequestPage{}, err
	}
	if pq.PageSize == 0 {
		pq.PageSize = DefaultPageSize
	}
	page := RequestPage{Requests: []Request{}, Page: 1, Pages: 1, PageSize: pq.PageSize}
	f, ok := u.scopeRequests(pq.RequestFilter)
	if !ok {
		return page, nil
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = f.where(q)
		if pq.NotDraft {
			q = q.Where("r.state <> ?", string(RequestDraft))
		}
		switch pq.Opinions {
		case OpinionsComplete:
			q = q.Where(opinionCountSQL+" >= ?", len(ReferentRoles))
		case OpinionsMissing:
			q = q.Where("r.state IN (?)", bun.List([]string{string(RequestAuthorised), string(RequestInReview)})).
				Where(opinionCountSQL+" < ?", len(ReferentRoles))
		}
		return q
	}
	total, err := filter(db.bun.NewSelect().TableExpr("requests AS r")).Count(ctx)
	if err != nil {
		return RequestPage{}, err
	}
	page.Total = int(total)
	page.Pages = max(1, (page.Total+pq.PageSize-1)/pq.PageSize)
	page.Page = min(max(pq.Page, 1), page.Pages)
	var rows []requestRow
	q := filter(requestSelect(db.bun, &rows))
	if pq.Sort == SortBySchool {
		q = q.OrderExpr("s.name, r.id")
	} else {
		q = q.OrderExpr("COALESCE(r.submitted_at, r.updated_at), r.id")
	}
	if err := q.Limit(int64(pq.PageSize)).Offset(int64((page.Page - 1) * pq.PageSize)).Scan(ctx); err != nil {
		return RequestPage{}, fmt.Errorf("page %d: %w", page.Page, err)
	}
	if page.Requests, err = completeRequests(ctx, db.bun, rows); err != nil {
		return RequestPage{}, err
	}
	return page, nil
}

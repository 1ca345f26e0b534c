package feed

import (
	"fmt"
	"net/http"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// LoanCalendar renders the iCalendar file of one loan (« Ajouter à mon
// agenda »): the same events as the school's feed shows for it (pickup,
// loan period, return, deadlines), with the same UIDs and revisions, so a
// calendar that also subscribes to the school's feed sees one event each.
// Another school's loan is not found.
func (s *Server) LoanCalendar(r *http.Request, u store.User, loanID int64) ([]byte, error) {
	d, err := s.db.LoanFor(r.Context(), u, loanID)
	if err != nil {
		return nil, err
	}
	target := store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: d.SchoolUAI}
	all, err := s.db.FeedLoans(r.Context(), target, calendar.Date{})
	if err != nil {
		return nil, err
	}
	var loans []store.FeedLoan
	for _, l := range all {
		if l.ID == loanID {
			loans = append(loans, l)
		}
	}
	planned := planFeed(target, loans, calendar.ParisDate(s.now()), s.feeds.host)
	states := make(map[store.FeedEventKey]store.FeedEventState, len(planned))
	for _, p := range planned {
		states[p.key] = store.FeedEventState{Hash: p.hash, Changed: p.changed}
	}
	revs, err := s.db.SyncFeedRevisions(r.Context(), states)
	if err != nil {
		return nil, err
	}
	cal := calendar.Feed{Name: fmt.Sprintf("Classe mobile — %s, %s", d.Label, d.SchoolName),
		Description: "Retrait, période de prêt, retour et échéances du " + d.Label + " (" + d.RequestTitle + ").",
		Events:      make([]calendar.Event, len(planned))}
	for i, p := range planned {
		ev := p.event
		rev := revs[p.key]
		ev.Sequence, ev.Modified = rev.Sequence, rev.ChangedAt
		cal.Events[i] = ev
	}
	return calendar.MarshalICS(cal)
}

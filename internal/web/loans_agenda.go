package web

import (
	"net/http"

	"github.com/classemobile/classemobile/internal/store"
)

// LoanCalendar renders the iCalendar file of one loan (« Ajouter à mon
// agenda »): feed.Server.LoanCalendar, for the pages.
func (s *Server) LoanCalendar(r *http.Request, u store.User, loanID int64) ([]byte, error) {
	return s.feeds.LoanCalendar(r, u, loanID)
}

// ForgetFeed drops this instance's cached lookups of a target's feed
// tokens after one was revoked by the pages, so a revoked link stops at
// once here (other instances forget it within the lookup cache's TTL).
func (s *Server) ForgetFeed(t store.FeedTarget) { s.feeds.Forget(t) }

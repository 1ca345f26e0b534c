package web

import (
	"net/http"
	"strings"

	"github.com/classemobile/classemobile/internal/store"
)

// FeedURLs returns the subscription URLs of a feed token: the http(s) one
// built on baseURL, and the same with the webcal scheme, which calendar
// applications open as a subscription.
func FeedURLs(baseURL, token string) (httpURL, webcalURL string) {
	httpURL = strings.TrimRight(baseURL, "/") + "/ics/" + token + ".ics"
	_, rest, ok := strings.Cut(httpURL, "://")
	if !ok {
		rest = httpURL
	}
	return httpURL, "webcal://" + rest
}

// feedInput is the body of POST /api/v1/feeds and the query of DELETE.
type feedInput struct {
	Scope  string `json:"scope"`
	School string `json:"school"`
	Pack   string `json:"pack"`
	// Rotate replaces the feed's active token (the old URL stops working).
	Rotate bool `json:"rotate"`
}

// feedResponse is the answer to creating or rotating a feed: the token is
// only ever shown here, inside the URLs.
type feedResponse struct {
	Feed      store.Feed `json:"feed"`
	URL       string     `json:"url"`
	WebcalURL string     `json:"webcal_url"`
	Rotated   bool       `json:"rotated"`
}

// target returns the feed target the input names for the current user
// (store.FeedInput.Target decides).
func (in *feedInput) target(u store.User) (store.FeedTarget, error) {
	return store.FeedInput{Scope: in.Scope, School: in.School, Pack: in.Pack}.Target(u)
}

// createFeed issues (or, with "rotate": true, reissues) a feed token.
func (s *Server) createFeed(w http.ResponseWriter, r *http.Request) error {
	var in feedInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u := currentUser(r)
	t, err := in.target(u)
	if err != nil {
		return err
	}
	var (
		f     store.Feed
		token string
	)
	if in.Rotate {
		f, token, err = s.db.RotateFeed(r.Context(), actor(r), t)
	} else {
		f, token, err = s.db.CreateFeed(r.Context(), actor(r), t)
	}
	if err != nil {
		return err
	}
	if in.Rotate {
		s.feeds.Forget(f.FeedTarget)
	}
	httpURL, webcal := FeedURLs(s.baseURL, token)
	status := http.StatusCreated
	if in.Rotate {
		status = http.StatusOK
	}
	return writeJSON(w, status, feedResponse{Feed: f, URL: httpURL, WebcalURL: webcal, Rotated: in.Rotate})
}

// deleteFeed revokes a feed: DELETE /api/v1/feeds?scope=school&school=UAI
// (or scope=pack&pack=CODE, or scope=all).
func (s *Server) deleteFeed(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	in := feedInput{Scope: q.Get("scope"), School: q.Get("school"), Pack: q.Get("pack")}
	t, err := in.target(currentUser(r))
	if err != nil {
		return err
	}
	f, err := s.db.RevokeFeed(r.Context(), actor(r), t)
	if err != nil {
		return err
	}
	s.feeds.Forget(f.FeedTarget)
	return writeJSON(w, http.StatusOK, map[string]any{"feed": f})
}

// listFeeds lists the active feeds (a director's: their school's). The
// URLs are not shown: only the tokens' hashes are kept.
func (s *Server) listFeeds(w http.ResponseWriter, r *http.Request) error {
	feeds, err := s.db.ListFeedsFor(r.Context(), currentUser(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"feeds": feeds})
}

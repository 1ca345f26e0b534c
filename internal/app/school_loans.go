package app

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/internal/store"
)

// feedView is one of the school's calendar links.
type feedView struct {
	ID       int64
	Name     string
	Created  string
	LastUsed string
}

// feedForgetter drops the cached lookups of a feed's tokens (the JSON
// API's server, which serves the feeds).
type feedForgetter interface{ ForgetFeed(t store.FeedTarget) }

// newFeedView is a calendar link just created: its address is shown once.
type newFeedView struct {
	Name string
	URL  string
	// Webcal is the same address for the calendars that subscribe on a
	// click (iPhone, Outlook).
	Webcal string
}

// schoolLoanPart is the loan part of Mon école: the agreements to sign
// and the school's calendar links.
type schoolLoanPart struct {
	ToSign   []schoolLoan
	Feeds    []feedView
	NewFeed  *newFeedView
	FeedName string
	CanFeeds bool
}

// fillSchoolLoans fills the loan part of Mon école for the school uai.
func (a *App) fillSchoolLoans(r *http.Request, u store.User, uai string, loans []store.Loan, p *schoolLoanPart) error {
	for _, l := range loans {
		if l.State == store.LoanReserved && l.DirectorSignature == nil {
			p.ToSign = append(p.ToSign, schoolLoan{ID: l.ID, Title: l.RequestTitle, State: l.State.Label(),
				Pickup: frenchDate(l.PickupDay.Time()), Return: frenchDate(l.ReturnDay.Time())})
		}
	}
	p.CanFeeds = u.Can(store.ActFeedManage)
	if !p.CanFeeds {
		return nil
	}
	feeds, err := a.db.SchoolFeedsFor(r.Context(), u, uai)
	if err != nil {
		return err
	}
	for _, f := range feeds {
		v := feedView{ID: f.ID, Name: f.Name, Created: frenchDate(f.CreatedAt.In(a.loc)), LastUsed: "jamais utilisé pour l'instant"}
		if v.Name == "" {
			v.Name = "lien sans nom"
		}
		if f.LastUsedAt != nil {
			v.LastUsed = frenchTime(f.LastUsedAt.In(a.loc))
		}
		p.Feeds = append(p.Feeds, v)
	}
	return nil
}

// createSchoolFeed creates a named calendar link for the director's
// school and shows its address, once: only its hash is kept.
func (a *App) createSchoolFeed(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	uai := directorSchool(u)
	if uai == "" {
		return errForbidden
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		return a.schoolWith(w, r, http.StatusUnprocessableEntity, nil,
			[]FieldError{{Field: "agenda-name", Label: "Nom du lien", Message: "Donnez un nom au lien, par exemple «\u00a0agenda Google de l'école\u00a0»."}}, name)
	}
	f, token, err := a.db.CreateFeed(r.Context(), store.Actor{UserID: u.ID}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: uai, Name: name})
	if re, ok := store.AsRule(err); ok && (re.Kind == store.RuleInvalid || re.Code == "feed_exists") {
		msg := re.Message
		if m, ok := re.FieldMessages["name"]; ok {
			msg = m
		}
		return a.schoolWith(w, r, http.StatusUnprocessableEntity, nil,
			[]FieldError{{Field: "agenda-name", Label: "Nom du lien", Message: sentence(capitalise(msg))}}, name)
	}
	if err != nil {
		return err
	}
	url := a.baseURL + "/ics/" + token + ".ics"
	nf := &newFeedView{Name: f.Name, URL: url, Webcal: "webcal://" + strings.TrimPrefix(strings.TrimPrefix(url, "https://"), "http://")}
	return a.schoolWith(w, r, http.StatusOK, nf, nil, "")
}

// revokeSchoolFeed ends one calendar link; the school's others still work.
func (a *App) revokeSchoolFeed(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	f, err := a.db.RevokeFeedByID(r.Context(), u, id)
	if err != nil {
		return err
	}
	if fg, ok := a.api.(feedForgetter); ok {
		fg.ForgetFeed(f.FeedTarget)
	}
	name := f.Name
	if name == "" {
		name = fmt.Sprintf("n° %d", f.ID)
	}
	return a.redirect(w, r, "/ecole#agendas", "Lien «\u00a0"+name+"\u00a0» révoqué\u00a0: son adresse ne fonctionne plus. Les autres liens de l'école fonctionnent toujours.")
}

package web

import (
	"net/http"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
)

// roundInput is the body of POST /rounds and POST /rounds/{id}/rerun.
// Every field but year is optional; on a re-run, absent fields keep the
// values of the round re-run.
type roundInput struct {
	// SchoolYear is the round's school year; Year is its older name,
	// still accepted.
	SchoolYear     string `json:"school_year"`
	Year           string `json:"year"`
	LoanWeeks      int    `json:"loan_weeks"`
	TurnaroundDays *int   `json:"turnaround_days"`
	// Weights gives some or all objective weights by name; the others are
	// the spec's defaults (or the re-run round's).
	Weights map[string]int `json:"weights"`
	// Pins serve a request (at start_week when given); Excludes leave
	// requests out of the round.
	Pins     []pinInput `json:"pins"`
	Excludes []int64    `json:"excludes"`
	// LoanPolicy is within_period, across_breaks or period_length;
	// defaults to the school year's setting (on a re-run, the round's).
	LoanPolicy string `json:"loan_policy"`
	// TimeLimit is a Go duration ("5s"); defaults to 10s.
	TimeLimit string `json:"time_limit"`
	// Date is the day the round is run as of ("YYYY-MM-DD"); defaults to
	// today in Paris.
	Date string `json:"date"`
}

type pinInput struct {
	RequestID      int64 `json:"request_id"`
	StartWeek      *int  `json:"start_week"`
	ExtensionWeeks int   `json:"extension_weeks"`
}

// runInput turns the body into the round's input; every rule on it is
// the use case's (round.Run, round.Rerun). Only the text forms of
// durations and dates are parsed here.
func (in *roundInput) runInput() (round.Input, error) {
	f := FieldErrors{}
	if in.SchoolYear == "" {
		in.SchoolYear = in.Year
	}
	out := round.Input{SchoolYear: in.SchoolYear, LoanWeeks: in.LoanWeeks, WeightsByName: in.Weights, LoanPolicy: calendar.LoanPolicy(in.LoanPolicy)}
	if in.TurnaroundDays != nil {
		out.TurnaroundDays = *in.TurnaroundDays
		if out.TurnaroundDays == 0 {
			out.TurnaroundDays = -1 // no turnaround
		}
	}
	if in.TimeLimit != "" {
		d, err := time.ParseDuration(in.TimeLimit)
		if err != nil {
			f.Add("time_limit", "durée attendue au format 10s, 1m30s…")
		}
		out.TimeLimit = d
	}
	if in.Date != "" {
		d, err := calendar.ParseDate(in.Date)
		if err != nil {
			f.Add("date", "date attendue au format AAAA-MM-JJ")
		}
		out.Today = d
	}
	if in.Pins != nil || in.Excludes != nil {
		out.Pins = []store.RoundPin{}
	}
	for _, p := range in.Pins {
		out.Pins = append(out.Pins, store.RoundPin{RequestID: p.RequestID, Kind: store.PinServe,
			StartWeek: p.StartWeek, ExtensionWeeks: p.ExtensionWeeks})
	}
	for _, id := range in.Excludes {
		out.Pins = append(out.Pins, store.RoundPin{RequestID: id, Kind: store.PinExclude})
	}
	return out, f.Err()
}

// createRound answers POST /api/v1/rounds: it computes a round and stores
// it as a draft (201).
func (s *Server) createRound(w http.ResponseWriter, r *http.Request) error {
	var in roundInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	si, err := in.runInput()
	if err != nil {
		return err
	}
	if si.LoanWeeks == 0 {
		si.LoanWeeks = s.loanWeeks
	}
	if si.Today.IsZero() {
		si.Today = calendar.ParisDate(s.now())
	}
	rd, err := round.Run(r.Context(), s.db, actor(r), si)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/rounds/"+itoa(int(rd.ID)))
	return writeJSON(w, http.StatusCreated, rd)
}

// rerunRound answers POST /api/v1/rounds/{id}/rerun: a new draft with the
// round's parameters, changed by the body's fields (201). A draft re-run is
// discarded.
func (s *Server) rerunRound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in roundInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	si, err := in.runInput()
	if err != nil {
		return err
	}
	if si.Today.IsZero() {
		si.Today = calendar.ParisDate(s.now())
	}
	rd, err := round.Rerun(r.Context(), s.db, actor(r), id, si)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/rounds/"+itoa(int(rd.ID)))
	return writeJSON(w, http.StatusCreated, rd)
}

// listRounds answers GET /api/v1/rounds[?year=2026-2027], newest first.
func (s *Server) listRounds(w http.ResponseWriter, r *http.Request) error {
	year := schoolYearParam(r.URL.Query())
	if year != "" && !store.ValidSchoolYear(year) {
		return FieldErrors{"year": "année scolaire attendue au format 2026-2027"}.Err()
	}
	rounds, err := s.db.ListRoundsFor(r.Context(), currentUser(r), year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"rounds": rounds})
}

// getRound answers GET /api/v1/rounds/{id}: the round with its loans,
// unserved requests and reasons, objective terms and bound.
func (s *Server) getRound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	round, err := s.db.RoundFor(r.Context(), currentUser(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, round)
}

// publishRound answers POST /api/v1/rounds/{id}/publish: the loans are
// created and the previous round superseded, atomically; 409 when the
// round is not a draft or another round was published since.
func (s *Server) publishRound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		// ConfirmCancellations lists the loans of earlier rounds the
		// draft cancels (its "cancellations"), confirmed one by one.
		ConfirmCancellations []int64 `json:"confirm_cancellations"`
	}
	if err := decodeJSON(w, r, &in, bodyOptional); err != nil {
		return err
	}
	round, err := s.db.PublishRoundConfirmed(r.Context(), actor(r), id, in.ConfirmCancellations)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, round)
}

// roundNotices answers GET /api/v1/rounds/{id}/notices: what each person
// is (or, for a draft, would be) told about the round.
func (s *Server) roundNotices(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ns, preview, err := s.db.RoundNotices(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"round_id": id, "preview": preview, "notices": ns})
}

// myNotices answers GET /api/v1/notices: the current user's notices of
// published rounds.
func (s *Server) myNotices(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.db.ListNotices(r.Context(), store.NoticeFilter{UserID: currentUser(r).ID})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
}

// discardRound answers POST /api/v1/rounds/{id}/discard.
func (s *Server) discardRound(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	round, err := s.db.DiscardRound(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, round)
}

package web

import (
	"net/http"
	"regexp"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// roundInput is the body of POST /rounds and POST /rounds/{id}/rerun.
// Every field but year is optional; on a re-run, absent fields keep the
// values of the round re-run.
type roundInput struct {
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

var schoolYearRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}$`)

// storeInput validates the body and turns it into the store's input;
// base holds the weights the given ones override.
func (in *roundInput) storeInput(base scheduler.Weights, rerun bool) (store.RoundInput, error) {
	f := FieldErrors{}
	out := store.RoundInput{LoanWeeks: in.LoanWeeks}
	if !rerun {
		if !schoolYearRE.MatchString(in.Year) {
			f.Add("year", "année scolaire attendue au format 2026-2027")
		}
		out.SchoolYear = in.Year
	} else if in.Year != "" {
		f.Add("year", "un nouveau calcul garde l'année du tour")
	}
	if in.LoanWeeks < 0 || in.LoanWeeks > 20 {
		f.Add("loan_weeks", "durée de prêt hors de 1 à 20 semaines")
	}
	if in.TurnaroundDays != nil {
		switch d := *in.TurnaroundDays; {
		case d < 0 || d > 60:
			f.Add("turnaround_days", "délai de remise en état hors de 0 à 60 jours")
		case d == 0:
			out.TurnaroundDays = -1
		default:
			out.TurnaroundDays = d
		}
	}
	if in.Weights != nil {
		w := base
		fields := map[string]*int{"base": &w.Base, "first_year": &w.FirstYear, "training_done": &w.TrainingDone,
			"preferred_period": &w.PreferredPeriod, "extension_granted": &w.ExtensionGranted,
			"school_period_excess": &w.SchoolPeriodExcess, "school_year_excess": &w.SchoolYearExcess,
			"sector_period_excess": &w.SectorPeriodExcess, "churn_move": &w.ChurnMove,
			"churn_extension": &w.ChurnExtension, "churn_drop": &w.ChurnDrop}
		for name, v := range in.Weights {
			p, ok := fields[name]
			switch {
			case !ok:
				f.Add("weights."+name, "poids inconnu")
			case v < 0 || v > 100000:
				f.Add("weights."+name, "poids hors de 0 à 100000")
			default:
				*p = v
			}
		}
		out.Weights = &w
	}
	if in.TimeLimit != "" {
		d, err := time.ParseDuration(in.TimeLimit)
		switch {
		case err != nil:
			f.Add("time_limit", "durée attendue au format 10s, 1m30s…")
		case d <= 0 || d > store.MaxRoundTimeLimit:
			f.Add("time_limit", "temps de calcul hors de 0 à %s", store.MaxRoundTimeLimit)
		default:
			out.TimeLimit = d
		}
	}
	if in.Date != "" {
		d, err := calendar.ParseDate(in.Date)
		if err != nil {
			f.Add("date", "date attendue au format AAAA-MM-JJ")
		}
		out.Today = d
	}
	if len(in.Pins)+len(in.Excludes) > 1000 {
		f.Add("pins", "1000 demandes épinglées ou exclues au plus")
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
	si, err := in.storeInput(scheduler.DefaultWeights(), false)
	if err != nil {
		return err
	}
	if si.LoanWeeks == 0 {
		si.LoanWeeks = s.loanWeeks
	}
	if si.Today.IsZero() {
		si.Today = calendar.ParisDate(s.now())
	}
	round, err := s.db.RunRound(r.Context(), actor(r), si)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/rounds/"+itoa(int(round.ID)))
	return writeJSON(w, http.StatusCreated, round)
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
	old, err := s.db.Round(r.Context(), id)
	if err != nil {
		return err
	}
	si, err := in.storeInput(old.Weights, true)
	if err != nil {
		return err
	}
	if si.Today.IsZero() {
		si.Today = calendar.ParisDate(s.now())
	}
	round, err := s.db.RerunRound(r.Context(), actor(r), id, si)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/rounds/"+itoa(int(round.ID)))
	return writeJSON(w, http.StatusCreated, round)
}

// listRounds answers GET /api/v1/rounds[?year=2026-2027], newest first.
func (s *Server) listRounds(w http.ResponseWriter, r *http.Request) error {
	year := r.URL.Query().Get("year")
	if year != "" && !schoolYearRE.MatchString(year) {
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
	round, err := s.db.PublishRound(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, round)
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

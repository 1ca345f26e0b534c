package storetest

import (
	"context"
	"testing"

	"github.com/classemobile/classemobile/internal/store"
)

// RequestYear is the school year factories use by default.
const RequestYear = "2026-2027"

// RequestOpts sets fields of a test request; zero fields get defaults.
type RequestOpts struct {
	// SchoolUAI defaults to a new school; TeacherID to a new teacher of it.
	SchoolUAI string
	TeacherID int64
	// Year defaults to RequestYear.
	Year   string
	Pupils int // defaults to 24
	// State is driven through the workflow from draft; defaults to draft.
	State            store.RequestState
	PreferredPeriods []string
	ExcludedPeriods  []string
	ExtensionWeeks   int
	// Incomplete leaves the commitments and the secure storage unchecked.
	Incomplete bool
	// InspectionOnly leaves a request in review with the inspection's
	// opinion alone (IT and the education department still to give
	// theirs); by default a request in review has all three.
	InspectionOnly bool
}

// RequestContent returns complete, submittable content for a request of
// the teacher at the school.
func RequestContent(schoolUAI string, teacherID int64, year string, pupils int) store.Request {
	return store.Request{SchoolYear: year, SchoolUAI: schoolUAI, TeacherID: teacherID,
		ClassLevels: []string{"CM1"}, Pupils: pupils, Title: "Raconter son quartier en baladodiffusion",
		Motivation:         "Donner envie d'écrire et de lire à voix haute.",
		CurriculumLinks:    "Français : langage oral ; EMC.",
		SchoolProjectLinks: "Axe 2 du projet d'école : maîtrise de la langue.",
		Coherence:          "Prolonge le partenariat avec la médiathèque.",
		DigitalSkills:      "Enregistrer, monter un son, publier sur l'ENT.",
		Commitments:        store.Commitments{SecureUse: true, Visits: true, ParentsInformed: true, Feedback: true},
		Logistics:          store.Logistics{SecureStorage: true, ClassroomWifi: true},
		Training:           store.Training{Status: store.TrainingNotPlanned},
		PreferredPeriods:   []string{}, ExcludedPeriods: []string{}}
}

// Request creates a request and drives it to opts.State, creating the
// school, teacher, director and referents it needs.
func Request(t testing.TB, db *store.DB, opts *RequestOpts) store.Request {
	t.Helper()
	if opts == nil {
		opts = &RequestOpts{}
	}
	ctx := context.Background()
	uai := opts.SchoolUAI
	if uai == "" {
		uai = School(t, db, nil).UAI
	}
	teacher := opts.TeacherID
	if teacher == 0 {
		u, _ := User(t, db, &UserOpts{Role: store.RoleTeacher, SchoolUAI: uai})
		teacher = u.ID
	}
	year := opts.Year
	if year == "" {
		year = RequestYear
	}
	pupils := opts.Pupils
	if pupils == 0 {
		pupils = 24
	}
	q := RequestContent(uai, teacher, year, pupils)
	if opts.PreferredPeriods != nil {
		q.PreferredPeriods = opts.PreferredPeriods
	}
	if opts.ExcludedPeriods != nil {
		q.ExcludedPeriods = opts.ExcludedPeriods
	}
	q.ExtensionWeeks = opts.ExtensionWeeks
	if opts.Incomplete {
		q.Commitments, q.Logistics = store.Commitments{}, store.Logistics{}
	}
	teacherActor := store.Actor{UserID: teacher}
	q, err := db.CreateRequest(ctx, teacherActor, q)
	if err != nil {
		t.Fatalf("create request: %v", err)
	}
	if err := driveRequest(ctx, db, &q, opts.State, opts.InspectionOnly); err != nil {
		t.Fatalf("drive request %d to %s: %v", q.ID, opts.State, err)
	}
	return q
}

// DriveRequest moves a draft request to state through the workflow, with
// new users of the right roles as actors.
func DriveRequest(ctx context.Context, db *store.DB, q *store.Request, state store.RequestState) error {
	return driveRequest(ctx, db, q, state, false)
}

func driveRequest(ctx context.Context, db *store.DB, q *store.Request, state store.RequestState, inspectionOnly bool) error {
	if state == "" || state == store.RequestDraft {
		return nil
	}
	newUser := func(role store.Role, uai string) (store.User, error) {
		u, _, err := db.CreateUser(ctx, store.Actor{}, store.User{Role: role, SchoolUAI: uai,
			Email: string(role) + "-" + Unique() + "@example.fr", Name: "Référent " + string(role)})
		return u, err
	}
	var err error
	if state == store.RequestWithdrawn {
		*q, err = db.WithdrawRequest(ctx, store.Actor{UserID: q.TeacherID}, q.ID, q.Version, "Changement de classe")
		return err
	}
	if *q, err = db.SubmitRequest(ctx, store.Actor{UserID: q.TeacherID}, q.ID, q.Version); err != nil || state == store.RequestSubmitted {
		return err
	}
	director, err := newUser(store.RoleDirector, q.SchoolUAI)
	if err != nil {
		return err
	}
	if *q, err = db.AuthorizeRequest(ctx, store.Actor{UserID: director.ID}, q.ID, q.Version); err != nil || state == store.RequestAuthorised {
		return err
	}
	insp, err := newUser(store.RoleInspection, "")
	if err != nil {
		return err
	}
	*q, err = db.SetRequestOpinion(ctx, store.Actor{UserID: insp.ID}, q.ID, q.Version,
		store.Opinion{Role: store.RoleInspection, Verdict: store.OpinionFavourable, Comment: "Projet solide."})
	if err != nil || (state == store.RequestInReview && inspectionOnly) {
		return err
	}
	// A decision needs the three referents' opinions: a request in review
	// has them all.
	for _, role := range []store.Role{store.RoleIT, store.RoleEducation} {
		ref, err := newUser(role, "")
		if err != nil {
			return err
		}
		if *q, err = db.SetRequestOpinion(ctx, store.Actor{UserID: ref.ID}, q.ID, q.Version,
			store.Opinion{Role: role, Verdict: store.OpinionFavourable, Comment: "D'accord."}); err != nil {
			return err
		}
	}
	if state == store.RequestInReview {
		return nil
	}
	switch state {
	case store.RequestValidated:
		*q, err = db.DecideRequest(ctx, store.Actor{UserID: insp.ID}, q.ID, q.Version, store.RequestValidated, "")
	case store.RequestRejected:
		*q, err = db.DecideRequest(ctx, store.Actor{UserID: insp.ID}, q.ID, q.Version, store.RequestRejected, "Projet trop peu détaillé.")
	}
	return err
}

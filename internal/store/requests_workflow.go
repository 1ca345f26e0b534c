package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// CreateRequest inserts a draft request for q.TeacherID at q.SchoolUAI.
// Packs are computed from the pupils. The request is validated against
// its school year (Request.Validate): a *RuleError (validation_failed)
// names every field at fault. Returns ErrInvalidReference if the school or
// teacher does not exist.
func (db *DB) CreateRequest(ctx context.Context, actor Actor, q Request) (_ Request, err error) {
	defer wrapf(&err, "CreateRequest(%s, %d)", q.SchoolUAI, q.TeacherID)
	if err := q.checkText(); err != nil {
		return Request{}, err
	}
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkRequestCreate(ctx, tx, actor, q); err != nil {
			return err
		}
		if err := validateRequestTx(ctx, tx, q); err != nil {
			return err
		}
		row := requestRow{SchoolYear: q.SchoolYear, SchoolUAI: q.SchoolUAI, TeacherID: q.TeacherID,
			State: string(RequestDraft), Version: 1, CreatedAt: now, UpdatedAt: now}
		row.setContent(q)
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		var err error
		if q, err = getRequest(ctx, tx, row.ID); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "request.create", "request", q.ID, nil, auditView(q))
	})
	return q, err
}

// auditView is what the audit log keeps of a request: everything but the
// joined names and the computed flags.
func auditView(q Request) Request {
	q.SchoolName, q.TeacherName, q.SectorID, q.DecidedByName = "", "", "", ""
	q.Eligibility = Eligibility{ParticipationYear: q.Eligibility.ParticipationYear}
	q.Warnings = nil
	for i := range q.Opinions {
		q.Opinions[i].AuthorName = ""
	}
	return q
}

// transition applies one workflow step inside a transaction: it loads the
// request, checks the state (and the version when version > 0), lets apply
// change the row, writes it with a conditional update on the version, and
// audits before and after. A state not in from gives a *RequestStateError.
func (db *DB) transition(ctx context.Context, actor Actor, id int64, version int, act Action,
	from []RequestState, apply func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error) (Request, error) {
	if err := (RequestActionInput{Version: version}).Validate(); err != nil {
		return Request{}, err
	}
	var out Request
	err := db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		var row requestRow
		q := tx.NewSelect().Model(&row).Where("r.id = ?", id)
		if db.dialect == Postgres {
			// Concurrent steps on one request queue here and each sees
			// the state the previous one left (SQLite transactions are
			// BEGIN IMMEDIATE: they already queue).
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		before, err := completeRequests(ctx, tx, []requestRow{row})
		if err != nil {
			return err
		}
		if err := checkRequestAction(ctx, tx, actor, act, before[0]); err != nil {
			return err
		}
		if !slices.Contains(from, RequestState(row.State)) {
			return requestStateError(RequestState(row.State))
		}
		if version > 0 && row.Version != version {
			return ErrStale
		}
		old := row.Version
		if err := apply(ctx, tx, &row, now); err != nil {
			return err
		}
		row.Version, row.UpdatedAt = old+1, now
		res, err := tx.NewUpdate().Model(&row).
			ExcludeColumn("id", "school_year", "school_uai", "teacher_id", "created_at", "has_loan").
			Where("id = ?", id).Where("version = ?", old).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale // unreachable while the row is locked; kept as a guard
		}
		if out, err = getRequest(ctx, tx, id); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, auditActions[act], "request", id, auditView(before[0]), auditView(out))
	})
	return out, err
}

// UpdateRequest replaces the content of a draft request (the teacher's
// fields; not the state, school, teacher nor a packs override) if q.Version
// is still current. Returns ErrNotFound, ErrStale, or a *RequestStateError
// when the request is no longer a draft.
func (db *DB) UpdateRequest(ctx context.Context, actor Actor, q Request) (_ Request, err error) {
	defer wrapf(&err, "UpdateRequest(%d)", q.ID)
	if err := q.checkText(); err != nil {
		return Request{}, err
	}
	if q.Version <= 0 {
		return Request{}, ErrStale
	}
	return db.transition(ctx, actor, q.ID, q.Version, ActRequestUpdate, []RequestState{RequestDraft},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			// The school year is the stored request's: it cannot change.
			q.SchoolYear = r.SchoolYear
			if err := validateRequestTx(ctx, tx, q); err != nil {
				return err
			}
			r.setContent(q)
			return nil
		})
}

// SubmitRequest moves a draft to submitted. Returns *IncompleteError if a
// commitment or the secure charging storage is missing.
func (db *DB) SubmitRequest(ctx context.Context, actor Actor, id int64, version int) (_ Request, err error) {
	defer wrapf(&err, "SubmitRequest(%d)", id)
	return db.transition(ctx, actor, id, version, ActRequestSubmit, []RequestState{RequestDraft},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			if err := validateRequestTx(ctx, tx, r.request()); err != nil {
				return err
			}
			if missing := r.request().MissingForSubmission(); len(missing) > 0 {
				return incompleteError(missing)
			}
			r.State, r.SubmittedAt = string(RequestSubmitted), &now
			return nil
		})
}

// AuthorizeRequest records the director's authorisation of a submitted
// request.
func (db *DB) AuthorizeRequest(ctx context.Context, actor Actor, id int64, version int) (_ Request, err error) {
	defer wrapf(&err, "AuthorizeRequest(%d)", id)
	return db.transition(ctx, actor, id, version, ActRequestAuthorize, []RequestState{RequestSubmitted},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			r.State, r.RefusalReason = string(RequestAuthorised), ""
			return nil
		})
}

// RefuseRequest sends a submitted request back to draft with the
// director's reason.
func (db *DB) RefuseRequest(ctx context.Context, actor Actor, id int64, version int, reason string) (_ Request, err error) {
	defer wrapf(&err, "RefuseRequest(%d)", id)
	if err := (RequestActionInput{Reason: reason}).Validate(); err != nil {
		return Request{}, err
	}
	if err := checkReason(reason, "du refus"); err != nil {
		return Request{}, err
	}
	return db.transition(ctx, actor, id, version, ActRequestRefuse, []RequestState{RequestSubmitted},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			r.State, r.RefusalReason, r.SubmittedAt = string(RequestDraft), reason, nil
			return nil
		})
}

// OverrideRequestPacks sets the packs of a request that is not decided yet,
// with the coordinator's reason; packs 0 goes back to the computed count.
func (db *DB) OverrideRequestPacks(ctx context.Context, actor Actor, id int64, version int, packs int, reason string) (_ Request, err error) {
	defer wrapf(&err, "OverrideRequestPacks(%d)", id)
	if err := (RequestActionInput{Reason: reason}).Validate(); err != nil {
		return Request{}, err
	}
	if err := checkPacks(packs, reason); err != nil {
		return Request{}, err
	}
	return db.transition(ctx, actor, id, version, ActRequestPacks,
		[]RequestState{RequestDraft, RequestSubmitted, RequestAuthorised, RequestInReview},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			if packs == 0 {
				r.Packs, r.PacksReason = PacksFor(r.Pupils), ""
				return nil
			}
			r.Packs, r.PacksReason = packs, reason
			return nil
		})
}

// SetRequestOpinion records (or replaces) the opinion of one referent role
// on an authorised or in-review request; the first opinion moves an
// authorised request in review. Opinions are frozen once the request is
// decided (*RequestStateError).
func (db *DB) SetRequestOpinion(ctx context.Context, actor Actor, id int64, version int, o Opinion) (_ Request, err error) {
	defer wrapf(&err, "SetRequestOpinion(%d, %s)", id, o.Role)
	if err := (RequestActionInput{Comment: o.Comment}).Validate(); err != nil {
		return Request{}, err
	}
	if v, ok := ParseOpinionVerdict(string(o.Verdict)); ok {
		o.Verdict = v
	}
	if err := checkOpinion(o); err != nil {
		return Request{}, err
	}
	if u, ok, err := actingPerson(ctx, db.bun, actor); err != nil {
		return Request{}, err
	} else if ok {
		if o.Role == "" {
			// The person gives their opinion as the referent role they hold.
			o.Role, _ = u.ReferentRole()
		}
		if o.Role == "" || !u.HasRole(o.Role) {
			return Request{}, Forbidden("forbidden", "Votre rôle ne permet pas cette action.")
		}
	}
	return db.transition(ctx, actor, id, version, ActRequestOpinion, []RequestState{RequestAuthorised, RequestInReview},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			// The opinion is written in the transaction that bumps the
			// request's version, under its row lock: a decision cannot
			// slip in between.
			row := opinionRow{RequestID: id, Role: string(o.Role), Verdict: o.Verdict, Comment: o.Comment,
				AuthorID: actor.UserID, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(&row).
				On("CONFLICT (request_id, role) DO UPDATE").
				Set("verdict = EXCLUDED.verdict").Set("comment = EXCLUDED.comment").
				Set("author_id = EXCLUDED.author_id").Set("updated_at = EXCLUDED.updated_at").
				Exec(ctx); err != nil {
				return err
			}
			r.State = string(RequestInReview)
			return nil
		})
}

// DecideRequest validates or rejects a request in review. A rejection needs
// a reason (the schema refuses it otherwise). Returns ErrIneligible when
// validating a request beyond MaxParticipationYears, and a
// *RequestStateError when the request is not in review (already decided by
// someone else, for one).
func (db *DB) DecideRequest(ctx context.Context, actor Actor, id int64, version int, decision RequestState, reason string) (_ Request, err error) {
	return db.DecideRequestOverride(ctx, actor, id, version, decision, reason, "")
}

// DecideRequestOverride is DecideRequest with the coordinator's override:
// a decision needs the opinions of the three referents (inspection, IT,
// education); without them it is refused ("opinions_missing", naming the
// missing ones) unless the coordinator gives override, the reason to
// decide without them, recorded with the decision and shown in the
// synthesis.
func (db *DB) DecideRequestOverride(ctx context.Context, actor Actor, id int64, version int, decision RequestState, reason, override string) (_ Request, err error) {
	defer wrapf(&err, "DecideRequest(%d, %s)", id, decision)
	if err := (RequestActionInput{Reason: reason, OverrideReason: override}).Validate(); err != nil {
		return Request{}, err
	}
	override = strings.TrimSpace(override)
	decision, ok := ParseRequestDecision(string(decision))
	if !ok {
		return Request{}, Invalid("decision", "validation_failed", "décision attendue : validated (validée) ou rejected (rejetée)")
	}
	if decision == RequestRejected {
		if err := checkReason(reason, "du rejet"); err != nil {
			return Request{}, err
		}
	}
	return db.transition(ctx, actor, id, version, ActRequestDecide, []RequestState{RequestInReview},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			var given []Role
			if err := tx.NewRaw("SELECT role FROM request_opinions WHERE request_id = ?", id).Scan(ctx, &given); err != nil {
				return err
			}
			var missing []string
			for _, role := range ReferentRoles {
				if !slices.Contains(given, role) {
					missing = append(missing, referentName(role))
				}
			}
			r.DecisionOverride = ""
			if len(missing) > 0 {
				if override == "" {
					return Conflicting("opinions_missing",
						"Décision impossible : il manque l'avis de %s. La coordination peut décider sans attendre en donnant le motif (override_reason).",
						strings.Join(missing, ", "))
				}
				u, err := getUser(ctx, tx, actor.UserID)
				if err != nil || !u.HasRole(RoleCoordinator) {
					return Forbidden("override_forbidden", "Seule la coordination peut décider sans les trois avis.")
				}
				r.DecisionOverride = override
			}
			if decision == RequestValidated {
				year, err := participationYear(ctx, tx, r.TeacherID, r.SchoolUAI, r.SchoolYear)
				if err != nil {
					return err
				}
				if year > MaxParticipationYears {
					return &RuleError{Kind: RuleConflict, Code: "ineligible", Err: ErrIneligible,
						Message: "Demande inéligible : 2 années de participation au maximum ; elle ne peut pas être validée."}
				}
			}
			r.State, r.DecisionReason, r.DecidedAt = string(decision), reason, &now
			if actor.UserID != 0 {
				r.DecidedBy = &actor.UserID
			}
			return nil
		})
}

// referentName names a referent role in French, for messages.
func referentName(r Role) string {
	switch r {
	case RoleInspection:
		return "l'inspection"
	case RoleIT:
		return "la DSI"
	case RoleEducation:
		return "la direction de l'éducation"
	}
	return string(r)
}

// WithdrawRequest withdraws a request that has no loan, from any state but
// rejected and withdrawn. Returns a *RequestStateError with HasLoan set
// when a loan exists.
func (db *DB) WithdrawRequest(ctx context.Context, actor Actor, id int64, version int, reason string) (_ Request, err error) {
	defer wrapf(&err, "WithdrawRequest(%d)", id)
	if err := (RequestActionInput{Reason: reason}).Validate(); err != nil {
		return Request{}, err
	}
	return db.transition(ctx, actor, id, version, ActRequestWithdraw,
		[]RequestState{RequestDraft, RequestSubmitted, RequestAuthorised, RequestInReview, RequestValidated},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			if r.HasLoan {
				return &RuleError{Kind: RuleConflict, Code: "request_has_loan", State: RequestState(r.State),
					Conflict: &Conflict{Kind: "request", ID: id, Name: r.Title},
					Message:  "La demande a déjà un prêt : elle ne peut plus être retirée (annulez d'abord le prêt)."}
			}
			r.State, r.WithdrawnReason = string(RequestWithdrawn), reason
			return nil
		})
}

// ParticipationYear returns 1 + the number of school years before year in
// which the teacher took part at the school (had a loan picked up).
func (db *DB) ParticipationYear(ctx context.Context, teacherID int64, schoolUAI, year string) (_ int, err error) {
	defer wrapf(&err, "ParticipationYear(%d, %s, %s)", teacherID, schoolUAI, year)
	return participationYear(ctx, db.bun, teacherID, schoolUAI, year)
}

func participationYear(ctx context.Context, idb bun.IDB, teacherID int64, schoolUAI, year string) (int, error) {
	var n int
	err := idb.NewSelect().TableExpr("participation_history").ColumnExpr("count(*)").
		Where("teacher_id = ?", teacherID).Where("school_uai = ?", schoolUAI).Where("school_year < ?", year).
		Scan(ctx, &n)
	return n + 1, err
}

// RecordParticipation notes that the teacher took part at the school in a
// school year; recording the same year twice is a no-op. It takes the
// caller's transaction: the loans call it in the transaction that marks a
// loan picked up (source "loan:<id>"), so the next year's requests of that
// teacher at that school count this year. Imports of earlier years and the
// demo use (*DB).RecordEarlierParticipation.
func RecordParticipation(ctx context.Context, idb bun.IDB, at time.Time, teacherID int64, schoolUAI, year, source string) error {
	_, err := idb.NewRaw(`INSERT INTO participation_history (teacher_id, school_uai, school_year, source, recorded_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (teacher_id, school_uai, school_year) DO NOTHING`,
		teacherID, schoolUAI, year, source, at.UTC().Truncate(time.Microsecond)).Exec(ctx)
	if err != nil {
		err = translate(err)
		return fmt.Errorf("record participation %d %s %s: %w", teacherID, schoolUAI, year, err)
	}
	return nil
}

// RecordEarlierParticipation notes that the teacher took part at the
// school in a school year before the current one (source names where the
// fact comes from: an import of the years before the service, the demo).
// Recording the same year twice is a no-op. Returns *ValidationError for a
// malformed year or one that is not over; the current year's
// participations come from the loans picked up.
func (db *DB) RecordEarlierParticipation(ctx context.Context, teacherID int64, schoolUAI, year, source string) (err error) {
	defer wrapf(&err, "RecordEarlierParticipation(%d, %s, %s)", teacherID, schoolUAI, year)
	now := db.Now()
	switch {
	case !calendar.ValidYearName(year):
		return FieldErrors{"school_year": "année scolaire attendue au format 2025-2026"}.Err()
	case year >= calendar.CurrentSchoolYear(calendar.ParisDate(now)):
		return FieldErrors{"school_year": "seules les années scolaires terminées peuvent être ajoutées à l'historique"}.Err()
	}
	return RecordParticipation(ctx, db.bun, now, teacherID, schoolUAI, year, source)
}

// CurrentRequestState returns the state of a request and whether it has a
// loan, inside the caller's transaction (for the loans). Returns
// ErrNotFound.
func CurrentRequestState(ctx context.Context, idb bun.IDB, id int64) (state RequestState, hasLoan bool, err error) {
	var row struct {
		State   string `bun:"state"`
		HasLoan bool   `bun:"has_loan"`
	}
	if err := idb.NewSelect().TableExpr("requests").Column("state", "has_loan").Where("id = ?", id).Scan(ctx, &row); err != nil {
		return "", false, fmt.Errorf("request %d state: %w", id, translate(err))
	}
	return RequestState(row.State), row.HasLoan, nil
}

// SetRequestLoaned records, inside the caller's transaction, whether a
// request has a loan that is not cancelled. The loans call it with true
// when they create a request's first loan, and with false when its last
// live loan is cancelled; while it is true the request cannot be
// withdrawn. Setting true on a request that is not validated returns a
// *RequestStateError (a withdrawal won the race), and ErrNotFound for an
// unknown request. The request's version does not change.
func SetRequestLoaned(ctx context.Context, idb bun.IDB, id int64, loaned bool) error {
	q := idb.NewUpdate().TableExpr("requests").Set("has_loan = ?", loaned).Where("id = ?", id)
	if loaned {
		q = q.Where("state = ?", string(RequestValidated))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return fmt.Errorf("set request %d loaned: %w", id, translate(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	state, _, err := CurrentRequestState(ctx, idb, id)
	if err != nil {
		return err
	}
	return requestStateError(state)
}

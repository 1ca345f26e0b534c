package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// Kinds of round changes and notice items.
const (
	// NoticeNew: the round gives the class a loan.
	NoticeNew = "new"
	// NoticeMoved: the round replaces the class's loan by one on other
	// dates or packs.
	NoticeMoved = "moved"
	// NoticeCancelled: the round cancels the class's loan, with the reason.
	NoticeCancelled = "cancelled"
)

// RoundChange is a live loan of an earlier round that a draft moves or
// cancels when published (only reserved loans may change; signed and
// started ones are kept by the plan).
type RoundChange struct {
	Kind         string        `json:"kind"`
	LoanID       int64         `json:"loan_id"`
	RequestID    int64         `json:"request_id"`
	RequestTitle string        `json:"request_title"`
	SchoolUAI    string        `json:"school_uai"`
	SchoolName   string        `json:"school_name"`
	TeacherName  string        `json:"teacher_name"`
	PackCodes    []string      `json:"pack_codes"`
	PickupDay    calendar.Date `json:"pickup_day"`
	ReturnDay    calendar.Date `json:"return_day"`
	// NewPickupDay and NewReturnDay are the dates of a moved loan.
	NewPickupDay *calendar.Date `json:"new_pickup_day,omitempty"`
	NewReturnDay *calendar.Date `json:"new_return_day,omitempty"`
	NewPackCodes []string       `json:"new_pack_codes,omitempty"`
	// Reason says why a loan is cancelled (the engine's explanation).
	Reason string `json:"reason,omitempty"`
	// Message says it in one French line: « annule le prêt n° 9, ÉCOLE …
	// — motif : … ».
	Message string `json:"message"`
}

type liveRoundLoan struct {
	ID          int64   `bun:"id"`
	RequestID   int64   `bun:"request_id"`
	State       string  `bun:"state"`
	PickupDay   sqlDate `bun:"pickup_day"`
	ReturnDay   sqlDate `bun:"return_day"`
	Title       string  `bun:"title"`
	SchoolUAI   string  `bun:"school_uai"`
	SchoolName  string  `bun:"school_name"`
	TeacherName string  `bun:"teacher_name"`
}

// roundChanges lists the live loans of r's year that publishing r would
// move or cancel: those made by a round, not kept by r's plan.
func roundChanges(ctx context.Context, idb bun.IDB, r Round) ([]RoundChange, error) {
	keep := map[int64]bool{}
	newFor := map[int64]RoundLoan{}
	for _, l := range r.Loans {
		if l.LoanID != nil {
			keep[*l.LoanID] = true
		} else {
			newFor[l.RequestID] = l
		}
	}
	unserved := map[int64]string{}
	for _, u := range r.Unserved {
		unserved[u.RequestID] = u.Message
	}
	var live []liveRoundLoan
	if err := idb.NewRaw(`SELECT l.id, l.request_id, l.state, l.pickup_day, l.return_day, q.title, l.school_uai,
		s.name AS school_name, u.name AS teacher_name
		FROM loans AS l JOIN requests AS q ON q.id = l.request_id JOIN schools AS s ON s.uai = l.school_uai
		JOIN users AS u ON u.id = q.teacher_id
		WHERE l.school_year = ? AND l.state <> 'cancelled' AND l.round_id IS NOT NULL ORDER BY l.id`, r.SchoolYear).Scan(ctx, &live); err != nil {
		return nil, err
	}
	out := []RoundChange{}
	for _, l := range live {
		if keep[l.ID] {
			continue
		}
		codes, err := loanPackCodes(ctx, idb, l.ID)
		if err != nil {
			return nil, err
		}
		c := RoundChange{LoanID: l.ID, RequestID: l.RequestID, RequestTitle: l.Title, SchoolUAI: l.SchoolUAI,
			SchoolName: l.SchoolName, TeacherName: l.TeacherName, PackCodes: codes, PickupDay: l.PickupDay.Date, ReturnDay: l.ReturnDay.Date}
		if nl, ok := newFor[l.RequestID]; ok {
			c.Kind = NoticeMoved
			c.NewPickupDay, c.NewReturnDay, c.NewPackCodes = &nl.PickupDay, &nl.ReturnDay, nl.PackCodes
			c.Message = fmt.Sprintf("déplace le prêt n° %d, %s (projet « %s ») : du %s au %s → du %s au %s, %s",
				l.ID, l.SchoolName, l.Title, frenchDate(c.PickupDay), frenchDate(c.ReturnDay),
				frenchDate(nl.PickupDay), frenchDate(nl.ReturnDay), packsLabel(nl.PackCodes))
		} else {
			c.Kind = NoticeCancelled
			c.Reason = unserved[l.RequestID]
			if c.Reason == "" {
				c.Reason = "la demande n'est plus servie par ce tour"
			}
			c.Message = fmt.Sprintf("annule le prêt n° %d, %s (projet « %s », du %s au %s) — motif : %s",
				l.ID, l.SchoolName, l.Title, frenchDate(c.PickupDay), frenchDate(c.ReturnDay), c.Reason)
		}
		out = append(out, c)
	}
	return out, nil
}

func loanPackCodes(ctx context.Context, idb bun.IDB, loanID int64) ([]string, error) {
	codes := []string{}
	err := idb.NewRaw(`SELECT p.code FROM loan_packs AS lp JOIN packs AS p ON p.id = lp.pack_id
		WHERE lp.loan_id = ? ORDER BY lp.position`, loanID).Scan(ctx, &codes)
	return codes, err
}

// packsLabel names packs in French: "pack CM-01", "packs CM-01 et CM-02".
func packsLabel(codes []string) string {
	switch len(codes) {
	case 0:
		return "packs à attribuer"
	case 1:
		return "pack " + codes[0]
	}
	return "packs " + strings.Join(codes[:len(codes)-1], ", ") + " et " + codes[len(codes)-1]
}

// attachRoundChanges fills a draft's cancellations and moves.
func attachRoundChanges(ctx context.Context, idb bun.IDB, r *Round) error {
	r.Cancellations, r.Moves = []RoundChange{}, []RoundChange{}
	if r.State != RoundDraft {
		return nil
	}
	changes, err := roundChanges(ctx, idb, *r)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.Kind == NoticeCancelled {
			r.Cancellations = append(r.Cancellations, c)
		} else {
			r.Moves = append(r.Moves, c)
		}
	}
	r.Stats.Cancelled, r.Stats.Moved = len(r.Cancellations), len(r.Moves)
	return nil
}

// checkCancellationsConfirmed refuses to publish r unless confirmed lists
// exactly the loans r cancels.
func checkCancellationsConfirmed(r Round, confirmed []int64) error {
	var want []int64
	var lines []string
	for _, c := range r.Cancellations {
		want = append(want, c.LoanID)
		lines = append(lines, c.Message)
	}
	got := slices.Clone(confirmed)
	slices.Sort(got)
	got = slices.Compact(got)
	if slices.Equal(want, got) {
		return nil
	}
	if len(want) == 0 {
		return Invalid("confirm_cancellations", "cancellations_unconfirmed", "Ce tour n'annule aucun prêt : confirm_cancellations doit être vide.")
	}
	ids := make([]string, len(want))
	for i, id := range want {
		ids[i] = fmt.Sprint(id)
	}
	e := loanConflict("cancellations_unconfirmed",
		"Publication non confirmée : ce tour %s. Pour publier, confirmez ces annulations (confirm_cancellations : [%s]).",
		strings.Join(lines, " ; "), strings.Join(ids, ", "))
	e.Conflict = &Conflict{Kind: "loan", ID: want[0], Name: r.Cancellations[0].SchoolName}
	return e
}

// NoticeItem is one line of a person's notice: a loan the round creates,
// moves or cancels.
type NoticeItem struct {
	Kind         string        `json:"kind"`
	LoanID       int64         `json:"loan_id,omitempty"`
	RequestID    int64         `json:"request_id"`
	RequestTitle string        `json:"request_title"`
	SchoolName   string        `json:"school_name"`
	PackCodes    []string      `json:"pack_codes"`
	PickupDay    calendar.Date `json:"pickup_day"`
	ReturnDay    calendar.Date `json:"return_day"`
	// OldPickupDay and OldReturnDay are the dates before a move; OldLoanID
	// the loan replaced.
	OldLoanID    int64          `json:"old_loan_id,omitempty"`
	OldPickupDay *calendar.Date `json:"old_pickup_day,omitempty"`
	OldReturnDay *calendar.Date `json:"old_return_day,omitempty"`
	Reason       string         `json:"reason,omitempty"`
	// Text says it in French.
	Text string `json:"text"`
}

// Notice is what one person is told about a round.
type Notice struct {
	ID        int64        `json:"id,omitempty"`
	RoundID   int64        `json:"round_id"`
	UserID    int64        `json:"user_id"`
	UserName  string       `json:"user_name"`
	Email     string       `json:"email"`
	Role      Role         `json:"role"`
	Items     []NoticeItem `json:"items"`
	CreatedAt *time.Time   `json:"created_at,omitempty"`
	SentAt    *time.Time   `json:"sent_at,omitempty"`
}

func noticeText(it NoticeItem) string {
	switch it.Kind {
	case NoticeNew:
		return fmt.Sprintf("Nouveau prêt pour le projet « %s » (%s) : %s du %s au %s.",
			it.RequestTitle, it.SchoolName, packsLabel(it.PackCodes), frenchDate(it.PickupDay), frenchDate(it.ReturnDay))
	case NoticeMoved:
		return fmt.Sprintf("Prêt déplacé pour le projet « %s » (%s) : il était prévu du %s au %s, il aura lieu du %s au %s (%s).",
			it.RequestTitle, it.SchoolName, frenchDate(*it.OldPickupDay), frenchDate(*it.OldReturnDay),
			frenchDate(it.PickupDay), frenchDate(it.ReturnDay), packsLabel(it.PackCodes))
	default:
		return fmt.Sprintf("Prêt annulé pour le projet « %s » (%s), prévu du %s au %s. Motif : %s.",
			it.RequestTitle, it.SchoolName, frenchDate(it.PickupDay), frenchDate(it.ReturnDay), strings.TrimSuffix(it.Reason, "."))
	}
}

// roundNotices computes the notices of publishing round r: for each new
// loan (fresh, the loans of r that were not kept; with their loan ids once
// created), moved or cancelled loan, its request's teacher and the active
// directors of its school each get an item; one notice per person.
func roundNotices(ctx context.Context, idb bun.IDB, roundID int64, fresh []RoundLoan, changes []RoundChange) ([]Notice, error) {
	moved := map[int64]RoundChange{}
	var items []NoticeItem
	for _, c := range changes {
		if c.Kind == NoticeMoved {
			moved[c.RequestID] = c
			continue
		}
		items = append(items, NoticeItem{Kind: NoticeCancelled, LoanID: c.LoanID, RequestID: c.RequestID, RequestTitle: c.RequestTitle,
			SchoolName: c.SchoolName, PackCodes: c.PackCodes, PickupDay: c.PickupDay, ReturnDay: c.ReturnDay, Reason: c.Reason})
	}
	for _, l := range fresh {
		it := NoticeItem{Kind: NoticeNew, RequestID: l.RequestID, RequestTitle: l.RequestTitle, SchoolName: l.SchoolName,
			PackCodes: l.PackCodes, PickupDay: l.PickupDay, ReturnDay: l.ReturnDay}
		if l.LoanID != nil {
			it.LoanID = *l.LoanID
		}
		if c, ok := moved[l.RequestID]; ok {
			it.Kind, it.OldLoanID, it.OldPickupDay, it.OldReturnDay = NoticeMoved, c.LoanID, &c.PickupDay, &c.ReturnDay
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return []Notice{}, nil
	}
	reqIDs := make([]int64, 0, len(items))
	for i := range items {
		items[i].Text = noticeText(items[i])
		reqIDs = append(reqIDs, items[i].RequestID)
	}
	var people []struct {
		RequestID int64  `bun:"request_id"`
		UserID    int64  `bun:"user_id"`
		Name      string `bun:"name"`
		Email     string `bun:"email"`
		Role      string `bun:"role"`
	}
	if err := idb.NewRaw(`SELECT q.id AS request_id, u.id AS user_id, u.name, u.email, u.role
		FROM requests AS q JOIN users AS u ON u.id = q.teacher_id OR (u.role = 'director' AND u.school_uai = q.school_uai)
		WHERE q.id IN (?) AND u.disabled_at IS NULL ORDER BY u.id`, bun.List(reqIDs)).Scan(ctx, &people); err != nil {
		return nil, err
	}
	by := map[int64]*Notice{}
	for _, it := range items {
		for _, p := range people {
			if p.RequestID != it.RequestID {
				continue
			}
			n := by[p.UserID]
			if n == nil {
				n = &Notice{RoundID: roundID, UserID: p.UserID, UserName: p.Name, Email: p.Email, Role: Role(p.Role)}
				by[p.UserID] = n
			}
			n.Items = append(n.Items, it)
		}
	}
	out := make([]Notice, 0, len(by))
	for _, n := range by {
		sort.SliceStable(n.Items, func(i, j int) bool { return n.Items[i].PickupDay.Before(n.Items[j].PickupDay) })
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

type roundNoticeRow struct {
	bun.BaseModel `bun:"table:round_notices,alias:rn"`

	ID        int64      `bun:"id,pk,autoincrement"`
	RoundID   int64      `bun:"round_id,notnull"`
	UserID    int64      `bun:"user_id,notnull"`
	Items     string     `bun:"items,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ClaimedAt *time.Time `bun:"claimed_at"`
	SentAt    *time.Time `bun:"sent_at"`
	MessageID string     `bun:"message_id,notnull"`

	UserName string `bun:"user_name,scanonly"`
	Email    string `bun:"email,scanonly"`
	Role     string `bun:"role,scanonly"`
}

func (r roundNoticeRow) notice() Notice {
	n := Notice{ID: r.ID, RoundID: r.RoundID, UserID: r.UserID, UserName: r.UserName, Email: r.Email, Role: Role(r.Role),
		Items: []NoticeItem{}, CreatedAt: utcPtr(&r.CreatedAt), SentAt: utcPtr(r.SentAt)}
	_ = json.Unmarshal([]byte(r.Items), &n.Items)
	return n
}

// saveRoundNotices writes the notices of a publish, in its transaction.
func saveRoundNotices(ctx context.Context, tx bun.Tx, now time.Time, ns []Notice) error {
	for _, n := range ns {
		items, err := json.Marshal(n.Items)
		if err != nil {
			return err
		}
		row := roundNoticeRow{RoundID: n.RoundID, UserID: n.UserID, Items: string(items), CreatedAt: now}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// NoticeFilter selects notices; zero fields match all.
type NoticeFilter struct {
	RoundID int64
	UserID  int64
	// Unsent keeps the notices not sent yet.
	Unsent bool
}

// ListNotices returns the stored notices of published rounds, by round
// then person.
func (db *DB) ListNotices(ctx context.Context, f NoticeFilter) (_ []Notice, err error) {
	defer wrapf(&err, "ListNotices")
	var rows []roundNoticeRow
	q := db.bun.NewSelect().Model(&rows).ColumnExpr("rn.*").ColumnExpr("u.name AS user_name, u.email, u.role").
		Join("JOIN users AS u ON u.id = rn.user_id").OrderExpr("rn.round_id, rn.user_id")
	if f.RoundID != 0 {
		q = q.Where("rn.round_id = ?", f.RoundID)
	}
	if f.UserID != 0 {
		q = q.Where("rn.user_id = ?", f.UserID)
	}
	if f.Unsent {
		q = q.Where("rn.sent_at IS NULL").Where("u.disabled_at IS NULL")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Notice, len(rows))
	for i, r := range rows {
		out[i] = r.notice()
	}
	return out, nil
}

// RoundNotices returns the notices of a round: stored ones for a
// published round, and for a draft those its publication would send
// (preview true), computed the same way.
func (db *DB) RoundNotices(ctx context.Context, roundID int64) (_ []Notice, preview bool, err error) {
	defer wrapf(&err, "RoundNotices(%d)", roundID)
	r, err := getRound(ctx, db.bun, roundID)
	if err != nil {
		return nil, false, err
	}
	if r.State != RoundDraft {
		ns, err := db.ListNotices(ctx, NoticeFilter{RoundID: roundID})
		return ns, false, err
	}
	changes := append(slices.Clone(r.Cancellations), r.Moves...)
	ns, err := roundNotices(ctx, db.bun, r.ID, freshLoans(r, nil), changes)
	return ns, true, err
}

// MarkNoticeSent records that a notice went out with messageID; it returns
// false when it was already marked (another sender won).
func (db *DB) MarkNoticeSent(ctx context.Context, id int64, messageID string) (_ bool, err error) {
	defer wrapf(&err, "MarkNoticeSent(%d)", id)
	res, err := db.bun.NewUpdate().Model((*roundNoticeRow)(nil)).Set("sent_at = ?", db.Now()).Set("message_id = ?", messageID).
		Where("id = ?", id).Where("sent_at IS NULL").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// freshLoans returns the loans of draft r that its publication creates (not
// kept from an earlier round), with the ids of the loans created when
// published is the round as published.
func freshLoans(draft Round, published *Round) []RoundLoan {
	var out []RoundLoan
	for _, l := range draft.Loans {
		if l.LoanID != nil {
			continue
		}
		if published != nil {
			for _, p := range published.Loans {
				if p.RequestID == l.RequestID {
					l.LoanID = p.LoanID
				}
			}
		}
		out = append(out, l)
	}
	return out
}

package store

import (
	"context"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
)

// PlanningViewer returns what u may see of the packs' planning: the
// people who see all schools (the coordinator and the referents) see every
// loan by name; directors and teachers see their schools' loans by name
// and the others as « prêté ».
func PlanningViewer(u User) planning.Viewer {
	if u.SeesAllSchools() {
		return planning.Viewer{Staff: true}
	}
	v := planning.Viewer{Schools: []string{}}
	for _, r := range u.roleSet() {
		if r.Role.ScopedToSchool() && r.SchoolUAI != "" && !slices.Contains(v.Schools, r.SchoolUAI) {
			v.Schools = append(v.Schools, r.SchoolUAI)
		}
	}
	return v
}

// planInfo is what turns loans of a year into the planning's loans: the
// requests (title, school, class, sector) and the sectors' names.
type planInfo struct {
	requests map[int64]planRequest
	sectors  map[string]string
}

// planRequest is what the planning shows of a request.
type planRequest struct {
	ID          int64  `bun:"id"`
	Title       string `bun:"title"`
	SchoolUAI   string `bun:"school_uai"`
	SchoolName  string `bun:"school_name"`
	SectorID    string `bun:"sector_id"`
	ClassLevels string `bun:"class_levels"`
}

// planInfo reads the requests of a year in one plain query (no opinions,
// no eligibility: a national year has thousands).
func (db *DB) planInfo(ctx context.Context, year string) (planInfo, error) {
	var reqs []planRequest
	if err := db.bun.NewRaw(`SELECT r.id, r.title, r.school_uai, s.name AS school_name,
		COALESCE(s.sector_id, '') AS sector_id, r.class_levels
		FROM requests AS r JOIN schools AS s ON s.uai = r.school_uai WHERE r.school_year = ?`, year).Scan(ctx, &reqs); err != nil {
		return planInfo{}, err
	}
	sectors, err := db.ListSectors(ctx)
	if err != nil {
		return planInfo{}, err
	}
	info := planInfo{requests: make(map[int64]planRequest, len(reqs)), sectors: make(map[string]string, len(sectors))}
	for _, r := range reqs {
		info.requests[r.ID] = r
	}
	for _, s := range sectors {
		info.sectors[s.ID] = s.Name
	}
	return info, nil
}

// fill copies what the request says of a loan: title, school, class,
// sector.
func (info planInfo) fill(l *planning.Loan) {
	r, ok := info.requests[l.RequestID]
	if !ok {
		return
	}
	if l.Title == "" {
		l.Title = r.Title
	}
	if l.SchoolUAI == "" {
		l.SchoolUAI = r.SchoolUAI
	}
	if l.SchoolName == "" {
		l.SchoolName = r.SchoolName
	}
	l.Class = strings.Join(splitList(r.ClassLevels), ", ")
	l.SectorID = r.SectorID
	l.SectorName = info.sectors[r.SectorID]
}

// signedState reports whether a loan in state s has its agreement signed.
func signedState(s LoanState) bool {
	return s == LoanSigned || s == LoanPickedUp || s == LoanReturned || s == LoanClosed
}

// planningLoan maps a live loan.
func planningLoan(l Loan, info planInfo) planning.Loan {
	out := planning.Loan{LoanID: l.ID, RequestID: l.RequestID, Title: l.RequestTitle, SchoolUAI: l.SchoolUAI,
		StartWeek: l.StartWeek, Weeks: l.Weeks, ExtensionWeeks: l.ExtensionWeeks, PickupDay: l.PickupDay,
		ReturnDay: l.ReturnDay, TurnaroundDays: l.TurnaroundDays, State: LoanStateLabel(l.State),
		Signed: signedState(l.State), Locked: l.State != LoanReserved || l.RoundID == nil,
		PackIDs: []int64{}, PackCodes: []string{}}
	for _, p := range l.Packs {
		out.PackIDs, out.PackCodes = append(out.PackIDs, p.PackID), append(out.PackCodes, p.Code)
	}
	info.fill(&out)
	return out
}

// roundPlanningLoans maps the loans a round proposes; a loan the round
// keeps shows the state of its live loan (live, by loan id).
func roundPlanningLoans(r Round, info planInfo, live map[int64]Loan) []planning.Loan {
	out := make([]planning.Loan, 0, len(r.Loans))
	for _, rl := range r.Loans {
		l := planning.Loan{RequestID: rl.RequestID, Title: rl.RequestTitle, SchoolUAI: rl.SchoolUAI,
			SchoolName: rl.SchoolName, PackIDs: slices.Clone(rl.PackIDs), PackCodes: slices.Clone(rl.PackCodes),
			StartWeek: rl.StartWeek, Weeks: rl.Weeks, ExtensionWeeks: rl.ExtensionWeeks, PickupDay: rl.PickupDay,
			ReturnDay: rl.ReturnDay, TurnaroundDays: r.Params.TurnaroundDays, State: "proposé", Locked: rl.Locked}
		if rl.LoanID != nil {
			l.LoanID = *rl.LoanID
			if ll, ok := live[l.LoanID]; ok {
				l.State, l.Signed = LoanStateLabel(ll.State), signedState(ll.State)
			}
		}
		info.fill(&l)
		out = append(out, l)
	}
	return out
}

// RoundPackWeeks returns, per period of year y, the school weeks during
// which each pack is lent by round r's loans (extensions included).
func (db *DB) RoundPackWeeks(ctx context.Context, r Round, y *calendar.Year) (_ map[string]int, err error) {
	defer wrapf(&err, "RoundPackWeeks(%d)", r.ID)
	info, err := db.planInfo(ctx, r.SchoolYear)
	if err != nil {
		return nil, err
	}
	return planning.PackWeeks(y, roundPlanningLoans(r, info, nil)), nil
}

// roundPlan is the plan a round would put in force: its loans, and the
// loans reserved by hand after it was computed, which publishing keeps.
func roundPlan(r Round, info planInfo, live map[int64]Loan) []planning.Loan {
	out := roundPlanningLoans(r, info, live)
	served := map[int64]bool{}
	for _, l := range r.Loans {
		served[l.RequestID] = true
	}
	for _, id := range sortedIDs(live) {
		if l := live[id]; l.RoundID == nil && !served[l.RequestID] {
			out = append(out, planningLoan(l, info))
		}
	}
	return out
}

// liveLoansByID returns the loans of a year that are not cancelled, by id.
func (db *DB) liveLoansByID(ctx context.Context, year string) (map[int64]Loan, []Loan, error) {
	loans, err := db.ListLoans(ctx, LoanFilter{SchoolYear: year})
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]Loan{}
	var live []Loan
	for _, l := range loans {
		if l.Live() {
			byID[l.ID] = l
			live = append(live, l)
		}
	}
	return byID, live, nil
}

// gridWindows returns the maintenance windows of the packs meeting the
// year, and a whole-year window for a pack in maintenance without dates.
func (db *DB) gridWindows(ctx context.Context, y *calendar.Year, packs []Pack) ([]planning.Window, error) {
	weeks := y.Weeks()
	from, to := weeks[0].Monday, weeks[len(weeks)-1].Monday.AddDays(6)
	ws, err := db.ListMaintenance(ctx, MaintenanceFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	out := make([]planning.Window, 0, len(ws))
	for _, w := range ws {
		out = append(out, planning.Window{ID: w.ID, PackID: w.PackID, FirstDay: w.FirstDay, LastDay: w.LastDay, Reason: w.Reason})
	}
	for _, p := range packs {
		if p.Status == PackMaintenance {
			out = append(out, planning.Window{PackID: p.ID, FirstDay: from, LastDay: to, Reason: "pack en maintenance, sans date de retour"})
		}
	}
	return out, nil
}

// today returns d, or today in Paris when d is zero.
func (db *DB) today(d calendar.Date) calendar.Date {
	if d.IsZero() {
		return calendar.ParisDate(db.Now())
	}
	return d
}

// RoundGridInput returns the input of the grid of a round's plan: the
// calendar of its year, its packs (in the order of the round), the loans
// it proposes (kept loans with the state of their live loan) and the
// loans reserved by hand since, which publishing keeps, and the
// maintenance windows it was computed with; today is the zero Date for
// today in Paris. Returns ErrNotFound.
func (db *DB) RoundGridInput(ctx context.Context, id int64, today calendar.Date, v planning.Viewer) (_ planning.Input, err error) {
	defer wrapf(&err, "RoundGridInput(%d)", id)
	r, err := db.Round(ctx, id)
	if err != nil {
		return planning.Input{}, err
	}
	return db.roundGridInput(ctx, r, today, v)
}

// roundGridInput is the input of the grid of a round's plan (a stored
// round or a what-if's scratch plan, whose extra packs have negative ids).
func (db *DB) roundGridInput(ctx context.Context, r Round, today calendar.Date, v planning.Viewer) (planning.Input, error) {
	y, err := db.CalendarYear(ctx, r.SchoolYear)
	if err != nil {
		return planning.Input{}, err
	}
	info, err := db.planInfo(ctx, r.SchoolYear)
	if err != nil {
		return planning.Input{}, err
	}
	live, _, err := db.liveLoansByID(ctx, r.SchoolYear)
	if err != nil {
		return planning.Input{}, err
	}
	all, err := db.ListPacks(ctx)
	if err != nil {
		return planning.Input{}, err
	}
	return roundGridInputWith(r, y, info, live, all, db.today(today), v), nil
}

// roundGridInputWith is the input of a round's grid from the year's
// calendar, requests, live loans and packs already read.
func roundGridInputWith(r Round, y *calendar.Year, info planInfo, live map[int64]Loan, all []Pack, today calendar.Date, v planning.Viewer) planning.Input {
	labels := map[int64]string{}
	for _, p := range all {
		labels[p.ID] = p.Label
	}
	in := planning.Input{Year: y, Today: today, Viewer: v, Loans: roundPlan(r, info, live)}
	for i, id := range r.Params.PackIDs {
		in.Packs = append(in.Packs, planning.Pack{ID: id, Code: r.Params.PackCodes[i], Label: labels[id]})
	}
	// The round's windows are those it was computed with.
	for _, w := range r.Params.Maintenance {
		in.Maintenance = append(in.Maintenance, planning.Window{ID: w.ID, PackID: w.PackID, FirstDay: w.FirstDay,
			LastDay: w.LastDay, Reason: w.Reason})
	}
	return in
}

// RoundGrid lays out the grid of a round's plan (RoundGridInput, then
// planning.Build). Returns ErrNotFound, or a *planning.Error for bad
// options.
func (db *DB) RoundGrid(ctx context.Context, id int64, today calendar.Date, v planning.Viewer, opt planning.Options) (planning.Grid, error) {
	in, err := db.RoundGridInput(ctx, id, today, v)
	if err != nil {
		return planning.Grid{}, err
	}
	return planning.Build(in, opt)
}

// WhatIfGrid lays out the grid of a what-if's scratch plan: the packs of
// the hypothesis (an extra pack is a row « supplémentaire 1 »), its
// windows (a pack made unavailable shows as maintenance). Returns
// ErrNotFound, or a *planning.Error for bad options.
func (db *DB) WhatIfGrid(ctx context.Context, id int64, today calendar.Date, v planning.Viewer, opt planning.Options) (_ planning.Grid, err error) {
	defer wrapf(&err, "WhatIfGrid(%d)", id)
	var row whatIfRow
	if err := db.bun.NewSelect().Model(&row).Where("wi.id = ?", id).Scan(ctx); err != nil {
		return planning.Grid{}, err
	}
	w, err := row.whatIf()
	if err != nil {
		return planning.Grid{}, err
	}
	in, err := db.roundGridInput(ctx, w.Round, today, v)
	if err != nil {
		return planning.Grid{}, err
	}
	return planning.Build(in, opt)
}

// YearGridInput returns the input of the packs' planning of a school year
// as it stands: the live loans (the published plan and the loans reserved
// by hand, with their extensions), every pack but the retired ones
// without a loan that year, and the maintenance windows (a pack in
// maintenance without dates is away the whole year). today is the zero
// Date for today in Paris. Returns an error wrapping
// calendar.ErrUnknownYear or calendar.ErrInvalidYear for a year without
// calendar.
func (db *DB) YearGridInput(ctx context.Context, year string, today calendar.Date, v planning.Viewer) (_ planning.Input, err error) {
	defer wrapf(&err, "YearGridInput(%s)", year)
	y, err := db.CalendarYear(ctx, year)
	if err != nil {
		return planning.Input{}, err
	}
	info, err := db.planInfo(ctx, year)
	if err != nil {
		return planning.Input{}, err
	}
	_, live, err := db.liveLoansByID(ctx, year)
	if err != nil {
		return planning.Input{}, err
	}
	all, err := db.ListPacks(ctx)
	if err != nil {
		return planning.Input{}, err
	}
	lent := map[int64]bool{}
	in := planning.Input{Year: y, Today: db.today(today), Viewer: v}
	for _, l := range live {
		in.Loans = append(in.Loans, planningLoan(l, info))
		for _, p := range l.Packs {
			lent[p.PackID] = true
		}
	}
	var packs []Pack
	for _, p := range all {
		if p.Status == PackRetired && !lent[p.ID] {
			continue
		}
		packs = append(packs, p)
		in.Packs = append(in.Packs, planning.Pack{ID: p.ID, Code: p.Code, Label: p.Label})
	}
	if in.Maintenance, err = db.gridWindows(ctx, y, packs); err != nil {
		return planning.Input{}, err
	}
	return in, nil
}

// YearGrid lays out the packs' planning of a school year (YearGridInput,
// then planning.Build).
func (db *DB) YearGrid(ctx context.Context, year string, today calendar.Date, v planning.Viewer, opt planning.Options) (planning.Grid, error) {
	in, err := db.YearGridInput(ctx, year, today, v)
	if err != nil {
		return planning.Grid{}, err
	}
	return planning.Build(in, opt)
}

// The planner's reads for a person. Rounds, their grids, differences,
// what-ifs and capacity (round.RoundCapacityFor) are the staff's work
// (ActRoundRead): the others get ErrNotFound, as with RoundFor. The
// year's planning is everyone's (ActLoanRead), each seeing what
// PlanningViewer allows. Running and adopting a what-if are
// ActRoundWrite, checked by the route like round.Run.

// RoundGridFor lays out a round's grid for u.
func (db *DB) RoundGridFor(ctx context.Context, u User, id int64, today calendar.Date, opt planning.Options) (planning.Grid, error) {
	if !u.Can(ActRoundRead) {
		return planning.Grid{}, errHidden()
	}
	return db.RoundGrid(ctx, id, today, PlanningViewer(u), opt)
}

// WhatIfGridFor lays out a what-if's grid for u.
func (db *DB) WhatIfGridFor(ctx context.Context, u User, id int64, today calendar.Date, opt planning.Options) (planning.Grid, error) {
	if !u.Can(ActRoundRead) {
		return planning.Grid{}, errHidden()
	}
	return db.WhatIfGrid(ctx, id, today, PlanningViewer(u), opt)
}

// YearGridFor lays out the year's packs planning for u: by name for the
// staff, the others' loans as « prêté » for a school's people.
func (db *DB) YearGridFor(ctx context.Context, u User, year string, today calendar.Date, opt planning.Options) (planning.Grid, error) {
	if !u.Can(ActLoanRead) {
		return planning.Grid{}, errRoleForbidden()
	}
	return db.YearGrid(ctx, year, today, PlanningViewer(u), opt)
}

// RoundChangesFor returns a round's difference with the plan in force for
// u.
func (db *DB) RoundChangesFor(ctx context.Context, u User, id int64) (planning.Changes, error) {
	if !u.Can(ActRoundRead) {
		return planning.Changes{}, errHidden()
	}
	return db.RoundChanges(ctx, id)
}

// WhatIfFor returns a what-if for u.
func (db *DB) WhatIfFor(ctx context.Context, u User, id int64) (WhatIf, error) {
	if !u.Can(ActRoundRead) {
		return WhatIf{}, errHidden()
	}
	return db.WhatIf(ctx, id)
}

// ListWhatIfsFor returns a round's what-ifs for u (none for the others).
func (db *DB) ListWhatIfsFor(ctx context.Context, u User, roundID int64) ([]WhatIf, error) {
	if !u.Can(ActRoundRead) {
		return []WhatIf{}, nil
	}
	return db.ListWhatIfs(ctx, roundID)
}

func sortedIDs[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

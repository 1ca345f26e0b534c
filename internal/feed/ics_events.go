package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// Feed event kinds: one event of each kind per loan at most. The kind is
// part of the UID and of the revision key.
const (
	eventPickup     = "pickup"
	eventLoan       = "loan"
	eventReturn     = "return"
	eventAssessment = "assessment"
	eventAgreement  = "agreement"
	eventTraining   = "training"
)

// Feed windows and offsets.
const (
	// feedPastDays is how far back the coordinator's feed goes.
	feedPastDays = 60
	// cancelledDays is how long a cancelled loan stays in feeds, as
	// STATUS:CANCELLED, after its cancellation.
	cancelledDays = 30
	// assessmentDueDays is the assessment's due date after the return day
	// (the reminders' first assessment reminder).
	assessmentDueDays = 7
	// pickupMinutes is the length of a timed pickup event.
	pickupMinutes = 60
)

// feedScope is what the texts of a feed's events leave out: the school in
// a school's feed, the pack in a pack's feed.
type feedScope struct {
	target store.FeedTarget
	// tag is the scope's part of UIDs: "school", "pack-7", "all".
	tag string
}

func newFeedScope(t store.FeedTarget) feedScope {
	switch t.Scope {
	case store.FeedPack:
		return feedScope{target: t, tag: fmt.Sprintf("pack-%d", t.PackID)}
	default:
		return feedScope{target: t, tag: string(t.Scope)}
	}
}

// canonicalScope renders the texts events are hashed from: the
// coordinator's, which leaves nothing out.
var canonicalScope = newFeedScope(store.FeedTarget{Scope: store.FeedAll})

// plannedEvent is a feed event before its revision is known.
type plannedEvent struct {
	key store.FeedEventKey
	// hash digests the event's content independently of the feed's scope,
	// so every feed showing the event agrees on its revision.
	hash    string
	changed time.Time
	event   calendar.Event
}

// feedSince returns the first day the feed of a scope shows (the zero Date
// for no limit).
func feedSince(scope store.FeedScope, today calendar.Date) calendar.Date {
	if scope == store.FeedAll {
		return today.AddDays(-feedPastDays)
	}
	return calendar.Date{}
}

// feedName returns the calendar name and description of a feed, in French.
func feedName(f store.Feed) (name, desc string) {
	switch f.Scope {
	case store.FeedSchool:
		school := f.SchoolName
		if school == "" {
			school = f.SchoolUAI
		}
		return "Classe mobile — " + school,
			"Prêts de classe mobile (tablettes) — " + school + " : retraits, périodes de prêt, retours et échéances."
	case store.FeedPack:
		return "Classe mobile " + f.PackCode,
			"Prêts de la classe mobile " + f.PackCode + " dans les écoles : retraits, périodes de prêt, retours et échéances."
	default:
		return "Classes mobiles — tous les prêts",
			fmt.Sprintf("Tous les prêts de classes mobiles, des %d derniers jours et à venir : retraits, périodes de prêt, retours et échéances.", feedPastDays)
	}
}

// planFeed returns the events a feed shows of loans on day today. host
// ends every UID.
func planFeed(t store.FeedTarget, loans []store.FeedLoan, today calendar.Date, host string) []plannedEvent {
	scope := newFeedScope(t)
	since := feedSince(t.Scope, today)
	var out []plannedEvent
	for _, l := range loans {
		if l.CancelledAt != nil && !today.Before(calendar.ParisDate(*l.CancelledAt).AddDays(cancelledDays)) {
			continue // cancelled more than 30 days ago: gone
		}
		for _, kind := range loanEventKinds(l) {
			canon, ok := loanEvent(l, kind, canonicalScope, host)
			if !ok {
				continue
			}
			ev := canon
			if t.Scope != store.FeedAll {
				ev, _ = loanEvent(l, kind, scope, host)
			}
			if !since.IsZero() && eventEnd(ev).Compare(since) <= 0 {
				continue
			}
			out = append(out, plannedEvent{key: store.FeedEventKey{LoanID: l.ID, Kind: kind},
				hash: eventHash(canon), changed: l.Changed, event: ev})
		}
	}
	return out
}

// eventEnd returns the exclusive end day of an event.
func eventEnd(ev calendar.Event) calendar.Date {
	switch {
	case !ev.EndDate.IsZero():
		return ev.EndDate
	case !ev.StartDate.IsZero():
		return ev.StartDate.AddDays(1)
	default:
		return calendar.ParisDate(ev.EndTime).AddDays(1)
	}
}

// loanEventKinds lists the events of a loan in its state. A cancelled loan
// keeps its pickup, loan and return events, marked cancelled; deadlines
// that are met (agreement signed, training done, assessment written)
// disappear.
func loanEventKinds(l store.FeedLoan) []string {
	if l.State == store.LoanCancelled {
		return []string{eventPickup, eventLoan, eventReturn}
	}
	kinds := []string{eventPickup, eventLoan, eventReturn}
	if !l.Assessed {
		kinds = append(kinds, eventAssessment)
	}
	if l.State == store.LoanReserved && (!l.DirectorSigned || !l.ITSigned) {
		kinds = append(kinds, eventAgreement)
	}
	if (l.State == store.LoanReserved || l.State == store.LoanSigned) && l.TrainingStatus != "done" {
		kinds = append(kinds, eventTraining)
	}
	return kinds
}

// eventHash digests everything an event shows except its revision.
func eventHash(ev calendar.Event) string {
	h := sha256.New()
	for _, f := range []string{ev.Summary, ev.Description, ev.Location, string(ev.Status),
		ev.StartDate.String(), ev.EndDate.String(),
		ev.StartTime.UTC().Format(time.RFC3339), ev.EndTime.UTC().Format(time.RFC3339),
		strings.Join(ev.Categories, "\x01"), strconv.FormatBool(ev.Busy)} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// loanEvent returns the event of one kind of a loan as a feed of scope
// shows it, without Sequence and Modified. ok is false when the loan has
// no such event (no dates).
func loanEvent(l store.FeedLoan, kind string, scope feedScope, host string) (ev calendar.Event, ok bool) {
	if l.PickupDay.IsZero() || l.ReturnDay.IsZero() {
		return calendar.Event{}, false
	}
	ev.UID = fmt.Sprintf("loan-%d-%s-%s@%s", l.ID, kind, scope.tag, host)
	ev.Status = calendar.StatusConfirmed
	var action string
	desc := []string{}
	switch kind {
	case eventPickup:
		action = "Retrait de la classe mobile"
		ev.Categories = []string{"Classe mobile", "Retrait"}
		if !l.PickupTime.IsZero() {
			ev.StartTime = l.PickupTime
			ev.EndTime = l.PickupTime.Add(pickupMinutes * time.Minute)
		} else {
			ev.StartDate = l.PickupDay
		}
		desc = append(desc, "Retrait de la classe mobile et contrôle conjoint de la feuille d'inventaire.",
			"La formation technique doit avoir été suivie et la convention de prêt signée.")
	case eventLoan:
		action = "Classe mobile en prêt"
		if l.ExtensionWeeks > 0 {
			action += fmt.Sprintf(" (prolongé de %d semaine%s)", l.ExtensionWeeks, plural(l.ExtensionWeeks))
		}
		ev.Categories = []string{"Classe mobile", "Prêt"}
		ev.StartDate, ev.EndDate = l.PickupDay, l.ReturnDay.AddDays(1)
		ev.Location = schoolLocation(l)
	case eventReturn:
		action = "Retour de la classe mobile"
		ev.Categories = []string{"Classe mobile", "Retour"}
		ev.StartDate = l.ReturnDay
		desc = append(desc, "Retour de la classe mobile et contrôle conjoint de la feuille d'inventaire avec la DSI.")
	case eventAssessment:
		action = "Bilan du prêt à rédiger"
		ev.Categories = []string{"Classe mobile", "Échéance"}
		ev.StartDate = l.ReturnDay.AddDays(assessmentDueDays)
		desc = append(desc, "L'enseignant rédige le bilan du prêt (aspects humains et pédagogiques) pour l'Inspection de l'Éducation nationale.")
	case eventAgreement:
		action = "Date limite : signature de la convention de prêt"
		ev.Categories = []string{"Classe mobile", "Échéance"}
		ev.StartDate = deadlineDay(l.PickupDay)
		var missing []string
		if !l.DirectorSigned {
			missing = append(missing, "direction de l'école")
		}
		if !l.ITSigned {
			missing = append(missing, "Direction des Systèmes d'Information")
		}
		desc = append(desc, "Signature(s) attendue(s) : "+strings.Join(missing, ", ")+".",
			"Le retrait n'est possible qu'une fois la convention signée par les deux parties.")
	case eventTraining:
		action = "Date limite : formation technique"
		ev.Categories = []string{"Classe mobile", "Échéance"}
		ev.StartDate = deadlineDay(l.PickupDay)
		planned := "non planifiée"
		if !l.TrainingDate.IsZero() {
			planned = "prévue le " + feedDate(l.TrainingDate)
		}
		desc = append(desc, "La formation technique doit être suivie avant le retrait de la classe mobile (formation "+planned+").")
	default:
		return calendar.Event{}, false
	}
	ev.Summary = action + " — " + scopeDetail(l, scope)
	if len(desc) > 0 {
		desc = append(desc, "")
	}
	desc = append(desc, loanFacts(l, kind)...)
	if l.State == store.LoanCancelled {
		ev.Status = calendar.StatusCancelled
		ev.Summary = "Annulé : " + ev.Summary
		when := ""
		if l.CancelledAt != nil {
			when = " le " + feedDate(calendar.ParisDate(*l.CancelledAt))
		}
		desc = append([]string{"Ce prêt a été annulé" + when + "."}, desc...)
	}
	ev.Description = strings.Join(desc, "\n")
	return ev, true
}

// zoneCHolidays are the embedded school holidays, for deadlines.
var zoneCHolidays = calendar.ZoneC()

// deadlineDay returns the deadline of what must be done before a pickup:
// the last working day before it that is not in the school holidays (a
// pickup on the first day after the holidays has its deadline before
// them, when teachers and directors are there).
func deadlineDay(pickup calendar.Date) calendar.Date {
	d := calendar.PreviousWorkingDay(pickup)
	for moved := true; moved; {
		moved = false
		for _, h := range zoneCHolidays {
			if !d.Before(h.First) && !h.Resume.IsZero() && d.Before(h.Resume) {
				d, moved = calendar.PreviousWorkingDay(h.First), true
			}
		}
	}
	return d
}

// scopeDetail names who and what an event is about, leaving out what the
// feed's scope already says.
func scopeDetail(l store.FeedLoan, scope feedScope) string {
	class := strings.Join(l.ClassLevels, "-")
	switch scope.target.Scope {
	case store.FeedSchool:
		return joinNonEmpty(", ", class, packList(l.Packs))
	case store.FeedPack:
		return joinNonEmpty(", ", l.SchoolName, class)
	default:
		return joinNonEmpty(", ", l.SchoolName, class, packList(l.Packs))
	}
}

// loanFacts are the description lines every event of a loan ends with:
// who and what, and for the loan event the dates and the state. Other
// events leave out what they do not depend on, so a change (a state
// transition, an extension) raises the SEQUENCE of the events it changes
// only.
func loanFacts(l store.FeedLoan, kind string) []string {
	lines := []string{
		"École : " + l.SchoolName + " (" + l.SchoolUAI + ")",
		"Classe : " + strings.Join(l.ClassLevels, ", "),
		"Classe(s) mobile(s) : " + packList(l.Packs),
	}
	extended := l.ExtensionWeeks > 0 && l.BaseReturnDay != l.ReturnDay
	extension := fmt.Sprintf("Prolongation : %d semaine%s (retour initialement prévu le %s)",
		l.ExtensionWeeks, plural(l.ExtensionWeeks), feedDate(l.BaseReturnDay))
	switch kind {
	case eventLoan:
		lines = append(lines, "Retrait : "+feedDate(l.PickupDay), "Retour : "+feedDate(l.ReturnDay))
		if extended {
			lines = append(lines, extension)
		}
		lines = append(lines, "État du prêt : "+store.LoanStateLabel(l.State))
	case eventReturn, eventAssessment:
		if extended {
			lines = append(lines, extension)
		}
	}
	return lines
}

func schoolLocation(l store.FeedLoan) string {
	return joinNonEmpty(", ", l.SchoolName, l.SchoolAddress)
}

func packList(ps []store.FeedLoanPack) string {
	codes := make([]string, len(ps))
	for i, p := range ps {
		codes[i] = p.Code
	}
	return strings.Join(codes, ", ")
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

// feedDate writes a date the French way: "lundi 5 janvier 2026" (with
// "1er" for the first of the month).
func feedDate(d calendar.Date) string { return d.French(calendar.FrenchLong) }

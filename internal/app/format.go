package app

import (
	"fmt"
	"time"

	"github.com/classemobile/classemobile/internal/store"
)

var (
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = [...]string{"", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
)

// frenchDate writes a day as « mardi 3 mars 2026 ».
func frenchDate(t time.Time) string {
	d := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		d = "1er"
	}
	return fmt.Sprintf("%s %s %s %d", frDays[t.Weekday()], d, frMonths[t.Month()], t.Year())
}

// frenchTime writes an instant as « mardi 3 mars 2026 à 14 h 30 ».
func frenchTime(t time.Time) string {
	return fmt.Sprintf("%s à %d h %02d", frenchDate(t), t.Hour(), t.Minute())
}

// requestStateLabels are the French names of the request states.
var requestStateLabels = map[store.RequestState]string{
	store.RequestDraft:      "brouillon",
	store.RequestSubmitted:  "à autoriser par la direction",
	store.RequestAuthorised: "autorisée, en attente des avis",
	store.RequestInReview:   "avis en cours",
	store.RequestValidated:  "validée",
	store.RequestRejected:   "rejetée",
	store.RequestWithdrawn:  "retirée",
}

func requestStateLabel(s store.RequestState) string {
	if l, ok := requestStateLabels[s]; ok {
		return l
	}
	return string(s)
}

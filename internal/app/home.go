package app

import (
	"fmt"
	"net/http"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// taskView is one task of the À faire page.
type taskView struct {
	Title  string
	Detail string
	Since  string
	Href   string
	Action string
	Urgent bool
}

type homePage struct {
	Layout
	SchoolYear string
	Tasks      []taskView
	Total      int
	Empty      string
	CanCreate  bool
}

// urgentAfter is how long a task may wait before it is shown first and
// marked « en attente depuis ».
const urgentAfter = 7 * 24 * time.Hour

func (a *App) currentYear() string {
	return calendar.CurrentSchoolYear(calendar.ParisDate(a.now()))
}

func (a *App) home(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	year := a.currentYear()
	tasks, total, err := a.db.Tasks(r.Context(), u, year)
	if err != nil {
		return err
	}
	p := &homePage{Layout: Layout{Title: "À faire"}, SchoolYear: year, Total: total, CanCreate: u.Can(store.ActRequestCreate)}
	now := a.now()
	for _, t := range tasks {
		if t.Loan != nil {
			p.Tasks = append(p.Tasks, a.loanTask(t, now))
			continue
		}
		q := t.Request
		v := taskView{Since: frenchDate(t.Since.In(a.loc)), Urgent: now.Sub(t.Since) > urgentAfter,
			Href: fmt.Sprintf("/demandes/%d", q.ID)}
		who := fmt.Sprintf("%s, %s – %s", q.TeacherName, classLabel(q), q.SchoolName)
		switch t.Kind {
		case store.TaskFinishDraft:
			v.Title = "Terminer et envoyer la demande «\u00a0" + q.Title + "\u00a0»"
			v.Detail = "Brouillon enregistré, pas encore envoyé à la direction de l'école."
			if q.RefusalReason != "" {
				v.Detail = "La direction a renvoyé la demande\u00a0: «\u00a0" + q.RefusalReason + "\u00a0»."
				v.Urgent = true
			}
			v.Href = fmt.Sprintf("/demandes/%d/modifier", q.ID)
			v.Action = "Reprendre la demande"
		case store.TaskAuthorise:
			v.Title = "Autoriser la demande «\u00a0" + q.Title + "\u00a0»"
			v.Detail = who
			v.Action = "Lire et autoriser"
		case store.TaskGiveOpinion:
			v.Title = "Donner votre avis sur «\u00a0" + q.Title + "\u00a0»"
			v.Detail = who
			v.Href = fmt.Sprintf("/avis?demande=%d", q.ID)
			v.Action = "Donner mon avis"
		case store.TaskDecide:
			v.Title = "Décider de la demande «\u00a0" + q.Title + "\u00a0»"
			v.Detail = who + " – les trois avis sont donnés."
			v.Action = "Valider ou rejeter"
		}
		v.Title, v.Detail = nbsp(v.Title), nbsp(v.Detail)
		p.Tasks = append(p.Tasks, v)
	}
	switch {
	case u.Can(store.ActRequestCreate):
		p.Empty = "Rien à faire pour l'instant. Pour demander une classe mobile, déposez une nouvelle demande."
	default:
		p.Empty = "Rien à faire pour l'instant\u00a0: vous recevrez un message quand une demande vous attendra."
	}
	return a.render(w, r, http.StatusOK, "home", p)
}

// classLabel names a class by its levels and pupils: « CM1-CM2, 24 élèves ».
func classLabel(q store.Request) string {
	levels := ""
	for i, l := range q.ClassLevels {
		if i > 0 {
			levels += "-"
		}
		levels += l
	}
	if levels == "" {
		levels = "classe"
	}
	return fmt.Sprintf("%s, %d élèves", levels, q.Pupils)
}

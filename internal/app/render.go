package app

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/classemobile/classemobile/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// templates holds one parsed template set per page: the layout plus the
// page's own file.
type templates struct {
	pages map[string]*template.Template
}

// parseTemplates parses every page at start-up, so a broken template stops
// the binary instead of a request.
func parseTemplates() (*templates, error) {
	// The layout and the partials (files starting with "_") are shared by
	// every page.
	base, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, name := range names {
		if name == "templates/layout.html" || strings.HasPrefix(name, "templates/_") {
			continue
		}
		page, err := template.Must(base.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		key := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		t.pages[key] = page
	}
	return t, nil
}

var templateFuncs = template.FuncMap{
	"join": strings.Join,
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"add":        func(a, b int) int { return a + b },
	"capitalise": capitalise,
	// plural writes a count with its noun: « 1 pack », « 3 packs ».
	"plural": plural,
}

// NavItem is one link of the header's navigation.
type NavItem struct {
	Label   string
	Href    string
	Current bool
}

// FieldError is one field's problem, listed in the summary at the top of
// a form with a link to the field.
type FieldError struct {
	Field   string // the input's id
	Label   string // the field's name in the summary
	Message string
}

// Href is the summary's link to the field: its id in this page, or a
// page of its own ("/demandes/12/modifier#pupils").
func (e FieldError) Href() string {
	if strings.HasPrefix(e.Field, "/") {
		return e.Field
	}
	return "#" + e.Field
}

// Layout is what every page shows around its content. Page data embed it.
type Layout struct {
	Title     string
	Town      string
	User      *store.User
	RoleLabel string
	Nav       []NavItem
	Flash     string
	// Errors summarises a form's field errors at the top of the page.
	Errors []FieldError
	// Year is the current year, for the footer.
	Year int
}

func (l *Layout) layout() *Layout { return l }

// page is implemented by every page's data through the embedded Layout.
type page interface{ layout() *Layout }

// FieldMessage returns the error message of a field, or "".
func (l *Layout) FieldMessage(field string) string {
	for _, e := range l.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// render writes a page with status; the layout is completed from the
// request (person, navigation, flash).
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) error {
	t, ok := a.pages.pages[name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
	}
	l := p.layout()
	l.Town = a.town
	l.Year = a.now().In(a.loc).Year()
	if u, ok := currentUser(r.Context()); ok {
		l.User = &u
		l.RoleLabel = rolesLabel(u)
		l.Nav = navFor(u, r.URL.Path)
	}
	if l.Flash == "" {
		l.Flash = a.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // headers are sent: a write error cannot reach the client
	return nil
}

// redirect answers a POST with 303 to the page to show next and a
// one-shot flash message.
func (a *App) redirect(w http.ResponseWriter, r *http.Request, to, flash string) error {
	if flash != "" {
		a.setFlash(w, nbsp(flash))
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (a *App) cookieName(name string) string {
	if a.secure {
		return "__Host-" + name
	}
	return name
}

func (a *App) setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: a.cookieName("cm_flash"), Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/", MaxAge: 120, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
}

// takeFlash reads the flash message and clears it: it shows once.
func (a *App) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(a.cookieName("cm_flash"))
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookieName("cm_flash"), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || !utf8.Valid(b) || len(b) > 500 {
		return ""
	}
	return string(b)
}

// roleLabels are the roles' French names, as the header shows them.
var roleLabels = map[store.Role]string{
	store.RoleCoordinator: "coordination du projet",
	store.RoleIT:          "direction des systèmes d'information",
	store.RoleInspection:  "inspection de l'Éducation nationale",
	store.RoleEducation:   "direction de l'Éducation",
	store.RoleDirector:    "direction d'école",
	store.RoleTeacher:     "enseignant·e",
}

// rolesLabel names the roles a person holds: « direction d'école,
// enseignant·e ».
func rolesLabel(u store.User) string {
	var out []string
	for _, r := range u.HeldRoles() {
		out = append(out, roleLabels[r])
	}
	return strings.Join(out, ", ")
}

// navFor returns the header's links for the actions a person may perform.
func navFor(u store.User, path string) []NavItem {
	items := []NavItem{{Label: "À faire", Href: "/"}}
	if u.Can(store.ActRequestCreate) {
		items = append(items, NavItem{Label: "Nouvelle demande", Href: "/demandes/nouvelle"})
	}
	if u.DirectsSchool() {
		items = append(items, NavItem{Label: "Mon école", Href: "/ecole"})
	}
	if u.Can(store.ActRequestOpinion) {
		items = append(items, NavItem{Label: "Avis à donner", Href: "/avis"})
	}
	if u.Can(store.ActRequestDecide) {
		items = append(items, NavItem{Label: "Validation", Href: "/validation"})
	}
	label := "Demandes"
	if u.OwnRequestsOnly() {
		label = "Mes demandes"
	}
	items = append(items, NavItem{Label: label, Href: "/demandes"})
	if u.Can(store.ActRoundRead) {
		items = append(items, NavItem{Label: "Tours d'affectation", Href: "/tours"})
	}
	items = append(items, NavItem{Label: "Planning des packs", Href: "/planning"})
	// The desk, the packs and the incidents, for the staff who run them.
	if u.Can(store.ActLoanPickup) {
		items = append(items, NavItem{Label: "Retraits et retours", Href: "/retraits-retours"})
	}
	if u.Can(store.ActPackRead) {
		items = append(items, NavItem{Label: "Packs", Href: "/packs"})
	}
	if u.Can(store.ActIncidentRead) {
		items = append(items, NavItem{Label: "Incidents", Href: "/incidents"})
	}
	if u.Can(store.ActSynthesisRead) {
		items = append(items, NavItem{Label: "Synthèse", Href: "/synthese"})
	}
	if u.Can(store.ActPeopleManage) {
		items = append(items, NavItem{Label: "Personnes", Href: "/admin/personnes"})
		items = append(items, NavItem{Label: "Administration", Href: "/admin"})
	}
	for i := range items {
		items[i].Current = items[i].Href == path || (items[i].Href == "/admin/personnes" && strings.HasPrefix(path, "/admin/personnes/")) ||
			(items[i].Href == "/admin" && strings.HasPrefix(path, "/admin/") && !strings.HasPrefix(path, "/admin/personnes"))
	}
	return items
}

// staticHandler serves the embedded stylesheet, script and images, with
// a long cache (the files change only with the binary).
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
}

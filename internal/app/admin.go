package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/internal/store"
)

// peoplePageSize is how many people one page of the list shows.
const peoplePageSize = 50

// personRow is one person of the people list.
type personRow struct {
	ID       int64
	Name     string
	Email    string
	Roles    string
	School   string
	Disabled bool
}

// option is one choice of a select.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// peoplePage is the people administration's list.
type peoplePage struct {
	Layout
	People   []personRow
	Roles    []option
	Schools  []option
	Role     string
	School   string
	Page     int
	PrevHref string
	NextHref string
	Filtered bool
}

// roleChoice is one role checkbox of the person form.
type roleChoice struct {
	Value   string
	Label   string
	Checked bool
}

// personFormPage invites a person or changes one.
type personFormPage struct {
	Layout
	New      bool
	Action   string
	ID       int64
	Email    string
	Name     string
	Roles    []roleChoice
	Schools  []option
	Disabled bool
}

// disablePage asks to confirm disabling a person.
type disablePage struct {
	Layout
	ID    int64
	Name  string
	Email string
}

// importPage is the people file's upload form and its preview.
type importPage struct {
	Layout
	Preview *store.ImportPreview
	// Data is the file, base64, re-posted by « Appliquer ces changements ».
	Data    string
	Lines   []importLineView
	Summary string
	// LineErrors are the file's errors, « Ligne 4 : … », in line order.
	LineErrors []string
}

// importLineView is one line of the preview.
type importLineView struct {
	Line    int
	Email   string
	Name    string
	Roles   string
	School  string
	Action  string
	Kind    string
	Changes []string
}

func actor(r *http.Request) store.Actor {
	u, _ := currentUser(r.Context())
	return store.Actor{UserID: u.ID}
}

func rolesFrench(roles []store.Role) string {
	var out []string
	for _, r := range store.Roles {
		for _, x := range roles {
			if x == r {
				out = append(out, roleLabels[r])
			}
		}
	}
	return strings.Join(out, ", ")
}

func (a *App) schoolOptions(r *http.Request, selected string) ([]option, error) {
	schools, err := a.db.ListSchools(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(schools))
	for _, s := range schools {
		out = append(out, option{Value: s.UAI, Label: s.Name + " (" + s.UAI + ")", Selected: s.UAI == selected})
	}
	return out, nil
}

func (a *App) listPeople(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &peoplePage{Layout: Layout{Title: "Personnes"}, Page: 1}
	f := store.PeopleFilter{IncludeDisabled: true, Limit: peoplePageSize + 1}
	if role := store.Role(q.Get("role")); role.Valid() {
		f.Role, p.Role = role, string(role)
	}
	schools, err := a.schoolOptions(r, "")
	if err != nil {
		return err
	}
	for i, s := range schools {
		if s.Value == q.Get("ecole") {
			f.SchoolUAI, p.School = s.Value, s.Value
			schools[i].Selected = true
		}
	}
	p.Schools = schools
	for _, role := range store.Roles {
		p.Roles = append(p.Roles, option{Value: string(role), Label: roleLabels[role], Selected: string(role) == p.Role})
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n < 100000 {
		p.Page = n
	}
	f.Offset = (p.Page - 1) * peoplePageSize
	people, err := a.db.People(r.Context(), f)
	if err != nil {
		return err
	}
	more := len(people) > peoplePageSize
	if more {
		people = people[:peoplePageSize]
	}
	for _, x := range people {
		p.People = append(p.People, personRow{ID: x.ID, Name: x.Name, Email: x.Email, Roles: rolesLabel(x.User),
			School: x.SchoolName, Disabled: x.Disabled()})
	}
	p.Filtered = p.Role != "" || p.School != ""
	pageHref := func(n int) string {
		v := url.Values{}
		if p.Role != "" {
			v.Set("role", p.Role)
		}
		if p.School != "" {
			v.Set("ecole", p.School)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/admin/personnes"
		}
		return "/admin/personnes?" + v.Encode()
	}
	if p.Page > 1 {
		p.PrevHref = pageHref(p.Page - 1)
	}
	if more {
		p.NextHref = pageHref(p.Page + 1)
	}
	return a.render(w, r, http.StatusOK, "admin_people", p)
}

// personForm fills the form's choices for in.
func (a *App) personForm(r *http.Request, p *personFormPage, in store.PersonInput) error {
	p.Email, p.Name = in.Email, in.Name
	for _, role := range store.Roles {
		c := roleChoice{Value: string(role), Label: roleLabels[role]}
		for _, x := range in.Roles {
			if x == role {
				c.Checked = true
			}
		}
		p.Roles = append(p.Roles, c)
	}
	var err error
	p.Schools, err = a.schoolOptions(r, in.SchoolUAI)
	return err
}

// personFieldIDs maps the store's field names to the form's input ids.
var personFieldIDs = map[string]string{"email": "email", "name": "name", "roles": "role-" + string(store.Roles[0]), "school_uai": "school"}

var personFieldLabels = map[string]string{"email": "Adresse électronique", "name": "Nom", "roles": "Rôles", "school_uai": "École"}

var personFieldOrder = []string{"email", "name", "roles", "school_uai"}

// personErrors turns rule errors into the summary, in the form's order,
// one message per field.
func personErrors(errs []*store.RuleError) []FieldError {
	by := map[string]string{}
	for _, e := range errs {
		field := e.Field
		if field == "" {
			field = "email"
		}
		if _, ok := by[field]; !ok {
			by[field] = nbsp(capitalise(e.Message)) + "."
		}
	}
	var out []FieldError
	for _, f := range personFieldOrder {
		if m, ok := by[f]; ok {
			label := personFieldLabels[f]
			if strings.HasPrefix(strings.ToLower(m), strings.ToLower(label)) {
				label = "" // the message names the field already
			}
			out = append(out, FieldError{Field: personFieldIDs[f], Label: label, Message: m})
		}
	}
	return out
}

// parsePersonForm reads the form: roles from the checkboxes.
func parsePersonForm(r *http.Request) store.PersonInput {
	_ = r.ParseForm() // a malformed body leaves the fields empty: the rules then name them
	in := store.PersonInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), SchoolUAI: r.PostFormValue("school")}
	for _, v := range r.PostForm["roles"] {
		in.Roles = append(in.Roles, store.Role(v))
	}
	return in.Normalize()
}

func (a *App) invitePersonForm(w http.ResponseWriter, r *http.Request) error {
	p := &personFormPage{Layout: Layout{Title: "Inviter une personne"}, New: true, Action: "/admin/personnes/nouvelle"}
	if err := a.personForm(r, p, store.PersonInput{}); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "admin_person", p)
}

func (a *App) invitePerson(w http.ResponseWriter, r *http.Request) error {
	in := parsePersonForm(r)
	errs := in.Check()
	var person store.Person
	if len(errs) == 0 {
		var err error
		person, err = a.db.InvitePerson(r.Context(), actor(r), in)
		if re, ok := store.AsRule(err); ok {
			errs = append(errs, re)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		p := &personFormPage{Layout: Layout{Title: "Inviter une personne", Errors: personErrors(errs)}, New: true, Action: "/admin/personnes/nouvelle"}
		if err := a.personForm(r, p, in); err != nil {
			return err
		}
		return &invalidForm{Page: "admin_person", Data: p}
	}
	if r.PostFormValue("lien") == "oui" {
		if err := a.sendNewLink(r, person.ID); err != nil {
			return err
		}
		return a.redirect(w, r, "/admin/personnes", fmt.Sprintf("%s est invité·e : un lien de connexion a été envoyé à %s.", person.Name, person.Email))
	}
	return a.redirect(w, r, "/admin/personnes", fmt.Sprintf("%s est invité·e. Envoyez-lui un lien de connexion quand vous le souhaitez.", person.Name))
}

// personID reads {id} and returns the person.
func (a *App) personFromPath(r *http.Request) (store.Person, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Person{}, errNotFound
	}
	return a.db.Person(r.Context(), id)
}

func personInput(x store.Person) store.PersonInput {
	in := store.PersonInput{Email: x.Email, Name: x.Name}
	in.Roles = append(in.Roles, x.HeldRoles()...)
	for _, ur := range x.Roles {
		if ur.SchoolUAI != "" {
			in.SchoolUAI = ur.SchoolUAI
		}
	}
	return in
}

func (a *App) editPersonForm(w http.ResponseWriter, r *http.Request) error {
	x, err := a.personFromPath(r)
	if err != nil {
		return err
	}
	p := &personFormPage{Layout: Layout{Title: "Modifier " + x.Name}, Action: fmt.Sprintf("/admin/personnes/%d", x.ID), ID: x.ID, Disabled: x.Disabled()}
	if err := a.personForm(r, p, personInput(x)); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "admin_person", p)
}

func (a *App) changePerson(w http.ResponseWriter, r *http.Request) error {
	x, err := a.personFromPath(r)
	if err != nil {
		return err
	}
	in := parsePersonForm(r)
	in.Email = x.Email
	errs := in.Check()
	if len(errs) == 0 {
		_, err = a.db.ChangePerson(r.Context(), actor(r), x.ID, in)
		if re, ok := store.AsRule(err); ok && re.Kind == store.RuleInvalid {
			errs = append(errs, re)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		p := &personFormPage{Layout: Layout{Title: "Modifier " + x.Name, Errors: personErrors(errs)}, Action: fmt.Sprintf("/admin/personnes/%d", x.ID), ID: x.ID, Disabled: x.Disabled()}
		if err := a.personForm(r, p, in); err != nil {
			return err
		}
		return &invalidForm{Page: "admin_person", Data: p}
	}
	return a.redirect(w, r, "/admin/personnes", fmt.Sprintf("Les rôles et l'école de %s sont enregistrés.", in.Name))
}

func (a *App) disablePersonForm(w http.ResponseWriter, r *http.Request) error {
	x, err := a.personFromPath(r)
	if err != nil {
		return err
	}
	if x.Disabled() {
		return a.redirect(w, r, "/admin/personnes", x.Name+" est déjà désactivé·e.")
	}
	return a.render(w, r, http.StatusOK, "admin_disable", &disablePage{Layout: Layout{Title: "Désactiver " + x.Name}, ID: x.ID, Name: x.Name, Email: x.Email})
}

func (a *App) disablePerson(w http.ResponseWriter, r *http.Request) error {
	x, err := a.personFromPath(r)
	if err != nil {
		return err
	}
	if u, _ := currentUser(r.Context()); u.ID == x.ID {
		return &pageError{Status: http.StatusConflict, Title: "Action impossible", Message: "L'action n'a pas été faite.",
			Conflict: "Vous ne pouvez pas désactiver votre propre compte\u00a0: demandez-le à une autre personne de la coordination.",
			Back:     "/admin/personnes", BackLabel: "Revenir à la liste des personnes"}
	}
	if _, err := a.db.DisableUser(r.Context(), actor(r), x.ID); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/personnes", x.Name+" est désactivé·e : ses liens, sessions et jetons ne fonctionnent plus.")
}

func (a *App) sendNewLink(r *http.Request, id int64) error {
	link, err := a.db.NewLoginLink(r.Context(), id)
	if err != nil {
		return err
	}
	a.sendSignInLink(link, "")
	return nil
}

func (a *App) sendLinkToPerson(w http.ResponseWriter, r *http.Request) error {
	x, err := a.personFromPath(r)
	if err != nil {
		return err
	}
	if x.Disabled() {
		return &pageError{Status: http.StatusConflict, Title: "Action impossible", Message: "Aucun lien n'a été envoyé.",
			Conflict: x.Name + " est désactivé·e et ne peut plus se connecter.", Back: "/admin/personnes", BackLabel: "Revenir à la liste des personnes"}
	}
	if err := a.sendNewLink(r, x.ID); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/personnes", fmt.Sprintf("Un nouveau lien de connexion a été envoyé à %s (%s). Il reste valable 15 minutes.", x.Name, x.Email))
}

func (a *App) importForm(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, "admin_import", &importPage{Layout: Layout{Title: "Importer des personnes"}})
}

// readImportFile reads the uploaded file, at most store.MaxImportBytes.
func readImportFile(w http.ResponseWriter, r *http.Request) ([]byte, string) {
	r.Body = http.MaxBytesReader(w, r.Body, store.MaxImportBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, fmt.Sprintf("Le fichier est trop gros\u00a0: %d Mo au plus.", store.MaxImportBytes>>20)
		}
		return nil, "Choisissez un fichier CSV à importer."
	}
	f, _, err := r.FormFile("fichier")
	if err != nil {
		return nil, "Choisissez un fichier CSV à importer."
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, store.MaxImportBytes+1))
	if err != nil {
		return nil, "Le fichier n'a pas pu être lu. Recommencez."
	}
	if len(data) > store.MaxImportBytes {
		return nil, fmt.Sprintf("Le fichier est trop gros\u00a0: %d Mo au plus.", store.MaxImportBytes>>20)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, "Le fichier est vide."
	}
	return data, ""
}

func (a *App) importPreview(w http.ResponseWriter, r *http.Request) error {
	data, problem := readImportFile(w, r)
	if problem != "" {
		return &invalidForm{Page: "admin_import", Data: &importPage{Layout: Layout{Title: "Importer des personnes",
			Errors: []FieldError{{Field: "fichier", Label: "Fichier CSV", Message: problem}}}}}
	}
	prev, err := a.db.PreviewPeopleImport(r.Context(), data)
	if err != nil {
		return err
	}
	p := importView(prev, "Aperçu de l'import")
	if !prev.OK() {
		return &invalidForm{Page: "admin_import", Data: p}
	}
	p.Data = base64.StdEncoding.EncodeToString(data)
	return a.render(w, r, http.StatusOK, "admin_import", p)
}

func (a *App) importApply(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, store.MaxImportBytes*2)
	data, err := base64.StdEncoding.DecodeString(r.PostFormValue("donnees"))
	if err != nil || len(data) == 0 || len(data) > store.MaxImportBytes {
		return &pageError{Status: http.StatusBadRequest, Title: "Fichier manquant", Message: "Le fichier à appliquer n'a pas été reçu. Importez-le de nouveau.",
			Back: "/admin/personnes/import", BackLabel: "Importer un fichier"}
	}
	res, err := a.db.ApplyPeopleImport(r.Context(), actor(r), data)
	if err != nil {
		return err
	}
	if !res.OK() {
		return &invalidForm{Page: "admin_import", Data: importView(res, "Aperçu de l'import")}
	}
	return a.redirect(w, r, "/admin/personnes", "Import appliqué : "+lowerFirst(res.Summary()))
}

func lowerFirst(s string) string {
	return strings.ToLower(s[:1]) + s[1:]
}

// importView is the preview's page data; errors go to the summary, each
// linking to its line of the table.
func importView(prev store.ImportPreview, title string) *importPage {
	p := &importPage{Layout: Layout{Title: title}, Preview: &prev, Summary: nbsp(prev.Summary())}
	for _, e := range prev.Errors {
		p.LineErrors = append(p.LineErrors, nbsp(capitalise(e.String()))+".")
	}
	for _, l := range prev.Lines {
		v := importLineView{Line: l.Line, Email: l.Person.Email, Name: l.Person.Name, Roles: rolesFrench(l.Person.Roles),
			School: l.SchoolName, Action: l.Action.French(), Kind: string(l.Action)}
		for _, c := range l.Changes {
			v.Changes = append(v.Changes, nbsp(c))
		}
		p.Lines = append(p.Lines, v)
	}
	return p
}

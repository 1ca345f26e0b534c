package store

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// roleFrench names each role in French, for messages and previews.
var roleFrench = map[Role]string{
	RoleCoordinator: "coordination",
	RoleIT:          "DSI",
	RoleInspection:  "inspection",
	RoleEducation:   "service de l'éducation",
	RoleDirector:    "direction d'école",
	RoleTeacher:     "enseignant(e)",
}

// French returns the role's French name ("direction d'école").
func (r Role) French() string {
	if s, ok := roleFrench[r]; ok {
		return s
	}
	return string(r)
}

// roleWords maps the words people type for a role, in French or English,
// lower case and without accents, to the role.
var roleWords = map[string]Role{
	"coordinator": RoleCoordinator, "coordinateur": RoleCoordinator, "coordinatrice": RoleCoordinator,
	"coordination": RoleCoordinator, "chef de projet": RoleCoordinator, "cheffe de projet": RoleCoordinator,
	"it": RoleIT, "dsi": RoleIT, "informatique": RoleIT, "service informatique": RoleIT,
	"inspection": RoleInspection, "ien": RoleInspection, "inspecteur": RoleInspection, "inspectrice": RoleInspection,
	"education": RoleEducation, "service education": RoleEducation, "service de l'education": RoleEducation,
	"direction de l'education": RoleEducation,
	"director":                 RoleDirector, "directeur": RoleDirector, "directrice": RoleDirector, "direction": RoleDirector,
	"direction d'ecole": RoleDirector, "directeur d'ecole": RoleDirector, "directrice d'ecole": RoleDirector,
	"teacher": RoleTeacher, "enseignant": RoleTeacher, "enseignante": RoleTeacher, "enseignant(e)": RoleTeacher,
	"professeur": RoleTeacher, "professeure": RoleTeacher, "professeur des ecoles": RoleTeacher,
	"professeure des ecoles": RoleTeacher, "pe": RoleTeacher,
}

var accentFold = strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "î", "i", "ï", "i",
	"ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c", "’", "'")

// ParseRole reads one role written in French or English, in any case,
// with or without accents ("Directrice", "DSI", "teacher", "professeur des
// écoles"). It reports false for an unknown word.
func ParseRole(s string) (Role, bool) {
	k := accentFold.Replace(strings.ToLower(strings.Join(strings.Fields(s), " ")))
	r, ok := roleWords[k]
	return r, ok
}

// ParseRoles reads a list of roles separated by "," or "|" (several roles
// of one person). It returns the roles in the order of Roles, without
// repeats, and the words it did not recognise.
func ParseRoles(s string) (roles []Role, unknown []string) {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		if strings.TrimSpace(w) == "" {
			continue
		}
		r, ok := ParseRole(w)
		if !ok {
			unknown = append(unknown, strings.TrimSpace(w))
			continue
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	slices.SortFunc(roles, func(a, b Role) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	return roles, unknown
}

// RolesFrench renders roles in French, joined with ", ".
func RolesFrench(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.French()
	}
	return strings.Join(names, ", ")
}

// MaxNameLength bounds a person's name, in characters.
const MaxNameLength = 200

// PersonInput is what the people administration gives for one person: an
// invitation, a change, or a line of an imported file.
type PersonInput struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	// Roles is the set of the person's roles (at least one).
	Roles []Role `json:"roles"`
	// SchoolUAI is the person's school, required when a role belongs to a
	// school (director, teacher) and empty otherwise.
	SchoolUAI string `json:"school_uai,omitempty"`
}

// Normalize trims the fields, lower-cases the e-mail, upper-cases the UAI
// and sorts the roles.
func (in PersonInput) Normalize() PersonInput {
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	in.SchoolUAI = strings.ToUpper(strings.TrimSpace(in.SchoolUAI))
	roles := slices.Clone(in.Roles)
	slices.SortFunc(roles, func(a, b Role) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	in.Roles = slices.Compact(roles)
	return in
}

// needsSchool reports whether one of the roles belongs to a school.
func needsSchool(roles []Role) bool {
	return slices.ContainsFunc(roles, Role.ScopedToSchool)
}

// Check returns every problem of a normalized input that needs no
// database (the school's existence is checked by the store), each a
// *RuleError (RuleInvalid) with a French message.
func (in PersonInput) Check() []*RuleError {
	var out []*RuleError
	if err := CheckEmail(in.Email); err != nil {
		out = append(out, err.(*RuleError))
	}
	if p := checkName(in.Name); p != nil {
		out = append(out, p)
	}
	if len(in.Roles) == 0 {
		out = append(out, personInvalid("roles", "no_role", "aucun rôle indiqué"))
	}
	for _, r := range in.Roles {
		if !r.Valid() {
			out = append(out, personInvalid("roles", "unknown_role", "rôle inconnu : « %s »", r))
		}
	}
	switch {
	case needsSchool(in.Roles) && in.SchoolUAI == "":
		var scoped []Role
		for _, r := range in.Roles {
			if r.ScopedToSchool() {
				scoped = append(scoped, r)
			}
		}
		out = append(out, personInvalid("school_uai", "school_required", "école manquante : le rôle %s demande le code UAI d'une école", RolesFrench(scoped)))
	case !needsSchool(in.Roles) && in.SchoolUAI != "" && len(in.Roles) > 0:
		out = append(out, personInvalid("school_uai", "school_not_allowed", "le rôle %s n'est pas rattaché à une école : laissez le code UAI vide", RolesFrench(in.Roles)))
	}
	if in.SchoolUAI != "" && !validUAI(in.SchoolUAI) {
		out = append(out, personInvalid("school_uai", "unknown_school", "« %s » n'est pas un code UAI (7 chiffres et une lettre)", in.SchoolUAI))
	}
	return out
}

func checkName(name string) *RuleError {
	switch {
	case name == "":
		return personInvalid("name", "invalid_name", "nom manquant")
	case !utf8.ValidString(name):
		return personInvalid("name", "invalid_name", "le nom contient des caractères illisibles (le fichier doit être en UTF-8)")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return personInvalid("name", "invalid_name", "nom trop long (%d caractères au plus)", MaxNameLength)
	case strings.ContainsFunc(name, unicode.IsControl):
		return personInvalid("name", "invalid_name", "le nom contient des caractères de contrôle")
	}
	return nil
}

// validUAI reports whether s has the shape of a UAI: 7 digits and a letter.
func validUAI(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < 7; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[7] >= 'A' && s[7] <= 'Z'
}

package store

import (
	"fmt"
	"maps"
	"slices"
	"unicode"
	"unicode/utf8"
)

// SingleLineProblem returns, in French, what is wrong with s as a
// single-line field (a name, an e-mail address, a title, a code), or ""
// when it is acceptable: valid UTF-8 without control characters (no line
// break, no tab, no NUL, no C1 or bidirectional override).
func SingleLineProblem(s string) string {
	return textProblem(s, false)
}

// MultiLineProblem is SingleLineProblem for free text, where line breaks
// and tabs are allowed.
func MultiLineProblem(s string) string {
	return textProblem(s, true)
}

func textProblem(s string, multiLine bool) string {
	if !utf8.ValidString(s) {
		return "texte qui n'est pas de l'UTF-8 valide"
	}
	for _, r := range s {
		switch {
		case r == 0:
			return "caractère nul interdit"
		case multiLine && (r == '\n' || r == '\r' || r == '\t'):
		case r == '\n' || r == '\r':
			return "retour à la ligne interdit dans ce champ"
		case unicode.IsControl(r):
			return fmt.Sprintf("caractère de contrôle interdit (U+%04X)", r)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("caractère de mise en forme bidirectionnelle interdit (U+%04X)", r)
		}
	}
	return ""
}

// checkText returns a validation_failed *RuleError naming the
// single-line fields (field → value) and the multi-line ones that break
// the rules of text (invalid UTF-8, NUL, control characters, and line
// breaks where one line is expected), or nil.
func checkText(single, multi map[string]string) error {
	f := FieldErrors{}
	for _, field := range slices.Sorted(maps.Keys(single)) {
		if p := SingleLineProblem(single[field]); p != "" {
			f.Add(field, "%s", p)
		}
	}
	for _, field := range slices.Sorted(maps.Keys(multi)) {
		if p := MultiLineProblem(multi[field]); p != "" {
			f.Add(field, "%s", p)
		}
	}
	return f.Err()
}

// listFields adds the entries of a list of single-line values as
// name[i] fields.
func listFields(m map[string]string, name string, values []string) {
	for i, v := range values {
		m[fmt.Sprintf("%s[%d]", name, i)] = v
	}
}

func (u User) checkText() error {
	return checkText(map[string]string{"name": u.Name, "email": u.Email, "school": u.SchoolUAI}, nil)
}

func (s School) checkText() error {
	return checkText(map[string]string{"uai": s.UAI, "name": s.Name, "kind": s.Kind, "address": s.Address,
		"postal_code": s.PostalCode, "city": s.City, "sector_id": s.SectorID, "site": s.Site,
		"priority_education": s.PriorityEducation}, nil)
}

func (s Sector) checkText() error {
	return checkText(map[string]string{"id": s.ID, "name": s.Name}, nil)
}

func (p Pack) checkText() error {
	single := map[string]string{"code": p.Code, "label": p.Label, "status": string(p.Status)}
	for i, it := range p.Items {
		single[fmt.Sprintf("items[%d].kind", i)] = it.Kind
		single[fmt.Sprintf("items[%d].label", i)] = it.Label
		single[fmt.Sprintf("items[%d].serial", i)] = it.Serial
	}
	return checkText(single, map[string]string{"notes": p.Notes})
}

func (q Request) checkText() error {
	single := map[string]string{"title": q.Title, "school_year": q.SchoolYear, "school_uai": q.SchoolUAI}
	listFields(single, "class_levels", q.ClassLevels)
	listFields(single, "preferred_periods", q.PreferredPeriods)
	listFields(single, "excluded_periods", q.ExcludedPeriods)
	return checkText(single, map[string]string{"motivation": q.Motivation, "curriculum_links": q.CurriculumLinks,
		"school_project_links": q.SchoolProjectLinks, "coherence": q.Coherence, "digital_skills": q.DigitalSkills})
}

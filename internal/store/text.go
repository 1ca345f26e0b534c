package store

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextError is returned when text given to the store breaks its rules:
// invalid UTF-8, a NUL byte, or a control character (a line break in a
// single-line field such as a name, which would break e-mail headers, CSV
// rows and logs). Fields maps each field to a French message.
type TextError struct {
	Fields map[string]string
}

func (e *TextError) Error() string {
	keys := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid text: " + strings.Join(parts, "; ")
}

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

// checkText returns a *TextError for the single-line fields (field →
// value) and the multi-line ones that break the rules, or nil.
func checkText(single, multi map[string]string) error {
	var e TextError
	for f, v := range single {
		if p := SingleLineProblem(v); p != "" {
			if e.Fields == nil {
				e.Fields = map[string]string{}
			}
			e.Fields[f] = p
		}
	}
	for f, v := range multi {
		if p := MultiLineProblem(v); p != "" {
			if e.Fields == nil {
				e.Fields = map[string]string{}
			}
			e.Fields[f] = p
		}
	}
	if e.Fields == nil {
		return nil
	}
	return &e
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
	single := map[string]string{"code": p.Code, "label": p.Label, "status": p.Status}
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

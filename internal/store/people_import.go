package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// MaxImportLines bounds the lines of one people file.
const MaxImportLines = 20000

// MaxImportBytes bounds the size of one people file.
const MaxImportBytes = 4 << 20

// ImportAction is what applying a people file does to one line's person.
type ImportAction string

// The import actions.
const (
	// ImportCreate: nobody has the e-mail address yet; the person is created.
	ImportCreate ImportAction = "create"
	// ImportUpdate: the person exists; their name, roles or school change.
	ImportUpdate ImportAction = "update"
	// ImportUnchanged: the person exists exactly as the line says.
	ImportUnchanged ImportAction = "unchanged"
	// ImportSkipped: the person exists but is disabled; the line is left
	// alone (a disabled person is not brought back by a file).
	ImportSkipped ImportAction = "skipped"
)

// French returns the action in French, for previews.
func (a ImportAction) French() string {
	switch a {
	case ImportCreate:
		return "à créer"
	case ImportUpdate:
		return "à modifier"
	case ImportUnchanged:
		return "inchangé"
	case ImportSkipped:
		return "ignoré (personne désactivée)"
	}
	return string(a)
}

// ImportLine is one person of a people file, as read and as it would be
// applied.
type ImportLine struct {
	// Line is the line number in the file, from 1 (the header included).
	Line   int          `json:"line"`
	Person PersonInput  `json:"person"`
	Action ImportAction `json:"action"`
	// SchoolName is the name of the school of SchoolUAI.
	SchoolName string `json:"school_name,omitempty"`
	// UserID is the existing person's id (update, unchanged, skipped), or
	// the new one after an apply.
	UserID int64 `json:"user_id,omitempty"`
	// Changes lists, in French, what changes for an update
	// ("rôles : enseignant(e) → direction d'école").
	Changes []string `json:"changes,omitempty"`
}

// ImportError is one problem of a people file, on one line.
type ImportError struct {
	Line int `json:"line"`
	// Code is the stable code of the problem (those of the people rules, plus
	// bad_format and duplicate_email).
	Code string `json:"code"`
	// Field names the column at fault: email, name, roles, school_uai;
	// empty for the whole line.
	Field string `json:"field,omitempty"`
	// Message says in French what is wrong.
	Message string `json:"message"`
}

// String renders the error as shown to people: "ligne 4 : …".
func (e ImportError) String() string { return fmt.Sprintf("ligne %d : %s", e.Line, e.Message) }

// ImportPreview is what applying a people file would do, or did: every
// line's person and action, the counts, and the errors that refuse the
// file.
type ImportPreview struct {
	Lines  []ImportLine  `json:"lines"`
	Errors []ImportError `json:"errors"`
	// Counts of Lines by action.
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	// Applied is true when the changes were written (ApplyPeopleImport
	// without errors).
	Applied bool `json:"applied"`
}

// OK reports whether the file can be applied: it has no error.
func (p ImportPreview) OK() bool { return len(p.Errors) == 0 }

// Summary says in French what the file does: "3 personnes à créer, 1 à
// modifier, 12 inchangées", or how many lines are in error.
func (p ImportPreview) Summary() string {
	if !p.OK() {
		lines := map[int]bool{}
		for _, e := range p.Errors {
			lines[e.Line] = true
		}
		return fmt.Sprintf("Fichier refusé : %s en erreur, rien n'a été modifié.", countOf(len(lines), "ligne", "lignes"))
	}
	verb := map[bool][3]string{false: {"à créer", "à modifier", "inchangée"}, true: {"créée", "modifiée", "inchangée"}}[p.Applied]
	parts := []string{
		fmt.Sprintf("%s %s", countOf(p.Created, "personne", "personnes"), agree(verb[0], p.Created)),
		fmt.Sprintf("%d %s", p.Updated, agree(verb[1], p.Updated)),
		fmt.Sprintf("%d %s", p.Unchanged, agree(verb[2], p.Unchanged)),
	}
	if p.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (personne désactivée)", p.Skipped, agree("ignorée", p.Skipped)))
	}
	return strings.Join(parts, ", ") + "."
}

func countOf(n int, one, many string) string {
	if n <= 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// agree puts a French feminine past participle in the plural ("créée" →
// "créées"); "à créer" does not change.
func agree(word string, n int) string {
	if n > 1 && !strings.HasPrefix(word, "à ") {
		return word + "s"
	}
	return word
}

// importRecord is one data line of a people file before the database is
// consulted.
type importRecord struct {
	line  int
	input PersonInput
}

// parsePeople reads a people file: UTF-8 with or without a byte order
// mark, fields separated by ";" (e-mail; name; role(s); school UAI), an
// optional header line, roles in French or English separated by "," or
// "|". It returns the well-formed lines, normalized, and the errors of
// the others, in French, line by line. It does not consult the database.
func parsePeople(data []byte) ([]importRecord, []ImportError) {
	if len(data) > MaxImportBytes {
		return nil, []ImportError{{Line: 0, Code: "bad_format",
			Message: fmt.Sprintf("fichier trop gros (%d Mo au plus)", MaxImportBytes>>20)}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ';'
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var (
		recs   []importRecord
		errs   []ImportError
		seen   = map[string]int{}
		header = true
	)
	for {
		fields, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			errs = append(errs, ImportError{Line: line, Code: "bad_format", Message: "ligne illisible (guillemets mal fermés ?)"})
			if !errors.As(err, &pe) {
				break
			}
			continue
		}
		if line > MaxImportLines {
			errs = append(errs, ImportError{Line: line, Code: "bad_format",
				Message: fmt.Sprintf("fichier trop long (%d lignes au plus)", MaxImportLines)})
			break
		}
		if isBlank(fields) {
			continue
		}
		if header {
			header = false
			if looksLikeHeader(fields) {
				continue
			}
		}
		if !utf8.ValidString(strings.Join(fields, ";")) {
			errs = append(errs, ImportError{Line: line, Code: "bad_format",
				Message: "caractères illisibles : enregistrez le fichier en UTF-8"})
			continue
		}
		for len(fields) > 4 && strings.TrimSpace(fields[len(fields)-1]) == "" {
			fields = fields[:len(fields)-1] // trailing separators of spreadsheet exports
		}
		if len(fields) != 4 {
			if len(fields) == 1 && strings.Count(fields[0], ",") >= 2 {
				errs = append(errs, ImportError{Line: line, Code: "bad_format",
					Message: "séparateur attendu : « ; » (point-virgule), pas la virgule"})
				continue
			}
			errs = append(errs, ImportError{Line: line, Code: "bad_format",
				Message: fmt.Sprintf("%d colonnes au lieu de 4 (e-mail ; nom ; rôle(s) ; UAI de l'école)", len(fields))})
			continue
		}
		roles, unknown := ParseRoles(fields[2])
		in := PersonInput{Email: fields[0], Name: fields[1], Roles: roles, SchoolUAI: fields[3]}.Normalize()
		bad := false
		for _, w := range unknown {
			bad = true
			errs = append(errs, ImportError{Line: line, Code: "unknown_role", Field: "roles",
				Message: fmt.Sprintf("rôle inconnu : « %s » (rôles possibles : enseignant, directeur, DSI, inspection, éducation, coordination)", w)})
		}
		for _, p := range in.Check() {
			if p.Detail == "no_role" && len(unknown) > 0 {
				continue
			}
			if p.Detail == "school_not_allowed" && len(unknown) > 0 {
				continue
			}
			bad = true
			errs = append(errs, ImportError{Line: line, Code: p.Detail, Field: p.Field, Message: p.Message})
		}
		if in.Email != "" {
			if first, ok := seen[in.Email]; ok {
				bad = true
				errs = append(errs, ImportError{Line: line, Code: "duplicate_email", Field: "email",
					Message: fmt.Sprintf("l'adresse %s figure déjà ligne %d", in.Email, first)})
			} else {
				seen[in.Email] = line
			}
		}
		if !bad {
			recs = append(recs, importRecord{line: line, input: in})
		}
	}
	if len(recs) == 0 && len(errs) == 0 {
		errs = append(errs, ImportError{Line: 0, Code: "bad_format", Message: "fichier vide : aucune personne à importer"})
	}
	return recs, errs
}

func isBlank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// looksLikeHeader reports whether a first line names columns rather than
// a person: its first field is not an address but mentions "mail".
func looksLikeHeader(fields []string) bool {
	f := strings.ToLower(strings.TrimSpace(fields[0]))
	return !strings.Contains(f, "@") && (strings.Contains(f, "mail") || strings.Contains(f, "courriel"))
}

// PreviewPeopleImport reads a people file and tells what applying it would
// do, line by line, without writing anything: who would be created,
// changed (and how), left unchanged; and every error, in French, line by
// line (bad e-mail, unknown role, unknown UAI, school missing for a
// school role, a line not in the format). The error is only for a failure
// of the database.
func (db *DB) PreviewPeopleImport(ctx context.Context, data []byte) (_ ImportPreview, err error) {
	defer wrapf(&err, "PreviewPeopleImport")
	return planPeopleImport(ctx, db.bun, data)
}

// ApplyPeopleImport applies a people file in one transaction: it is
// planned again inside the transaction (as PreviewPeopleImport does) and,
// if the file has no error, people are created and changed, each change
// audit-logged. A file with an error changes nothing: the preview comes
// back with its errors and Applied false. Applying the same file again
// changes nothing (every line is then unchanged). The error is only for a
// failure of the database (a concurrent change of the same person comes
// back as ErrConflict).
func (db *DB) ApplyPeopleImport(ctx context.Context, actor Actor, data []byte) (_ ImportPreview, err error) {
	defer wrapf(&err, "ApplyPeopleImport")
	now := db.Now()
	var p ImportPreview
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if p, err = planPeopleImport(ctx, tx, data); err != nil || !p.OK() {
			return err
		}
		for i := range p.Lines {
			l := &p.Lines[i]
			switch l.Action {
			case ImportCreate:
				u, err := insertPerson(ctx, tx, now, actor, l.Person, "user.import")
				if err != nil {
					return err
				}
				l.UserID = u.ID
			case ImportUpdate:
				if _, err := updatePerson(ctx, tx, db.dialect, now, actor, l.UserID, l.Person, "user.import"); err != nil {
					return err
				}
			}
		}
		p.Applied = true
		return nil
	})
	if err != nil {
		return ImportPreview{}, err
	}
	return p, nil
}

// planPeopleImport parses data and compares every line with the people and
// schools of the database.
func planPeopleImport(ctx context.Context, idb bun.IDB, data []byte) (ImportPreview, error) {
	recs, errs := parsePeople(data)
	p := ImportPreview{Lines: []ImportLine{}, Errors: errs}
	var emails, uais []string
	for _, r := range recs {
		emails = append(emails, r.input.Email)
		if r.input.SchoolUAI != "" {
			uais = append(uais, r.input.SchoolUAI)
		}
	}
	schools := map[string]string{}
	for _, chunk := range chunks(slices.Compact(slices.Sorted(slices.Values(uais))), 500) {
		var rows []schoolRow
		if err := idb.NewSelect().Model(&rows).Column("uai", "name").Where("uai IN (?)", bun.List(chunk)).Scan(ctx); err != nil {
			return ImportPreview{}, err
		}
		for _, s := range rows {
			schools[s.UAI] = s.Name
		}
	}
	existing := map[string]Person{}
	for _, chunk := range chunks(emails, 500) {
		var rows []personRow
		if err := selectPeople(idb, &rows).Where("u.email IN (?)", bun.List(chunk)).Scan(ctx); err != nil {
			return ImportPreview{}, err
		}
		ps, err := peopleWithRoles(ctx, idb, rows)
		if err != nil {
			return ImportPreview{}, err
		}
		for _, p := range ps {
			existing[p.Email] = p
		}
	}
	for _, r := range recs {
		in := r.input
		l := ImportLine{Line: r.line, Person: in, Action: ImportCreate}
		if in.SchoolUAI != "" {
			name, ok := schools[in.SchoolUAI]
			if !ok {
				p.Errors = append(p.Errors, ImportError{Line: r.line, Code: "unknown_school", Field: "school_uai",
					Message: fmt.Sprintf("UAI inconnu : aucune école n'a le code %s", in.SchoolUAI)})
				continue
			}
			l.SchoolName = name
		}
		if old, ok := existing[in.Email]; ok {
			l.UserID = old.ID
			l.Changes = personChanges(old, in, schools)
			switch {
			case old.Disabled():
				l.Action, l.Changes = ImportSkipped, nil
			case len(l.Changes) > 0:
				l.Action = ImportUpdate
			default:
				l.Action = ImportUnchanged
			}
		}
		p.Lines = append(p.Lines, l)
	}
	slices.SortStableFunc(p.Errors, func(a, b ImportError) int { return a.Line - b.Line })
	for _, l := range p.Lines {
		switch l.Action {
		case ImportCreate:
			p.Created++
		case ImportUpdate:
			p.Updated++
		case ImportUnchanged:
			p.Unchanged++
		case ImportSkipped:
			p.Skipped++
		}
	}
	return p, nil
}

// personChanges lists in French what in changes of old.
func personChanges(old Person, in PersonInput, schools map[string]string) []string {
	var out []string
	if old.Name != in.Name {
		out = append(out, fmt.Sprintf("nom : « %s » → « %s »", old.Name, in.Name))
	}
	oldRoles, oldSchool := personRoles(old.User)
	if !slices.Equal(oldRoles, in.Roles) {
		out = append(out, fmt.Sprintf("rôles : %s → %s", RolesFrench(oldRoles), RolesFrench(in.Roles)))
	}
	if oldSchool != in.SchoolUAI {
		from, to := "aucune", "aucune"
		if oldSchool != "" {
			from = oldSchool
			if name, ok := schools[oldSchool]; ok {
				from = name + " (" + oldSchool + ")"
			} else if oldSchool == old.SchoolUAI && old.SchoolName != "" {
				from = old.SchoolName + " (" + oldSchool + ")"
			}
		}
		if in.SchoolUAI != "" {
			to = schools[in.SchoolUAI] + " (" + in.SchoolUAI + ")"
		}
		out = append(out, fmt.Sprintf("école : %s → %s", from, to))
	}
	return out
}

func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

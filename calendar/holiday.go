package calendar

import (
	"bytes"
	_ "embed" // zone C holidays
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Holiday is a stretch of school holidays of one zone: no class from First
// to the day before Resume.
type Holiday struct {
	// SchoolYear is the school year the holiday belongs to ("2025-2026"); the
	// summer holidays belong to the year they close.
	SchoolYear string `json:"school_year"`
	// Description is the official French name ("Vacances de la Toussaint",
	// "Pont de l'Ascension", "Vacances d'Été").
	Description string `json:"description"`
	// Zone is the holiday zone ("C").
	Zone string `json:"zone"`
	// First is the first day without class for a primary pupil without
	// Saturday class.
	First Date `json:"first_day"`
	// Resume is the day classes resume; zero when not yet published (the
	// last summer holidays of the data).
	Resume Date `json:"resume_day"`
}

// Contains reports whether d is a day of the holiday (First ≤ d < Resume; a
// holiday without Resume runs on forever).
func (h Holiday) Contains(d Date) bool {
	if d.Before(h.First) {
		return false
	}
	return h.Resume.IsZero() || d.Before(h.Resume)
}

//go:embed data/calendrier-scolaire-zone-c.csv
var zoneCCSV []byte

var zoneC = sync.OnceValues(func() ([]Holiday, error) {
	return ParseHolidays(bytes.NewReader(zoneCCSV))
})

// ZoneC returns the embedded zone C (académie de Créteil) holidays from
// 2017-2018 summer on, sorted by first day. The caller owns the slice.
func ZoneC() []Holiday {
	hs, err := zoneC()
	if err != nil {
		// The file is embedded and parsed by the tests: this cannot happen
		// in a build that passed them.
		panic(err)
	}
	return append([]Holiday(nil), hs...)
}

// holidaysHeader is the header of the normalised CSV format.
var holidaysHeader = []string{"annee_scolaire", "description", "zone", "debut", "fin"}

// ParseHolidays reads the normalised holiday CSV the package embeds:
// comma-separated, lines starting with # are comments, header
// "annee_scolaire,description,zone,debut,fin", dates "YYYY-MM-DD", fin empty
// when unpublished. The result is sorted by first day. Returns an error
// wrapping ErrMalformed that names the line on any bad row.
func ParseHolidays(r io.Reader) ([]Holiday, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	var out []Holiday
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if header {
			header = false
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
			if strings.Join(rec, ",") != strings.Join(holidaysHeader, ",") {
				return nil, fmt.Errorf("%w: line %d: header %q, want %q", ErrMalformed, line, strings.Join(rec, ","), strings.Join(holidaysHeader, ","))
			}
			continue
		}
		if len(rec) != len(holidaysHeader) {
			return nil, fmt.Errorf("%w: line %d: %d fields, want %d", ErrMalformed, line, len(rec), len(holidaysHeader))
		}
		h := Holiday{SchoolYear: rec[0], Description: rec[1], Zone: rec[2]}
		if _, _, err := parseYearName(h.SchoolYear); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrMalformed, line, err)
		}
		if h.Description == "" {
			return nil, fmt.Errorf("%w: line %d: empty description", ErrMalformed, line)
		}
		if h.First, err = ParseDate(rec[3]); err != nil {
			return nil, fmt.Errorf("%w: line %d: debut: %v", ErrMalformed, line, err)
		}
		if rec[4] != "" {
			if h.Resume, err = ParseDate(rec[4]); err != nil {
				return nil, fmt.Errorf("%w: line %d: fin: %v", ErrMalformed, line, err)
			}
			if !h.First.Before(h.Resume) {
				return nil, fmt.Errorf("%w: line %d: fin %s not after debut %s", ErrMalformed, line, h.Resume, h.First)
			}
		}
		out = append(out, h)
	}
	if header {
		return nil, fmt.Errorf("%w: empty file", ErrMalformed)
	}
	sortHolidays(out)
	return out, nil
}

// sortHolidays sorts by first day, then school year and description, so the
// order never depends on the input's.
func sortHolidays(hs []Holiday) {
	sort.SliceStable(hs, func(i, j int) bool {
		a, b := hs[i], hs[j]
		if c := a.First.Compare(b.First); c != 0 {
			return c < 0
		}
		if a.SchoolYear != b.SchoolYear {
			return a.SchoolYear < b.SchoolYear
		}
		return a.Description < b.Description
	})
}

// SchoolYears returns the school years that have holidays in hs, sorted.
func SchoolYears(hs []Holiday) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hs {
		if !seen[h.SchoolYear] {
			seen[h.SchoolYear] = true
			out = append(out, h.SchoolYear)
		}
	}
	sort.Strings(out)
	return out
}

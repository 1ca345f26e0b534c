package planning

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// WriteCSV writes the grid as a CSV file that French Excel opens as is:
// UTF-8 with a byte order mark (else Excel reads Windows-1252), ';' as the
// separator (',' is the decimal mark in French), CRLF line ends. Two
// header lines name each column's period (or holiday) and week; then one
// line per pack, each column saying what the pack does that week. Cells
// that a spreadsheet would take for a formula (starting with = + - @, a
// tab or a carriage return) are prefixed with an apostrophe.
func WriteCSV(w io.Writer, g Grid) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	for _, rec := range Records(g) {
		for i, v := range rec {
			rec[i] = SafeCell(v)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write grid csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write grid csv: %w", err)
	}
	return nil
}

// Records returns the lines of the CSV export, before escaping.
func Records(g Grid) [][]string {
	n := len(g.Columns)
	periods := make([]string, 0, n+2)
	weeks := make([]string, 0, n+2)
	periods = append(periods, "Période", "")
	weeks = append(weeks, "Pack", "Libellé")
	for _, c := range g.Columns {
		if c.Kind == ColumnHoliday {
			periods = append(periods, "Vacances")
			weeks = append(weeks, fmt.Sprintf("du %s au %s", NumericDate(c.From), NumericDate(c.To)))
			continue
		}
		periods = append(periods, c.Period)
		weeks = append(weeks, "semaine du "+NumericDate(c.From))
	}
	out := [][]string{periods, weeks}
	for _, r := range g.Rows {
		rec := make([]string, 2, n+2)
		rec[0], rec[1] = r.Pack.Code, r.Pack.Label
		for _, c := range r.Cells {
			v := cellText(c)
			for range c.Span {
				rec = append(rec, v)
			}
		}
		out = append(out, rec)
	}
	return out
}

// cellText is what one column of a cell says in the export.
func cellText(c Cell) string {
	var s string
	switch c.Kind {
	case CellFree:
		return ""
	case CellHoliday:
		return "vacances"
	case CellLoan:
		s = c.Text
		if c.Detail != "" {
			s += " (" + c.Detail + ")"
		}
		if c.Sector != "" {
			s += " – " + c.Sector
		}
		if c.Locked {
			s += " – verrouillé"
		}
	case CellExtension:
		s = "prolongation"
		if c.Detail != "" {
			s += " : " + c.Detail
		}
	case CellMaintenance:
		s = "maintenance"
		if c.Detail != "" {
			s += " : " + c.Detail
		}
	default:
		s = c.Text
	}
	if c.Clash {
		s += " – chevauchement"
	}
	return s
}

// SafeCell neutralises a value a spreadsheet would evaluate as a formula
// (CSV injection): it prefixes values starting with = + - @, a tab or a
// carriage return with an apostrophe.
func SafeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

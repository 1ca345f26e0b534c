// Package sheet writes CSV files for spreadsheets, the way French Excel
// opens them, and safely: a cell that a spreadsheet would take for a
// formula is neutralised.
package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// formulaStarts are the first characters that make a spreadsheet (Excel,
// LibreOffice, Google Sheets) read a cell as a formula or a command: "=",
// "+", "-", "@", a tab or a carriage return, and their full-width forms,
// which some versions fold to the ASCII ones.
const formulaStarts = "=+-@\t\r＝＋－＠"

// Neutralise returns cell with a leading apostrophe when it would start a
// formula ("=HYPERLINK(…)" becomes "'=HYPERLINK(…)"): the spreadsheet shows
// the text as typed instead of running it. Other cells are unchanged.
func Neutralise(cell string) string {
	if r, _ := utf8.DecodeRuneInString(cell); cell != "" && strings.ContainsRune(formulaStarts, r) {
		return "'" + cell
	}
	return cell
}

// Write writes records as a CSV file that French Excel opens as is: UTF-8
// with a byte order mark (else Excel reads Windows-1252), ';' as separator
// (',' is the decimal mark in French), CRLF line ends; every cell goes
// through Neutralise.
func Write(w io.Writer, records [][]string) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	row := []string(nil)
	for _, rec := range records {
		row = row[:0]
		for _, c := range rec {
			row = append(row, Neutralise(c))
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

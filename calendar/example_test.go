package calendar_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
)

func ExampleNewYear() {
	y, err := calendar.NewYear("2025-2026", calendar.ZoneC())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range y.Periods() {
		fmt.Printf("%s %s: %s to %s, weeks %d-%d\n", p.ID, p.Label, p.First, p.Last, p.FirstWeek, p.LastWeek)
	}
	fmt.Println("W =", len(y.Weeks()))
	fmt.Println("6-week loans may start in weeks", y.LegalStarts(6))
	// Output:
	// P1 Rentrée → Toussaint: 2025-09-01 to 2025-10-17, weeks 0-6
	// P2 Toussaint → Noël: 2025-11-03 to 2025-12-19, weeks 7-13
	// P3 Noël → Hiver: 2026-01-05 to 2026-02-20, weeks 14-20
	// P4 Hiver → Printemps: 2026-03-09 to 2026-04-17, weeks 21-26
	// P5 Printemps → Été: 2026-05-04 to 2026-07-03, weeks 27-35
	// W = 36
	// 6-week loans may start in weeks [0 1 7 8 14 15 21 27 28 29 30]
}

func ExampleNewYear_unknown() {
	_, err := calendar.NewYear("2027-2028", calendar.ZoneC())
	fmt.Println(err)
	// Output:
	// school year 2027-2028: no holidays: calendar: unknown school year
}

func ExampleYear_LoanDays() {
	y, _ := calendar.NewYear("2025-2026", calendar.ZoneC())
	pickup, ret, _ := y.LoanDays(27, 6)
	fmt.Println("pickup", pickup, "return", ret)
	fmt.Println("reminder due on the bridge goes out", y.ReminderDay(calendar.MustParseDate("2026-05-15")))
	// Output:
	// pickup 2026-05-04 return 2026-06-12
	// reminder due on the bridge goes out 2026-05-13
}

func ExampleParseOfficial() {
	const export = `description;population;start_date;end_date;location;zones;annee_scolaire
Pont de l'Ascension;-;2027-05-06T22:00:00+00:00;2027-05-06T22:00:00+00:00;Créteil;Zone C;2026-2027
Vacances d'Été;Enseignants;2026-07-03T22:00:00+00:00;2026-08-30T22:00:00+00:00;Créteil;Zone C;2025-2026
Vacances d'Été;Élèves;2026-07-03T22:00:00+00:00;2026-08-31T22:00:00+00:00;Créteil;Zone C;2025-2026
`
	hs, err := calendar.ParseOfficial(strings.NewReader(export), "Créteil")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hs {
		fmt.Println(h.SchoolYear, h.Description, h.First, h.Resume)
	}
	// Output:
	// 2025-2026 Vacances d'Été 2026-07-04 2026-09-01
	// 2026-2027 Pont de l'Ascension 2027-05-06 2027-05-10
}

func ExampleWriteICS() {
	y, _ := calendar.NewYear("2025-2026", calendar.ZoneC())
	pickup, ret, _ := y.LoanDays(27, 6)
	modified := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC) // the loan's last change, not now
	feed := calendar.Feed{
		Name: "Classe mobile — École Jean Jaurès 1",
		Events: []calendar.Event{{
			UID:       "loan-42-loan-school-0930001A@classemobile",
			Sequence:  2,
			Modified:  modified,
			Summary:   "Prêt de la classe mobile 3 (CM1)",
			StartDate: pickup,
			EndDate:   ret.AddDays(1), // DTEND is exclusive
		}},
	}
	var buf bytes.Buffer
	if err := calendar.WriteICS(&buf, feed); err != nil {
		fmt.Println(err)
		return
	}
	// Print the event only, without the CRs of the line ends.
	out := strings.ReplaceAll(buf.String(), "\r\n", "\n")
	fmt.Print(out[strings.Index(out, "BEGIN:VEVENT"):])
	// Output:
	// BEGIN:VEVENT
	// DTEND;VALUE=DATE:20260613
	// DTSTAMP:20260302T091500Z
	// DTSTART;VALUE=DATE:20260504
	// LAST-MODIFIED:20260302T091500Z
	// SEQUENCE:2
	// STATUS:CONFIRMED
	// SUMMARY:Prêt de la classe mobile 3 (CM1)
	// TRANSP:TRANSPARENT
	// UID:loan-42-loan-school-0930001A@classemobile
	// END:VEVENT
	// END:VCALENDAR
}

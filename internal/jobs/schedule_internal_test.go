package jobs

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

func TestCandidates(t *testing.T) {
	t.Parallel()
	const teacher, director, it, coord = 1, 2, 3, 4
	staff := store.ReminderStaff{Directors: map[string][]int64{"0930001A": {director}}, IT: []int64{it}, Coordinators: []int64{coord}}
	pickup, ret := calendar.NewDate(2026, 3, 23), calendar.NewDate(2026, 5, 8)
	base := store.ReminderLoan{ID: 7, SchoolUAI: "0930001A", TeacherID: teacher, PickupDay: pickup, ReturnDay: ret}
	d := func(day calendar.Date, n int) string { return day.AddDays(n).String() }
	tests := []struct {
		name string
		give func(l *store.ReminderLoan)
		want []string // kind due role user
	}{
		{name: "reserved, nothing done", give: func(l *store.ReminderLoan) { l.State = "reserved" }, want: []string{
			"training " + d(pickup, -14) + " teacher 1", "training " + d(pickup, -14) + " director 2",
			"training " + d(pickup, -7) + " teacher 1", "training " + d(pickup, -7) + " director 2",
			"agreement " + d(pickup, -10) + " director 2", "agreement " + d(pickup, -10) + " it 3",
			"pickup " + d(pickup, -3) + " teacher 1"}},
		{name: "director signed, trained", give: func(l *store.ReminderLoan) {
			l.State, l.DirectorSigned, l.TrainingDone = "reserved", true, true
		}, want: []string{"agreement " + d(pickup, -10) + " it 3", "pickup " + d(pickup, -3) + " teacher 1"}},
		{name: "picked up", give: func(l *store.ReminderLoan) { l.State = "picked_up" }, want: []string{
			"return " + d(ret, -7) + " teacher 1", "return " + d(ret, -1) + " teacher 1",
			"overdue " + d(ret, 1) + " teacher 1", "overdue " + d(ret, 1) + " director 2",
			"overdue " + d(ret, 3) + " teacher 1", "overdue " + d(ret, 3) + " director 2", "overdue " + d(ret, 3) + " coordinator 4",
			"overdue " + d(ret, 7) + " teacher 1", "overdue " + d(ret, 7) + " director 2", "overdue " + d(ret, 7) + " coordinator 4"}},
		{name: "extension awaiting", give: func(l *store.ReminderLoan) {
			l.State, l.ExtensionRequestedOn = "picked_up", ret.AddDays(-20)
		}, want: []string{"extension " + d(ret, -18) + " coordinator 4"}},
		{name: "returned late, no assessment", give: func(l *store.ReminderLoan) {
			l.State, l.ReturnedOn = "returned", ret.AddDays(4)
		}, want: []string{"assessment " + d(ret, 11) + " teacher 1", "assessment " + d(ret, 25) + " teacher 1"}},
		{name: "closed with assessment", give: func(l *store.ReminderLoan) { l.State, l.AssessmentWritten = "closed", true }},
		{name: "cancelled", give: func(l *store.ReminderLoan) { l.State = "cancelled" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			tt.give(&l)
			var got []string
			for _, c := range DefaultSchedule().candidates(l, staff) {
				s := fmt.Sprintf("%s %s %s %d", c.kind, c.due, c.role, c.user)
				if tt.name == "extension awaiting" && c.kind != store.ReminderExtension {
					continue
				}
				got = append(got, s)
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			assert.Equal(t, want, got, "candidates of a %s loan", tt.name)
		})
	}
}

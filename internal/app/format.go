package app

import (
	"fmt"
	"time"

	"github.com/classemobile/classemobile/calendar"

	"github.com/classemobile/classemobile/internal/store"
)

// frenchDate writes a day as « mardi 3 mars 2026 » (the project's one
// French date formatter).
func frenchDate(t time.Time) string {
	return calendar.DateOf(t).French(calendar.FrenchLong)
}

// frenchTime writes an instant as « mardi 3 mars 2026 à 14 h 30 ».
func frenchTime(t time.Time) string {
	return fmt.Sprintf("%s à %d h %02d", frenchDate(t), t.Hour(), t.Minute())
}

// requestStateLabel is the store's French name of a request state.
func requestStateLabel(s store.RequestState) string {
	if l := s.Label(); l != "" {
		return l
	}
	return string(s)
}

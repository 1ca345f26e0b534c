package main

import "context"

// runCalendar is a temporary stub until cmd/classemobile/calendar.go lands;
// delete this file then.
func runCalendar(ctx context.Context, e env, args []string) error { return usagef("not yet") }

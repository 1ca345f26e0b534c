package main

import "context"

func runCalendar(ctx context.Context, e env, args []string) error { return usagef("not yet") }
func runPlan(ctx context.Context, e env, args []string) error     { return usagef("not yet") }

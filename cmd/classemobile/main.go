// Command classemobile runs the tablet-pack lending service: the HTTP API,
// the iCal feeds, the nightly reminder job, and the allocation engine on files.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Paris even on hosts without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// env is what every subcommand receives from run: its arguments, the
// environment lookup and the two output streams. Subcommands never touch
// os.Args, os.Getenv, os.Stdout or os.Stderr directly, so tests drive them
// with buffers.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand: its one-line summary and its body.
type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands lists the subcommands. Each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"serve":    {"migrate, then serve the API, the feeds and the jobs", runServe},
		"migrate":  {"apply the database migrations", runMigrate},
		"feed":     {"create, rotate or revoke an iCal feed URL", runFeed},
		"user":     {"manage people (user add, list, token, disable, import)", runUser},
		"calendar": {"show or import the school calendar", runCalendar},
		"plan":     {"solve, evaluate or size an allocation instance file", runPlan},
		"round":    {"run, publish or show an allocation round on the database", runRound},
		"pack":     {"manage the dated maintenance windows of packs (pack maintenance)", runPack},
		"requests": {"export the synthesis table of the validated requests", runRequests},
		"jobs":     {"run the nightly reminder job once (jobs run-once)", runJobs},
		"backup":   {"write a consistent copy of the database while it runs", runBackup},
		"restore":  {"restore a backup into an empty database", runRestore},
		"data":     {"personal data: export or erase a person, apply the retention", runData},
		"demo":     {"seed the town demo or a national-size data set (demo --size national)", runDemo},
	}
}

// usageError reports a command line that cannot be run; it exits with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errHelpShown is returned after -h printed the help: exit code 0.
var errHelpShown = errors.New("help shown")

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return errHelpShown
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		printUsage(stderr)
		return usagef("unknown command %q", args[0])
	}
	return cmd.run(ctx, e, args[1:])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: classemobile <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	cmds := commands()
	for _, name := range sortedKeys(cmds) {
		fmt.Fprintf(w, "  %-10s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'classemobile <command> -h' for the flags of a command.")
}

// exitCode maps the error returned by run to the process exit code and
// prints it: 0 on success or after help, 2 for usage errors, 1 otherwise.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "classemobile:", err)
		return 2
	case errors.Is(err, context.Canceled):
		return 1
	default:
		fmt.Fprintln(stderr, "classemobile:", err)
		return 1
	}
}

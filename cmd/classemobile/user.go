package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/classemobile/classemobile/internal/app"
	"github.com/classemobile/classemobile/internal/store"
)

const userUsage = `user <subcommand> [flags]

  user add --email E --name N --role R[,R…] [--school UAI]  create a person; prints their API token alone on stdout
  user list [--role R] [--school UAI] [--all]           the people, their school and their active API tokens
  user token --email E                                  a new API token alone on stdout (the old ones are revoked)
  user disable --email E                                disable a person (API tokens revoked, no more e-mail)
  user import --file F [--apply]                        preview (then apply) a people file: e-mail;nom;rôle(s);UAI
  user link --email E [--base-url URL]                  a one-use sign-in link for the web application

Every subcommand takes --db URL (default DATABASE_URL, else classemobile.db).`

func runUser(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(e.stderr, "Usage: classemobile %s\n", userUsage)
		if len(args) == 0 {
			return usagef("user: missing subcommand")
		}
		return errHelpShown
	}
	switch args[0] {
	case "add":
		return runUserAdd(ctx, e, args[1:])
	case "list":
		return runUserList(ctx, e, args[1:])
	case "token":
		return runUserToken(ctx, e, args[1:])
	case "disable":
		return runUserDisable(ctx, e, args[1:])
	case "import":
		return runUserImport(ctx, e, args[1:])
	case "link":
		return runUserLink(ctx, e, args[1:])
	default:
		return usagef("user: unknown subcommand %q", args[0])
	}
}

// personErr turns the store's refusals into the French sentence they
// carry, so the command line never shows a driver's message.
func personErr(err error) error {
	if re, ok := store.AsRule(err); ok {
		return errors.New(re.Message)
	}
	return err
}

func runUserAdd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user add", "user add --email E --name N --role R[,R…] [--school UAI] [--db URL]\n\n"+
		"Creates a user and prints its API token alone on stdout (only its hash is stored).\n"+
		"Roles: coordinator, it, inspection, education, director, teacher (the last two need --school).")
	email := fs.String("email", "", "e-mail address (required)")
	name := fs.String("name", "", "full name (required)")
	var roleArgs []string
	fs.Func("role", "role (required); repeat it or separate roles by commas for a person with several roles (director,teacher)", func(v string) error {
		roleArgs = append(roleArgs, strings.Split(v, ",")...)
		return nil
	})
	school := fs.String("school", "", "UAI of the school, for directors and teachers")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u := store.User{Email: store.NormalizeEmail(*email), Name: strings.TrimSpace(*name),
		SchoolUAI: strings.ToUpper(strings.TrimSpace(*school))}
	for _, r := range roleArgs {
		role := store.Role(strings.TrimSpace(r))
		switch {
		case !role.Valid():
			return usagef("user add: unknown role %q (coordinator, it, inspection, education, director, teacher)", r)
		case role.ScopedToSchool() && u.SchoolUAI == "":
			return usagef("user add: role %s needs --school", role)
		}
		u.Roles = append(u.Roles, store.UserRole{Role: role})
	}
	switch {
	case fs.NArg() > 0:
		return usagef("user add: unexpected argument %q", fs.Arg(0))
	case u.Email == "" || u.Name == "" || len(u.Roles) == 0:
		return usagef("user add: --email, --name and --role are required")
	case u.SchoolUAI != "" && !slices.ContainsFunc(u.Roles, func(ur store.UserRole) bool { return ur.Role.ScopedToSchool() }):
		return usagef("user add: role %s does not belong to a school", u.Roles[0].Role)
	}
	if err := store.CheckEmail(u.Email); err != nil {
		return usagef("user add: %q is not an e-mail address", *email)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	_, token, err := db.CreateUser(ctx, store.Actor{}, u)
	if re, ok := store.AsRule(err); ok && re.Code == "email_taken" {
		return fmt.Errorf("%s (nouveau jeton : classemobile user token --email %s)", re.Message, u.Email)
	}
	if err != nil {
		return personErr(err)
	}
	fmt.Fprintln(e.stdout, token)
	return nil
}

func runUserList(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user list", "user list [--role R] [--school UAI] [--all] [--db URL]\n\n"+
		"Lists the people (active ones unless --all): e-mail, role, school, active API tokens, status.")
	role := fs.String("role", "", "only this role")
	school := fs.String("school", "", "only the people of this school (UAI)")
	all := fs.Bool("all", false, "list disabled people too")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("user list: unexpected argument %q", fs.Arg(0))
	}
	if *role != "" && !store.Role(*role).Valid() {
		return usagef("user list: unknown role %q (coordinator, it, inspection, education, director, teacher)", *role)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	people, err := db.People(ctx, store.PeopleFilter{Role: store.Role(*role), SchoolUAI: strings.ToUpper(strings.TrimSpace(*school)),
		IncludeDisabled: *all, Limit: 1 << 30})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tE-MAIL\tNOM\tRÔLES\tÉCOLE\tJETONS\tÉTAT")
	for _, p := range people {
		school := "-"
		if p.SchoolUAI != "" {
			school = p.SchoolUAI + " " + p.SchoolName
		}
		state := "actif"
		if p.Disabled() {
			state = "désactivé le " + p.DisabledAt.Format("2006-01-02")
		}
		var roles []string
		for _, ur := range p.Roles {
			if !slices.Contains(roles, string(ur.Role)) {
				roles = append(roles, string(ur.Role))
			}
		}
		if len(roles) == 0 {
			roles = []string{string(p.Role)}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, p.Email, p.Name, strings.Join(roles, ","), school, p.ActiveTokens, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d personne(s).\n", len(people))
	return nil
}

// personFlag parses the --email of token and disable and finds the person.
func personFlag(ctx context.Context, e env, name string, args []string, help string) (*store.DB, store.Person, error) {
	fs := newFlagSet(e, "user "+name, "user "+name+" --email E [--db URL]\n\n"+help)
	email := fs.String("email", "", "e-mail address of the person (required)")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return nil, store.Person{}, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, store.Person{}, usagef("user %s: unexpected argument %q", name, fs.Arg(0))
	case strings.TrimSpace(*email) == "":
		return nil, store.Person{}, usagef("user %s: --email is required", name)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return nil, store.Person{}, err
	}
	p, err := db.PersonByEmail(ctx, *email)
	if errors.Is(err, store.ErrNotFound) {
		db.Close()
		return nil, store.Person{}, fmt.Errorf("aucune personne n'a l'adresse e-mail %s (voir classemobile user list)", store.NormalizeEmail(*email))
	}
	if err != nil {
		db.Close()
		return nil, store.Person{}, err
	}
	return db, p, nil
}

func runUserToken(ctx context.Context, e env, args []string) error {
	db, p, err := personFlag(ctx, e, "token", args,
		"Issues a new API token for the person and prints it alone on stdout; their other tokens are revoked.")
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := db.IssueToken(ctx, store.Actor{}, p.ID)
	if err != nil {
		return personErr(err)
	}
	fmt.Fprintln(e.stdout, token)
	if p.ActiveTokens > 0 {
		fmt.Fprintf(e.stderr, "Ancien(s) jeton(s) de %s révoqué(s) : %d.\n", p.Email, p.ActiveTokens)
	}
	return nil
}

func runUserDisable(ctx context.Context, e env, args []string) error {
	db, p, err := personFlag(ctx, e, "disable", args,
		"Disables the person: their API tokens are revoked, they can no longer sign in and get no more e-mail.\n"+
			"Their requests, opinions and history stay.")
	if err != nil {
		return err
	}
	defer db.Close()
	if p.Disabled() {
		fmt.Fprintf(e.stderr, "%s (%s) était déjà désactivé(e) depuis le %s.\n", p.Name, p.Email, p.DisabledAt.Format("2006-01-02"))
		return nil
	}
	if _, err := db.DisableUser(ctx, store.Actor{}, p.ID); err != nil {
		return personErr(err)
	}
	fmt.Fprintf(e.stderr, "%s (%s) désactivé(e) ; jetons révoqués : %d.\n", p.Name, p.Email, p.ActiveTokens)
	return nil
}

func runUserImport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user import", "user import --file F [--apply] [--db URL]\n\n"+
		"Reads a people file (a town's directory export): one person per line, e-mail;nom;rôle(s);UAI,\n"+
		"separated by ';', UTF-8 with or without BOM, an optional header line; roles in French or English\n"+
		"(enseignant, directeur, DSI, inspection, éducation, coordination), several separated by ',' or '|';\n"+
		"the UAI of the school for directors and teachers, empty otherwise.\n"+
		"Prints who would be created, changed or left unchanged, or every error line by line; with --apply,\n"+
		"applies the file in one transaction (a file with an error changes nothing).")
	file := fs.String("file", "", "the people file (required)")
	apply := fs.Bool("apply", false, "apply the file (default: preview only)")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("user import: unexpected argument %q", fs.Arg(0))
	case *file == "":
		return usagef("user import: --file is required")
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	var p store.ImportPreview
	if *apply {
		p, err = db.ApplyPeopleImport(ctx, store.Actor{}, data)
	} else {
		p, err = db.PreviewPeopleImport(ctx, data)
	}
	if err != nil {
		return err
	}
	printImportPreview(e, p)
	switch {
	case !p.OK():
		return errors.New(strings.TrimSuffix(p.Summary(), "."))
	case !*apply && p.Created+p.Updated > 0:
		fmt.Fprintln(e.stdout, "Rien n'a été modifié : relancez avec --apply pour appliquer ces changements.")
	}
	return nil
}

// printImportPreview prints a people file's lines, or its errors, then
// the summary.
func printImportPreview(e env, p store.ImportPreview) {
	if !p.OK() {
		for _, er := range p.Errors {
			fmt.Fprintln(e.stdout, er.String())
		}
		return
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, l := range p.Lines {
		school := ""
		if l.Person.SchoolUAI != "" {
			school = l.SchoolName + " (" + l.Person.SchoolUAI + ")"
		}
		fmt.Fprintf(tw, "ligne %d\t%s\t%s\t%s\t%s\t%s\n", l.Line, l.Action.French(), l.Person.Email, l.Person.Name,
			store.RolesFrench(l.Person.Roles), school)
		for _, c := range l.Changes {
			fmt.Fprintf(tw, "            %s\n", c) // no cell: the change reads under its line
		}
	}
	tw.Flush()
	fmt.Fprintln(e.stdout, p.Summary())
}

func runUserLink(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user link", "user link --email E [--base-url URL] [--db URL]\n\n"+
		"Prints a sign-in link for the web application alone on stdout: it works once, within 15 minutes.")
	email := fs.String("email", "", "e-mail address of an active person (required)")
	baseURL := fs.String("base-url", e.getenv("BASE_URL"), "public URL of the service [BASE_URL] (default http://localhost:8080)")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	addr := strings.ToLower(strings.TrimSpace(*email))
	switch {
	case fs.NArg() > 0:
		return usagef("user link: unexpected argument %q", fs.Arg(0))
	case addr == "":
		return usagef("user link: --email is required")
	}
	base := strings.TrimRight(*baseURL, "/")
	if base == "" {
		base = "http://localhost:8080"
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("user link: --base-url %q is not an http(s) URL", *baseURL)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.ActiveUserByEmail(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("user link: no active person with e-mail %s", addr)
	}
	if err != nil {
		return err
	}
	link, err := db.NewLoginLink(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("user link %s: %w", addr, err)
	}
	fmt.Fprintln(e.stdout, app.SignInURL(base, link.Token, ""))
	return nil
}

package main

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/classemobile/classemobile/internal/store"
)

// demodata/ecoles.csv is a copy of shared/data/ecoles-epinay-sur-seine.csv:
// the 15 public elementary schools of Épinay-sur-Seine (UAI and names are
// real, DEPP open data).
//
//go:embed demodata/ecoles.csv
var demoSchoolsCSV string

// demoSectors are the city's 7 quartiers (from the city's web site).
var demoSectors = []store.Sector{
	{ID: "cygne-enghien", Name: "Le Cygne d'Enghien", PeriodCap: 2},
	{ID: "gros-buisson", Name: "Gros Buisson", PeriodCap: 2},
	{ID: "orgemont", Name: "Orgemont", PeriodCap: 2},
	{ID: "centre-ville", Name: "Centre-ville", PeriodCap: 2},
	{ID: "econdeaux", Name: "Les Écondeaux", PeriodCap: 2},
	{ID: "source-presles", Name: "La Source-Les Presles", PeriodCap: 2},
	{ID: "mobiles-briche", Name: "Les Mobiles-La Briche-Les Béatus-Blumenthal", PeriodCap: 2},
}

// demoSchoolSector assigns each school to a quartier. The assignment is
// ILLUSTRATIVE: the sources give no school-to-quartier mapping. Schools
// numbered 1 and 2 share a site and therefore a quartier.
var demoSchoolSector = map[string]string{
	"0931280L": "cygne-enghien",  // Alexandre Dumas
	"0930399D": "centre-ville",   // Anatole France
	"0931818W": "gros-buisson",   // Georges Martin
	"0930161V": "orgemont",       // Jean-Jacques Rousseau 1
	"0930285E": "orgemont",       // Jean-Jacques Rousseau 2
	"0930988U": "centre-ville",   // Jean Jaurès 1
	"0930572S": "centre-ville",   // Jean Jaurès 2
	"0931625L": "source-presles", // Lacépède 1
	"0931581N": "source-presles", // Lacépède 2
	"0931622H": "econdeaux",      // Les Écondeaux
	"0930231W": "mobiles-briche", // Louis Pasteur 1
	"0930347X": "mobiles-briche", // Louis Pasteur 2
	"0931409B": "gros-buisson",   // Romain Rolland
	"0930260C": "cygne-enghien",  // Victor Hugo 1
	"0930381J": "cygne-enghien",  // Victor Hugo 2
}

// demoStep seeds one part of the demo data set, after the ones before it.
type demoStep struct {
	name string
	run  func(ctx context.Context, d *demo) error
}

// demoSteps are run in order on an empty database. Later capabilities
// (requests, rounds, loans, feeds) append their step.
func demoSteps() []demoStep {
	return []demoStep{
		{"schools", seedDemoSchools},
		{"packs", seedDemoPacks},
		{"users", seedDemoUsers},
		{"requests", seedDemoRequests},
		{"loans", seedDemoLoans},
		{"maintenance", seedDemoMaintenance},
		{"round", seedDemoRound},
		{"feeds", seedDemoFeeds},
	}
}

// demo is the state shared by the demo steps.
type demo struct {
	db     *store.DB
	out    io.Writer
	logger *slog.Logger
	now    time.Time
	// baseURL starts every URL printed ("http://localhost:8080"); empty
	// prints paths.
	baseURL string
	// schools in CSV order.
	schools []store.School
	packs   []store.Pack
	// users by key ("coordinator", "director:<uai>", "teacher:<uai>:<n>").
	users  map[string]store.User
	tokens map[string]string
}

// demoOptions configure seedDemoWith.
type demoOptions struct {
	// Out receives what the demo prints (tokens, URLs).
	Out    io.Writer
	Logger *slog.Logger
	// Now is the time the demo is seeded at.
	Now time.Time
	// BaseURL starts every printed URL; empty prints paths.
	BaseURL string
	// DatabaseURL names the database in the "start afresh" advice.
	DatabaseURL string
}

// seedDemo seeds the demo data set into an empty database and prints how
// to use it, with paths instead of URLs.
func seedDemo(ctx context.Context, db *store.DB, out io.Writer, logger *slog.Logger, now time.Time) error {
	return seedDemoWith(ctx, db, demoOptions{Out: out, Logger: logger, Now: now})
}

// seedDemoWith seeds the demo data set into an empty database and prints
// how to use it. It never touches a database that has schools or users:
// it says so, and how to start afresh.
func seedDemoWith(ctx context.Context, db *store.DB, o demoOptions) error {
	var n int
	if err := db.Bun().NewRaw("SELECT (SELECT count(*) FROM schools) + (SELECT count(*) FROM users)").Scan(ctx, &n); err != nil {
		return err
	}
	if n > 0 {
		printDemoAlreadySeeded(o.Out, db.Dialect(), o.DatabaseURL)
		return nil
	}
	d := &demo{db: db, out: o.Out, logger: o.Logger, now: o.Now, baseURL: strings.TrimRight(o.BaseURL, "/"),
		users: map[string]store.User{}, tokens: map[string]string{}}
	for _, step := range demoSteps() {
		if err := step.run(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	d.printTokens()
	return nil
}

// printDemoAlreadySeeded tells, on a database that has data, that the demo
// was not seeded again and how to start afresh or get a token.
func printDemoAlreadySeeded(w io.Writer, dialect store.Dialect, dbURL string) {
	fmt.Fprintln(w, "La base contient déjà des données : la démonstration n'est pas ajoutée une seconde fois.")
	if dialect == store.Postgres {
		fmt.Fprintln(w, "Pour repartir de zéro : arrêtez le serveur, videz la base PostgreSQL (DROP SCHEMA public CASCADE; CREATE SCHEMA public;)")
		fmt.Fprintln(w, "ou donnez une autre base avec --db, puis relancez « classemobile serve --demo ».")
	} else {
		if dbURL == "" {
			dbURL = store.DefaultURL
		}
		fmt.Fprintf(w, "Pour repartir de zéro : arrêtez le serveur, supprimez %s (et %s-wal, %s-shm s'ils existent)\n", dbURL, dbURL, dbURL)
		fmt.Fprintln(w, "ou donnez un autre fichier avec --db, puis relancez « classemobile serve --demo ».")
	}
	fmt.Fprintln(w, "Pour garder les données : « classemobile user list » montre les personnes, « classemobile user token --email E » donne un nouveau jeton d'API.")
}

func seedDemoSchools(ctx context.Context, d *demo) error {
	for _, s := range demoSectors {
		if err := d.db.SaveSector(ctx, store.Actor{}, s); err != nil {
			return err
		}
	}
	r := csv.NewReader(strings.NewReader(demoSchoolsCSV))
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		return err
	}
	for _, row := range rows[1:] { // header: uai,nom,type,adresse,code_postal,latitude,longitude,quartier,education_prioritaire
		s := store.School{UAI: row[0], Name: row[1], Kind: row[2], Address: row[3], PostalCode: row[4],
			City: "Épinay-sur-Seine", SectorID: demoSchoolSector[row[0]], PriorityEducation: row[8],
			Site: siteOf(row[1])}
		s, err := d.db.CreateSchool(ctx, store.Actor{}, s)
		if err != nil {
			return err
		}
		d.schools = append(d.schools, s)
	}
	return nil
}

// siteOf names the site of a school: "X 1" and "X 2" share site "X".
func siteOf(name string) string {
	name = strings.TrimPrefix(name, "ECOLE ELEMENTAIRE ")
	return strings.TrimSuffix(strings.TrimSuffix(name, " 1"), " 2")
}

func seedDemoPacks(ctx context.Context, d *demo) error {
	for i := 1; i <= 6; i++ {
		code := fmt.Sprintf("CM-%02d", i)
		p := store.Pack{Code: code, Label: fmt.Sprintf("Classe mobile n° %d", i)}
		for t := 1; t <= 12; t++ {
			p.Items = append(p.Items, store.PackItem{Kind: store.ItemTablet,
				Label: fmt.Sprintf("Tablette %02d", t), Serial: fmt.Sprintf("R9TN%02d%03dK", i, 100+t)})
		}
		p.Items = append(p.Items,
			store.PackItem{Kind: store.ItemChargingCase, Label: "Valise de recharge et de transport", Serial: fmt.Sprintf("VAL-%02d-2018", i)},
			store.PackItem{Kind: store.ItemAccessPoint, Label: "Borne Wi-Fi mobile", Serial: fmt.Sprintf("AP-%02d-5GHZ", i)})
		p, err := d.db.CreatePack(ctx, store.Actor{}, p)
		if err != nil {
			return err
		}
		d.packs = append(d.packs, p)
	}
	return nil
}

func seedDemoUsers(ctx context.Context, d *demo) error {
	first := d.schools[0].UAI
	for _, u := range []struct {
		key string
		u   store.User
	}{
		{"coordinator", store.User{Email: "coordination@demo.epinay.fr", Name: "Claire Morel (cheffe de projet)", Role: store.RoleCoordinator}},
		{"it", store.User{Email: "dsi@demo.epinay.fr", Name: "Karim Benali (DSI)", Role: store.RoleIT}},
		{"inspection", store.User{Email: "ien@demo.epinay.fr", Name: "Sophie Lambert (IEN)", Role: store.RoleInspection}},
		{"education", store.User{Email: "education@demo.epinay.fr", Name: "Marc Dubois (direction de l'Éducation)", Role: store.RoleEducation}},
		{"director:" + first, store.User{Email: "direction.dumas@demo.epinay.fr", Name: "Nadia Haddad (directrice)", Role: store.RoleDirector, SchoolUAI: first}},
		{"teacher:" + first + ":1", store.User{Email: "enseignant.dumas@demo.epinay.fr", Name: "Julien Martin (CM1)", Role: store.RoleTeacher, SchoolUAI: first}},
	} {
		if err := d.addUser(ctx, u.key, u.u); err != nil {
			return err
		}
	}
	return nil
}

// addUser creates a demo user and keeps its token to print.
func (d *demo) addUser(ctx context.Context, key string, u store.User) error {
	u, token, err := d.db.CreateUser(ctx, store.Actor{}, u)
	if err != nil {
		return err
	}
	d.users[key] = u
	d.tokens[key] = token
	return nil
}

// printTokens tells how to use the demo: one line per person, with their
// role, e-mail, API token and, for directors and teachers, their school.
func (d *demo) printTokens() {
	fmt.Fprintln(d.out, "Demo data seeded. API tokens (Authorization: Bearer <token>):")
	schools := map[string]string{}
	for _, s := range d.schools {
		schools[s.UAI] = s.Name
	}
	for _, key := range sortedKeys(d.tokens) {
		u := d.users[key]
		line := fmt.Sprintf("  %-12s %-44s %s", u.Role, u.Email, d.tokens[key])
		if u.SchoolUAI != "" {
			line += fmt.Sprintf("  %s (%s)", schools[u.SchoolUAI], u.SchoolUAI)
		}
		fmt.Fprintln(d.out, line)
	}
	if tok, ok := d.tokens["coordinator"]; ok {
		fmt.Fprintf(d.out, "Try: curl -H 'Authorization: Bearer %s' %s\n", tok, d.url("/api/v1/schools"))
	}
}

// url returns the URL of a path on the server (the path alone without a
// base URL).
func (d *demo) url(path string) string { return d.baseURL + path }

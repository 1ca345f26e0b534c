package demo

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/classemobile/classemobile/internal/app"
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
	// baseURL starts every URL printed ("http://localhost:8080").
	baseURL string
	// schools in CSV order.
	schools []store.School
	packs   []store.Pack
	// users by key ("coordinator", "director:<uai>", "teacher:<uai>:<n>").
	users  map[string]store.User
	tokens map[string]string
}

// seedDemoAt seeds the demo data set into an empty database and prints,
// for each demo person, their role, school, e-mail, API token and a
// one-use sign-in link to baseURL. On a database that has schools or
// users it seeds nothing and prints fresh sign-in links for the demo
// people it finds (their API tokens were printed on the first run).
func seedDemoAt(ctx context.Context, db *store.DB, out io.Writer, logger *slog.Logger, now time.Time, baseURL string) error {
	fresh, err := db.IsFresh(ctx)
	if err != nil {
		return err
	}
	d := &demo{db: db, out: out, logger: logger, now: now, baseURL: strings.TrimRight(baseURL, "/"),
		users: map[string]store.User{}, tokens: map[string]string{}}
	if !fresh {
		logger.Info("Database not empty: demo data not seeded; fresh sign-in links printed for the demo people")
		if err := d.findDemoPeople(ctx); err != nil {
			return err
		}
		return d.printPeople(ctx, baseURL, false)
	}
	for _, step := range demoSteps() {
		if err := step.run(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return d.printPeople(ctx, baseURL, true)
}

// Options configure Seed.
type Options struct {
	// Out receives what the demo prints (tokens, links, URLs).
	Out    io.Writer
	Logger *slog.Logger
	// Now is the time the demo is seeded at.
	Now time.Time
	// BaseURL starts every printed URL.
	BaseURL string
	// DatabaseURL names the database in the "start afresh" advice.
	DatabaseURL string
}

// Seed seeds the town demo (what serve --demo shows) into an empty
// database and prints, for each demo person, their role, school, e-mail,
// API token and a one-use sign-in link to o.BaseURL. On a database that
// has schools or people it seeds nothing, says how to start afresh and
// prints fresh sign-in links for the demo people it finds.
func Seed(ctx context.Context, db *store.DB, o Options) error {
	fresh, err := db.IsFresh(ctx)
	if err != nil {
		return err
	}
	if !fresh {
		printDemoAlreadySeeded(o.Out, db.Dialect(), o.DatabaseURL)
	}
	return seedDemoAt(ctx, db, o.Out, o.Logger, o.Now, o.BaseURL)
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

// url returns the URL of a path on the server.
func (d *demo) url(path string) string { return d.baseURL + path }

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

// demoPeople are the demo's people, one per role.
var demoPeople = []struct {
	key string
	u   store.User
}{
	{"coordinator", store.User{Email: "coordination@demo.epinay.fr", Name: "Claire Morel (cheffe de projet)", Role: store.RoleCoordinator}},
	{"it", store.User{Email: "dsi@demo.epinay.fr", Name: "Karim Benali (DSI)", Role: store.RoleIT}},
	{"inspection", store.User{Email: "ien@demo.epinay.fr", Name: "Sophie Lambert (IEN)", Role: store.RoleInspection}},
	{"education", store.User{Email: "education@demo.epinay.fr", Name: "Marc Dubois (direction de l'Éducation)", Role: store.RoleEducation}},
	{"director:" + demoFirstSchool, store.User{Email: "direction.dumas@demo.epinay.fr", Name: "Nadia Haddad (directrice)", Role: store.RoleDirector, SchoolUAI: demoFirstSchool}},
	{"teacher:" + demoFirstSchool + ":1", store.User{Email: "enseignant.dumas@demo.epinay.fr", Name: "Julien Martin (CM1)", Role: store.RoleTeacher, SchoolUAI: demoFirstSchool}},
}

// demoFirstSchool is the first school of demodata/ecoles.csv (Alexandre
// Dumas), whose director and teacher are demo people.
const demoFirstSchool = "0931280L"

func seedDemoUsers(ctx context.Context, d *demo) error {
	if first := d.schools[0].UAI; first != demoFirstSchool {
		return fmt.Errorf("first demo school is %s, want %s", first, demoFirstSchool)
	}
	for _, u := range demoPeople {
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

// demoEmailDomain is the domain of every demo person's address.
const demoEmailDomain = "@demo.epinay.fr"

// findDemoPeople loads the demo people of an already seeded database, by
// their demo e-mail addresses.
func (d *demo) findDemoPeople(ctx context.Context) error {
	all, err := d.db.ListUsers(ctx, "", "")
	if err != nil {
		return err
	}
	for _, u := range all {
		if strings.HasSuffix(u.Email, demoEmailDomain) {
			d.users[u.Email] = u
		}
	}
	for _, p := range demoPeople {
		if u, ok := d.users[p.u.Email]; ok {
			delete(d.users, p.u.Email)
			d.users[p.key] = u
		}
	}
	return nil
}

// printPeople tells how to use the demo: one line per demo person with
// their role, school, e-mail, API token ("-" when it was printed on an
// earlier run) and a sign-in link that works once, within 15 minutes.
func (d *demo) printPeople(ctx context.Context, baseURL string, seeded bool) error {
	if seeded {
		fmt.Fprintln(d.out, "Demo data seeded.")
	}
	fmt.Fprintf(d.out, "Demo people (role, school, e-mail, API token for Authorization: Bearer, one-use sign-in link valid %d minutes):\n",
		int(store.LoginTokenTTL.Minutes()))
	// The first people of the demo come first, one per role; then the
	// other directors and teachers.
	var keys []string
	for _, p := range demoPeople {
		if _, ok := d.users[p.key]; ok {
			keys = append(keys, p.key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(d.users)) {
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	for _, key := range keys {
		u := d.users[key]
		link, err := d.db.NewLoginLink(ctx, u.ID)
		if err != nil {
			return err
		}
		school, token := u.SchoolUAI, d.tokens[key]
		if school == "" {
			school = "-"
		}
		if token == "" {
			token = "-"
		}
		fmt.Fprintf(d.out, "  %-12s %-9s %-36s %-46s %s\n", u.Role, school, u.Email, token, app.SignInURL(baseURL, link.Token, ""))
	}
	if !seeded {
		fmt.Fprintln(d.out, "API tokens were printed when the demo was seeded; 'classemobile user link --email E' prints a new sign-in link.")
	}
	return nil
}

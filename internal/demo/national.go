package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
)

// NationalSizes is the national data set's size.
var NationalSizes = NationalSize{Sectors: 100, Schools: 2000, Packs: 200, Requests: 8000}

// NationalSize is how many sectors, schools, packs and requests
// SeedNational makes.
type NationalSize struct {
	Sectors, Schools, Packs, Requests int
}

// NationalOptions configure SeedNational.
type NationalOptions struct {
	Out     io.Writer
	Now     time.Time
	Workers int
	Sizes   NationalSize
	// DatabaseURL names the database in the "start afresh" advice.
	DatabaseURL string
	// RoundTimeLimit bounds the round's solver. Defaults to 60 seconds.
	RoundTimeLimit time.Duration
}

// NationalStats counts what SeedNational made, and how long each phase
// took.
type NationalStats struct {
	Schools, Packs, People int
	ByState                map[store.RequestState]int
	RoundID                int64
	Loans, Unserved        int
	Phases                 []string
}

func (s NationalStats) String() string {
	var states []string
	for _, st := range store.RequestStates {
		states = append(states, fmt.Sprintf("%s %d", st, s.ByState[st]))
	}
	return fmt.Sprintf("%d schools, %d packs, %d people, requests: %s; round %d: %d loans, %d requests not served; %s",
		s.Schools, s.Packs, s.People, strings.Join(states, ", "), s.RoundID, s.Loans, s.Unserved, strings.Join(s.Phases, ", "))
}

// nationalMix is the share of requests per final state, in thousandths.
var nationalMix = []struct {
	state store.RequestState
	per   int
}{
	{store.RequestDraft, 100}, {store.RequestSubmitted, 100}, {store.RequestAuthorised, 80},
	{store.RequestInReview, 120}, {store.RequestValidated, 450}, {store.RequestRejected, 100},
	{store.RequestWithdrawn, 50},
}

var nationalFirstNames = []string{"Camille", "Léa", "Hugo", "Manon", "Lucas", "Chloé", "Nathan", "Inès", "Louis", "Sarah",
	"Jules", "Emma", "Karim", "Fatou", "Yanis", "Aïcha", "Thomas", "Julie", "Mehdi", "Élodie", "Paul", "Sofia", "Adam", "Nora"}
var nationalLastNames = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
	"Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
	"Benali", "Traoré", "Nguyen", "Haddad", "Diallo", "Rousseau", "Blanc", "Guerin", "Muller", "Henry"}
var nationalSchoolNames = []string{"JEAN JAURES", "JULES FERRY", "VICTOR HUGO", "JEAN MOULIN", "LOUIS PASTEUR",
	"JACQUES PREVERT", "PAUL BERT", "MARIE CURIE", "JEAN DE LA FONTAINE", "ANATOLE FRANCE", "GEORGE SAND",
	"ALBERT CAMUS", "ANDRE MALRAUX", "JEAN MACE", "CONDORCET", "VOLTAIRE", "PABLO PICASSO", "ROMAIN ROLLAND",
	"LES TILLEULS", "LE CENTRE", "DU PARC", "LES CHENES", "LA FONTAINE", "MOLIERE"}
var nationalCities = []string{"Lille", "Amiens", "Rouen", "Caen", "Rennes", "Nantes", "Tours", "Orléans", "Dijon", "Besançon",
	"Strasbourg", "Nancy", "Reims", "Limoges", "Clermont-Ferrand", "Lyon", "Grenoble", "Bordeaux", "Poitiers", "Toulouse",
	"Montpellier", "Marseille", "Nice", "Créteil", "Versailles"}

// nationalTeacher is one teacher and the request they file.
type nationalTeacher struct {
	user   store.User
	school store.School
	state  store.RequestState
	seq    int
}

// SeedNational seeds the national data set through the store's API. The
// writes of the requests' journeys run on o.Workers goroutines, one
// school's requests on one goroutine (each call is its own transaction).
func SeedNational(ctx context.Context, db *store.DB, o NationalOptions) (NationalStats, error) {
	st := NationalStats{ByState: map[store.RequestState]int{}}
	fresh, err := db.IsFresh(ctx)
	if err != nil {
		return st, err
	}
	if !fresh {
		printDemoAlreadySeeded(o.Out, db.Dialect(), o.DatabaseURL)
		return st, errors.New("database not empty: national data set not seeded")
	}
	if o.RoundTimeLimit == 0 {
		o.RoundTimeLimit = 60 * time.Second
	}
	rng := rand.New(rand.NewPCG(2026, 14))
	phase := time.Now()
	mark := func(name string) {
		st.Phases = append(st.Phases, fmt.Sprintf("%s %s", name, time.Since(phase).Round(10*time.Millisecond)))
		phase = time.Now()
	}
	today := calendar.ParisDate(o.Now)
	year := calendar.CurrentSchoolYear(today)
	y, err := db.CalendarYear(ctx, year)
	if err != nil {
		return st, err
	}
	var periods []string
	for _, p := range y.Periods() {
		periods = append(periods, p.ID)
	}

	// Sectors, schools, packs.
	for i := 1; i <= o.Sizes.Sectors; i++ {
		s := store.Sector{ID: fmt.Sprintf("secteur-%03d", i), Name: fmt.Sprintf("Circonscription %s %d", nationalCities[i%len(nationalCities)], i), PeriodCap: 2}
		if err := db.SaveSector(ctx, store.Actor{}, s); err != nil {
			return st, err
		}
	}
	schools := make([]store.School, o.Sizes.Schools)
	err = parallel(ctx, o.Workers, o.Sizes.Schools, func(i int) error {
		city := nationalCities[i%len(nationalCities)]
		lat, lon := 43.0+float64(i%97)*0.08, -1.0+float64(i%89)*0.09
		s := store.School{UAI: fmt.Sprintf("%07d%c", 9000000+i, 'A'+rune(i%26)),
			Name: fmt.Sprintf("ECOLE ELEMENTAIRE %s %d", nationalSchoolNames[i%len(nationalSchoolNames)], i/len(nationalSchoolNames)+1),
			Kind: "elementaire", City: city, SectorID: fmt.Sprintf("secteur-%03d", i%o.Sizes.Sectors+1),
			Latitude: &lat, Longitude: &lon}
		if i%7 == 0 {
			s.PriorityEducation = "REP"
		} else if i%19 == 0 {
			s.PriorityEducation = "REP+"
		}
		s.Site = s.Name
		var err error
		schools[i], err = db.CreateSchool(ctx, store.Actor{}, s)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("schools: %w", err)
	}
	st.Schools = len(schools)
	err = parallel(ctx, o.Workers, o.Sizes.Packs, func(i int) error {
		code := fmt.Sprintf("NAT-%04d", i+1)
		p := store.Pack{Code: code, Label: fmt.Sprintf("Classe mobile n° %d", i+1)}
		for t := 1; t <= 12; t++ {
			p.Items = append(p.Items, store.PackItem{Kind: store.ItemTablet, Label: fmt.Sprintf("Tablette %02d", t), Serial: fmt.Sprintf("%s-T%02d", code, t)})
		}
		p.Items = append(p.Items,
			store.PackItem{Kind: store.ItemChargingCase, Label: "Valise de recharge et de transport", Serial: code + "-VAL"},
			store.PackItem{Kind: store.ItemAccessPoint, Label: "Borne Wi-Fi mobile", Serial: code + "-AP"})
		_, err := db.CreatePack(ctx, store.Actor{}, p)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("packs: %w", err)
	}
	st.Packs = o.Sizes.Packs
	mark("schools and packs")

	// People: the town-wide roles, a director per school, a teacher per
	// request.
	staff := map[store.Role]store.User{}
	for _, u := range []store.User{
		{Email: "coordination@national.example.fr", Name: "Claire Morel", Role: store.RoleCoordinator},
		{Email: "dsi@national.example.fr", Name: "Karim Benali", Role: store.RoleIT},
		{Email: "ien@national.example.fr", Name: "Sophie Lambert", Role: store.RoleInspection},
		{Email: "education@national.example.fr", Name: "Marc Dubois", Role: store.RoleEducation},
	} {
		u, _, err := db.CreateUser(ctx, store.Actor{}, u)
		if err != nil {
			return st, err
		}
		staff[u.Role] = u
	}
	directors := make([]store.User, len(schools))
	err = parallel(ctx, o.Workers, len(schools), func(i int) error {
		u := store.User{Email: fmt.Sprintf("direction.%s@national.example.fr", strings.ToLower(schools[i].UAI)),
			Name: personName(i*7 + 3), Role: store.RoleDirector, SchoolUAI: schools[i].UAI}
		var err error
		directors[i], _, err = db.CreateUser(ctx, store.Actor{}, u)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("directors: %w", err)
	}
	// The states are dealt in proportion, then shuffled across schools.
	var states []store.RequestState
	for _, m := range nationalMix {
		for k := 0; k < o.Sizes.Requests*m.per/1000; k++ {
			states = append(states, m.state)
		}
	}
	for len(states) < o.Sizes.Requests {
		states = append(states, store.RequestValidated)
	}
	rng.Shuffle(len(states), func(i, j int) { states[i], states[j] = states[j], states[i] })
	teachers := make([]nationalTeacher, o.Sizes.Requests)
	err = parallel(ctx, o.Workers, o.Sizes.Requests, func(i int) error {
		school := schools[i%len(schools)]
		u := store.User{Email: fmt.Sprintf("enseignant.%05d@national.example.fr", i+1), Name: personName(i),
			Role: store.RoleTeacher, SchoolUAI: school.UAI}
		var err error
		teachers[i].user, _, err = db.CreateUser(ctx, store.Actor{}, u)
		teachers[i].school, teachers[i].state, teachers[i].seq = school, states[i], i
		return err
	})
	if err != nil {
		return st, fmt.Errorf("teachers: %w", err)
	}
	st.People = len(staff) + len(directors) + len(teachers)
	mark("people")

	// The requests, each driven through its journey by the right people.
	var mu sync.Mutex
	err = parallel(ctx, o.Workers, len(teachers), func(i int) error {
		t := teachers[i]
		if err := nationalRequest(ctx, db, t, year, periods, directors[t.seq%len(schools)], staff); err != nil {
			return fmt.Errorf("request of %s: %w", t.user.Email, err)
		}
		mu.Lock()
		st.ByState[t.state]++
		mu.Unlock()
		return nil
	})
	if err != nil {
		return st, err
	}
	mark("requests")

	// A published round of the year over the validated requests.
	coord := store.Actor{UserID: staff[store.RoleCoordinator].ID}
	r, err := round.Run(ctx, db, coord, round.Input{SchoolYear: year, Today: today, TimeLimit: o.RoundTimeLimit})
	if err != nil {
		return st, fmt.Errorf("round: %w", err)
	}
	if r, err = db.PublishRound(ctx, coord, r.ID); err != nil {
		return st, fmt.Errorf("publish round: %w", err)
	}
	st.RoundID, st.Loans, st.Unserved = r.ID, len(r.Loans), len(r.Unserved)
	mark("round")
	return st, nil
}

// personName returns a deterministic French name.
func personName(i int) string {
	return nationalFirstNames[i%len(nationalFirstNames)] + " " + nationalLastNames[(i/len(nationalFirstNames)+i)%len(nationalLastNames)]
}

// nationalRequest files one teacher's request and drives it to its state.
func nationalRequest(ctx context.Context, db *store.DB, t nationalTeacher, year string, periods []string,
	director store.User, staff map[store.Role]store.User) error {
	p := demoProjects[t.seq%len(demoProjects)]
	levels := [][]string{{"CP"}, {"CE1"}, {"CE2"}, {"CM1"}, {"CM2"}, {"CE2", "CM1"}, {"CM1", "CM2"}}[t.seq%7]
	pupils := 18 + t.seq%12
	q := store.Request{SchoolYear: year, SchoolUAI: t.school.UAI, TeacherID: t.user.ID, ClassLevels: levels,
		Pupils: pupils, Title: p.title, Motivation: p.motivation, CurriculumLinks: p.curriculum,
		SchoolProjectLinks: p.schoolProject, Coherence: p.coherence, DigitalSkills: p.skills,
		Commitments:      store.Commitments{SecureUse: true, Visits: true, ParentsInformed: true, Feedback: true},
		Logistics:        store.Logistics{SecureStorage: true, ClassroomWifi: t.seq%5 != 0, Printing: t.seq%2 == 0},
		Training:         store.Training{Status: store.TrainingNotPlanned},
		PreferredPeriods: []string{periods[t.seq%len(periods)]}, ExcludedPeriods: []string{},
		ExtensionWeeks: []int{0, 0, 0, 2, 6}[t.seq%5]}
	ta, da := store.Actor{UserID: t.user.ID}, store.Actor{UserID: director.ID}
	q, err := db.CreateRequest(ctx, ta, q)
	if err != nil || t.state == store.RequestDraft {
		return err
	}
	if q, err = db.SubmitRequest(ctx, ta, q.ID, q.Version); err != nil || t.state == store.RequestSubmitted {
		return err
	}
	if t.state == store.RequestWithdrawn {
		_, err = db.WithdrawRequest(ctx, ta, q.ID, q.Version, "Changement d'école à la rentrée.")
		return err
	}
	if q, err = db.AuthorizeRequest(ctx, da, q.ID, q.Version); err != nil || t.state == store.RequestAuthorised {
		return err
	}
	roles := store.ReferentRoles
	if t.state == store.RequestInReview {
		roles = roles[:1+t.seq%2] // in review: one or two opinions given
	}
	for _, role := range roles {
		verdict := store.OpinionFavourable
		if t.state == store.RequestRejected && role == store.RoleInspection {
			verdict = store.OpinionUnfavourable
		}
		o := store.Opinion{Role: role, Verdict: verdict, Comment: "Avis donné pour le jeu de données national."}
		if q, err = db.SetRequestOpinion(ctx, store.Actor{UserID: staff[role].ID}, q.ID, q.Version, o); err != nil {
			return err
		}
	}
	if t.state == store.RequestInReview {
		return nil
	}
	reason := "Projet retenu par le comité de pilotage."
	if t.state == store.RequestRejected {
		reason = "Projet trop peu détaillé sur l'usage en classe."
	}
	_, err = db.DecideRequest(ctx, store.Actor{UserID: staff[store.RoleCoordinator].ID}, q.ID, q.Version, t.state, reason)
	return err
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error; the others stop taking work after it.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
	func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return context.Cause(ctx)
}

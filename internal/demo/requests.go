package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// demoProject is a realistic project text, reused by several classes.
type demoProject struct {
	title, motivation, curriculum, schoolProject, coherence, skills string
}

var demoProjects = []demoProject{
	{"Webradio de l'école : les élèves journalistes",
		"Donner aux élèves l'envie de s'exprimer à l'oral et d'écrire pour être écoutés ; valoriser la parole des élèves allophones.",
		"Français : langage oral, écriture de textes courts ; EMC : débat réglé.",
		"Axe 1 du projet d'école : maîtrise de la langue orale et écrite.",
		"Prolonge le partenariat avec la médiathèque Colette et la semaine de la presse à l'école.",
		"Enregistrer et monter un son, respecter le droit à l'image et à la voix, publier sur l'ENT."},
	{"Carnet de voyage numérique sur le patrimoine d'Épinay",
		"Faire découvrir aux élèves l'histoire de leur ville (bords de Seine, studios Éclair) par l'enquête et la photographie.",
		"Histoire-géographie : se repérer dans le temps et l'espace ; arts plastiques : la photographie.",
		"Axe 3 : ouverture culturelle et connaissance de l'environnement proche.",
		"En lien avec la sortie aux archives municipales et le parcours d'éducation artistique et culturelle.",
		"Prendre et légender des photos, mettre en page un livre numérique, citer ses sources."},
	{"Programmer des robots : premiers pas en algorithmique",
		"Développer le raisonnement et la persévérance par des défis de programmation en équipe.",
		"Mathématiques : espace et géométrie, repérage et déplacements ; sciences et technologie.",
		"Axe 2 : résolution de problèmes et travail coopératif.",
		"Suite du défi robotique de circonscription auquel l'école participe depuis deux ans.",
		"Écrire une suite d'instructions, tester et corriger un programme, utiliser un langage par blocs."},
	{"Livre numérique bilingue avec les familles",
		"Associer les familles à la scolarité en créant un album illustré dans les langues parlées à la maison.",
		"Français langue de scolarisation ; langues vivantes : éveil aux langues.",
		"Axe 4 : relations école-familles et accueil des élèves allophones.",
		"Complète les cafés des parents organisés par l'école et l'action « Ouvrir l'école aux parents ».",
		"Enregistrer une lecture, illustrer, assembler un livre numérique sonore."},
	{"Stop-motion : raconter une fable de La Fontaine",
		"Comprendre et réécrire une fable en la mettant en scène image par image.",
		"Français : lecture et compréhension, réécriture ; arts plastiques : narration visuelle.",
		"Axe 1 : lecture-compréhension et production d'écrits.",
		"Restitution prévue lors de la fête de l'école et du festival de cinéma scolaire.",
		"Réaliser une animation image par image, sonoriser, travailler le cadrage."},
	{"Le potager en images : suivre la croissance des plantes",
		"Observer le vivant dans la durée grâce à des relevés photographiques et des mesures régulières.",
		"Sciences : le vivant, son évolution ; mathématiques : grandeurs et mesures, graphiques.",
		"Axe 3 : éducation au développement durable (label E3D).",
		"En lien avec le jardin pédagogique animé par le service des espaces verts.",
		"Photographier, relever des mesures dans un tableur, construire un graphique."},
	{"Géométrie dynamique et résolution de problèmes",
		"Manipuler les figures pour comprendre les propriétés plutôt que les apprendre par cœur.",
		"Mathématiques : espace et géométrie, résolution de problèmes.",
		"Axe 2 : améliorer les résultats en mathématiques (évaluations nationales).",
		"Cohérent avec le plan mathématiques de circonscription et les constellations.",
		"Utiliser un logiciel de géométrie dynamique, expliquer une démarche par capture d'écran."},
	{"Kamishibaï numérique pour apprendre à lire",
		"Motiver les lecteurs débutants en les faisant raconter des histoires à d'autres classes.",
		"Français : lecture à voix haute, compréhension ; langage oral.",
		"Axe 1 : apprentissage de la lecture au cycle 2.",
		"Liaison GS-CP : les CP racontent aux élèves de maternelle voisine.",
		"Enregistrer sa voix, s'écouter pour progresser, illustrer une planche."},
	{"Éducation aux médias : vrai ou faux ?",
		"Apprendre à repérer les fausses informations et à vérifier une source.",
		"EMC : esprit critique ; français : lecture de documents variés.",
		"Axe 4 : citoyenneté et usage responsable d'internet.",
		"Dans la continuité du permis internet délivré en CM2 avec la police municipale.",
		"Rechercher et vérifier une information, identifier une source, publier un article."},
	{"Correspondance vidéo avec une école irlandaise",
		"Donner du sens à l'apprentissage de l'anglais par des échanges réguliers avec des élèves du même âge.",
		"Langues vivantes : anglais, comprendre et parler en interaction.",
		"Axe 3 : ouverture à l'international (projet eTwinning).",
		"Le projet eTwinning de l'école est engagé depuis la rentrée.",
		"Préparer une courte vidéo, échanger en visioconférence, respecter les règles de publication."},
	{"Imagiers photographiés en grande section",
		"Enrichir le vocabulaire des élèves en créant des imagiers à partir de leurs propres photos.",
		"Maternelle : mobiliser le langage dans toutes ses dimensions ; explorer le monde.",
		"Axe 1 : langage et vocabulaire à l'école maternelle.",
		"Prolonge le travail sur les albums et les sorties au marché du centre-ville.",
		"Prendre une photo, enregistrer un mot, naviguer dans un imagier."},
	{"Cartographie du quartier et des lieux publics",
		"Faire connaître aux élèves les services publics de leur quartier et leur rôle de citoyen.",
		"Géographie : habiter un espace ; EMC : les institutions et la vie publique.",
		"Axe 4 : parcours citoyen.",
		"En lien avec le conseil municipal des enfants et la visite de la mairie.",
		"Lire et compléter une carte numérique, géolocaliser une photo, présenter un exposé."},
}

// demoRequest describes one demo request and where it stands.
type demoRequest struct {
	school  int    // index in d.schools
	teacher string // "Prénom Nom"
	levels  []string
	pupils  int
	project int
	state   store.RequestState
	// earlier is the number of earlier school years of participation of
	// the teacher at the school (1: second year, 2: third year).
	earlier          int
	preferred        []string
	excluded         []string
	extension        int
	training         string // "", "planned:YYYY-MM-DD" or "done:YYYY-MM-DD"
	otherScheme      bool
	verdicts         string // one letter per referent (inspection, it, education): f, r, u or - (none)
	reason           string // refusal, rejection or withdrawal reason
	refused          bool   // refused once by the director before
	packs            int    // coordinator override (0: computed)
	packsReason      string
	decidedByCoord   bool
	noSecureStorage  bool // a draft still lacking the storage
	missingFeedback  bool // a draft still lacking a commitment
	extraMotivation  string
	classroomNoWifi  bool
	printingRequired bool
}

// demoRequests are about 35 requests of the current school year across the
// 15 schools, in every state.
var demoRequests = []demoRequest{
	// Validated (12).
	{school: 0, teacher: "Julien Martin", levels: []string{"CM1"}, pupils: 26, project: 0, state: store.RequestValidated, earlier: 1, preferred: []string{"P4"}, excluded: []string{"P5"}, extension: 2, training: "done:2026-10-07", verdicts: "fff"},
	{school: 1, teacher: "Amélie Rousseau", levels: []string{"CE2"}, pupils: 22, project: 1, state: store.RequestValidated, preferred: []string{"P3", "P4"}, training: "done:2026-10-14", verdicts: "fff"},
	{school: 2, teacher: "Mehdi Benaïssa", levels: []string{"CM2"}, pupils: 25, project: 2, state: store.RequestValidated, earlier: 1, preferred: []string{"P2", "P3"}, extension: 6, training: "planned:2026-12-09", verdicts: "frf"},
	{school: 3, teacher: "Sandrine Lefèvre", levels: []string{"CP"}, pupils: 18, project: 7, state: store.RequestValidated, preferred: []string{"P4"}, excluded: []string{"P1"}, training: "done:2026-11-18", verdicts: "fff"},
	{school: 4, teacher: "Thomas Nguyen", levels: []string{"CM1", "CM2"}, pupils: 27, project: 8, state: store.RequestValidated, preferred: []string{"P5"}, extension: 2, training: "planned:2027-01-13", verdicts: "ffr", decidedByCoord: true},
	{school: 5, teacher: "Fatoumata Diallo", levels: []string{"UPE2A"}, pupils: 12, project: 3, state: store.RequestValidated, preferred: []string{"P3"}, training: "done:2026-10-07", verdicts: "fff"},
	{school: 7, teacher: "Nicolas Petit", levels: []string{"CE1", "CE2"}, pupils: 20, project: 4, state: store.RequestValidated, earlier: 1, preferred: []string{"P4", "P5"}, packs: 2, packsReason: "Classe à double niveau travaillant en deux groupes simultanés.", training: "done:2026-11-18", verdicts: "fff"},
	{school: 9, teacher: "Camille Girard", levels: []string{"CM2"}, pupils: 28, project: 9, state: store.RequestValidated, preferred: []string{"P2"}, excluded: []string{"P5"}, training: "done:2026-10-14", verdicts: "frf", otherScheme: true},
	{school: 10, teacher: "Yasmine Haddou", levels: []string{"CE1"}, pupils: 21, project: 5, state: store.RequestValidated, preferred: []string{"P5"}, extension: 6, training: "planned:2027-01-13", verdicts: "fff"},
	{school: 12, teacher: "Pierre Moreau", levels: []string{"CM1"}, pupils: 24, project: 6, state: store.RequestValidated, preferred: []string{"P3", "P4"}, training: "", verdicts: "ff-", decidedByCoord: true},
	{school: 13, teacher: "Léa Fontaine", levels: []string{"CE2", "CM1"}, pupils: 25, project: 11, state: store.RequestValidated, earlier: 1, preferred: []string{"P4"}, training: "done:2026-10-07", verdicts: "fff"},
	{school: 14, teacher: "Karima Ziani", levels: []string{"CM2"}, pupils: 26, project: 3, state: store.RequestValidated, preferred: []string{"P2", "P4"}, excluded: []string{"P3"}, extension: 2, training: "done:2026-11-18", verdicts: "fff"},
	// In review (7).
	{school: 0, teacher: "Hélène Bernard", levels: []string{"CE1"}, pupils: 23, project: 5, state: store.RequestInReview, preferred: []string{"P4"}, training: "planned:2026-12-09", verdicts: "f--"},
	{school: 6, teacher: "Olivier Lambert", levels: []string{"CM1"}, pupils: 25, project: 2, state: store.RequestInReview, earlier: 2, preferred: []string{"P3"}, training: "done:2026-10-14", verdicts: "ff-"},
	{school: 8, teacher: "Aïcha Traoré", levels: []string{"CP"}, pupils: 17, project: 7, state: store.RequestInReview, preferred: []string{"P5"}, verdicts: "-r-", classroomNoWifi: true},
	{school: 11, teacher: "Vincent Roux", levels: []string{"CM2"}, pupils: 27, project: 8, state: store.RequestInReview, earlier: 1, preferred: []string{"P4", "P5"}, training: "planned:2027-01-13", verdicts: "fff"},
	{school: 3, teacher: "Nathalie Blanc", levels: []string{"GS"}, pupils: 24, project: 10, state: store.RequestInReview, preferred: []string{"P3"}, verdicts: "rf-"},
	{school: 5, teacher: "Sébastien Dupuis", levels: []string{"CE2"}, pupils: 22, project: 1, state: store.RequestInReview, preferred: []string{"P5"}, excluded: []string{"P4"}, verdicts: "-f-", otherScheme: true},
	{school: 12, teacher: "Inès Mokrani", levels: []string{"ULIS"}, pupils: 11, project: 3, state: store.RequestInReview, preferred: []string{"P4"}, training: "done:2026-11-18", verdicts: "f-f"},
	// Authorised (4).
	{school: 2, teacher: "Audrey Marchand", levels: []string{"CE1"}, pupils: 21, project: 4, state: store.RequestAuthorised, preferred: []string{"P5"}},
	{school: 7, teacher: "Romain Chevalier", levels: []string{"CM1"}, pupils: 26, project: 9, state: store.RequestAuthorised, earlier: 1, preferred: []string{"P3", "P4"}, training: "planned:2027-01-13"},
	{school: 10, teacher: "Samira Belkacem", levels: []string{"CP", "CE1"}, pupils: 19, project: 7, state: store.RequestAuthorised, preferred: []string{"P4"}},
	{school: 14, teacher: "Guillaume Perrin", levels: []string{"CM2"}, pupils: 25, project: 11, state: store.RequestAuthorised, earlier: 2, preferred: []string{"P5"}, training: "done:2026-10-07"},
	// Submitted (4).
	{school: 1, teacher: "Mélanie Gauthier", levels: []string{"CM1"}, pupils: 24, project: 6, state: store.RequestSubmitted, preferred: []string{"P4"}},
	{school: 4, teacher: "Abdel Kader Saïdi", levels: []string{"CE2"}, pupils: 23, project: 0, state: store.RequestSubmitted, preferred: []string{"P3", "P5"}, refused: true, reason: "Merci de préciser l'organisation des groupes et l'horaire des séances."},
	{school: 9, teacher: "Claire Robin", levels: []string{"GS"}, pupils: 26, project: 10, state: store.RequestSubmitted, preferred: []string{"P5"}, printingRequired: true},
	{school: 13, teacher: "François Mercier", levels: []string{"CM2"}, pupils: 28, project: 8, state: store.RequestSubmitted, earlier: 1, preferred: []string{"P4"}},
	// Drafts (4), one refused back to draft.
	{school: 6, teacher: "Laura Faure", levels: []string{"CE1"}, pupils: 22, project: 4, state: store.RequestDraft, preferred: []string{"P5"}, missingFeedback: true},
	{school: 8, teacher: "Sofiane Amrani", levels: []string{"CM1", "CM2"}, pupils: 25, project: 2, state: store.RequestDraft, noSecureStorage: true},
	{school: 11, teacher: "Émilie Garnier", levels: []string{"CP"}, pupils: 16, project: 7, state: store.RequestDraft, preferred: []string{"P4"}, refused: true, reason: "Le projet doit être présenté en conseil des maîtres avant autorisation."},
	{school: 3, teacher: "Marc-Antoine Leroy", levels: []string{"CM2"}, pupils: 27, project: 9, state: store.RequestDraft, preferred: []string{"P3"}},
	// Rejected (3): one for a third year.
	{school: 1, teacher: "Christine Dumont", levels: []string{"CM1"}, pupils: 25, project: 0, state: store.RequestRejected, earlier: 2, preferred: []string{"P4"}, verdicts: "fff", reason: "Troisième année de participation : le dispositif est limité à deux années."},
	{school: 5, teacher: "David Lemoine", levels: []string{"CE2"}, pupils: 24, project: 6, state: store.RequestRejected, preferred: []string{"P5"}, verdicts: "uru", reason: "Projet sans lien explicite avec le projet d'école ; à retravailler pour l'an prochain.", otherScheme: true},
	{school: 10, teacher: "Nadia Kaci", levels: []string{"CM1"}, pupils: 23, project: 11, state: store.RequestRejected, verdicts: "fu-", reason: "Réseau Wi-Fi de l'école insuffisant pour la période demandée (travaux de la DSI en cours)."},
	// Withdrawn (1).
	{school: 12, teacher: "Jérôme Carpentier", levels: []string{"CE1"}, pupils: 20, project: 5, state: store.RequestWithdrawn, preferred: []string{"P3"}, reason: "Départ de l'enseignant en formation de longue durée en janvier."},
}

// demoOpinionComments are the referents' comments per verdict.
var demoOpinionComments = map[store.Role]map[store.OpinionVerdict]string{
	store.RoleInspection: {
		store.OpinionFavourable:   "Objectifs d'apprentissage clairs et inscrits dans les programmes.",
		store.OpinionReserved:     "Préciser l'évaluation des apprentissages et le rôle de l'intervenant.",
		store.OpinionUnfavourable: "Le lien avec les programmes et le projet d'école n'est pas établi.",
	},
	store.RoleIT: {
		store.OpinionFavourable:   "Salle couverte par le Wi-Fi, armoire de recharge en place : faisable.",
		store.OpinionReserved:     "Couverture Wi-Fi faible dans la classe : prévoir la borne mobile du pack.",
		store.OpinionUnfavourable: "Pas de réseau exploitable dans le bâtiment avant les travaux.",
	},
	store.RoleEducation: {
		store.OpinionFavourable:   "Projet cohérent avec les actions de la ville dans l'école.",
		store.OpinionReserved:     "Vérifier le calendrier avec les autres projets de l'école.",
		store.OpinionUnfavourable: "L'école bénéficie déjà de plusieurs dispositifs cette année.",
	},
}

var demoVerdicts = map[byte]store.OpinionVerdict{'f': store.OpinionFavourable, 'r': store.OpinionReserved, 'u': store.OpinionUnfavourable}

// demoDirectors names the directors of the schools, in CSV order (the
// first school's director comes from the users step).
var demoDirectors = []string{"", "Philippe Garcia", "Sylvie Renaud", "Karim Meziane", "Isabelle Caron", "Bruno Lemaire",
	"Véronique Adam", "Malika Cherif", "Stéphane Roche", "Patricia Colin", "Hervé Brunet", "Dominique Barbier",
	"Rachid Bensalem", "Anne-Sophie Vidal", "Laurent Guerin"}

// asciiFold maps the accented letters of the demo names to ASCII.
var asciiFold = strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ï", "i", "î", "i",
	"ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c")

// emailLocal turns "Amélie Rousseau" into "amelie.rousseau".
func emailLocal(name string) string {
	var b strings.Builder
	for _, r := range asciiFold.Replace(strings.ToLower(name)) {
		switch {
		case r == ' ':
			b.WriteByte('.')
		case r >= 'a' && r <= 'z', r == '-':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// seedDemoRequests adds a director per school, one teacher per request,
// their earlier participations, and the requests driven through the
// workflow by the right people.
func seedDemoRequests(ctx context.Context, d *demo) error {
	year := calendar.CurrentSchoolYear(calendar.ParisDate(d.now))
	start := 0
	fmt.Sscanf(year, "%d-", &start)
	for i, s := range d.schools {
		key := "director:" + s.UAI
		if _, ok := d.users[key]; ok || i >= len(demoDirectors) {
			continue
		}
		u := store.User{Email: "direction." + strings.ToLower(s.UAI) + "@demo.epinay.fr",
			Name: demoDirectors[i] + " (direction)", Role: store.RoleDirector, SchoolUAI: s.UAI}
		if err := d.addUser(ctx, key, u); err != nil {
			return err
		}
	}
	coord, insp := d.users["coordinator"], d.users["inspection"]
	referents := map[store.Role]store.User{store.RoleInspection: insp, store.RoleIT: d.users["it"], store.RoleEducation: d.users["education"]}
	perSchool := map[string]int{}
	// The earlier participations are recorded at the demo's time.
	atNow := d.db.WithClock(func() time.Time { return d.now })
	for _, spec := range demoRequests {
		if spec.school >= len(d.schools) {
			continue
		}
		school := d.schools[spec.school]
		perSchool[school.UAI]++
		key := fmt.Sprintf("teacher:%s:%d", school.UAI, perSchool[school.UAI])
		teacher, ok := d.users[key]
		if !ok {
			u := store.User{Email: emailLocal(spec.teacher) + "@demo.epinay.fr",
				Name: spec.teacher + " (" + strings.Join(spec.levels, "-") + ")", Role: store.RoleTeacher, SchoolUAI: school.UAI}
			if err := d.addUser(ctx, key, u); err != nil {
				return err
			}
			teacher = d.users[key]
		}
		for k := 1; k <= spec.earlier; k++ {
			if err := atNow.RecordEarlierParticipation(ctx, teacher.ID, school.UAI, calendar.YearName(start-k), "demo"); err != nil {
				return err
			}
		}
		if err := seedDemoRequest(ctx, d, spec, year, school, teacher, d.users["director:"+school.UAI], referents, coord); err != nil {
			return fmt.Errorf("request of %s: %w", spec.teacher, err)
		}
	}
	return nil
}

func seedDemoRequest(ctx context.Context, d *demo, spec demoRequest, year string, school store.School,
	teacher, director store.User, referents map[store.Role]store.User, coord store.User) error {
	p := demoProjects[spec.project%len(demoProjects)]
	q := store.Request{SchoolYear: year, SchoolUAI: school.UAI, TeacherID: teacher.ID, ClassLevels: spec.levels,
		Pupils: spec.pupils, Title: p.title, Motivation: p.motivation + spec.extraMotivation,
		CurriculumLinks: p.curriculum, SchoolProjectLinks: p.schoolProject, Coherence: p.coherence, DigitalSkills: p.skills,
		Commitments: store.Commitments{SecureUse: true, Visits: true, ParentsInformed: true, Feedback: !spec.missingFeedback},
		Logistics: store.Logistics{SecureStorage: !spec.noSecureStorage, ClassroomWifi: !spec.classroomNoWifi,
			Printing: spec.printingRequired || spec.pupils%2 == 0, Backups: spec.project%3 == 0},
		OtherPartnerScheme: spec.otherScheme, Training: store.Training{Status: store.TrainingNotPlanned},
		PreferredPeriods: orEmpty(spec.preferred), ExcludedPeriods: orEmpty(spec.excluded), ExtensionWeeks: spec.extension}
	if status, date, ok := strings.Cut(spec.training, ":"); ok {
		dd, err := calendar.ParseDate(date)
		if err != nil {
			return err
		}
		q.Training = store.Training{Status: map[string]store.TrainingStatus{"planned": store.TrainingPlanned, "done": store.TrainingDone}[status], Date: &dd}
	}
	ta, da, ca := store.Actor{UserID: teacher.ID}, store.Actor{UserID: director.ID}, store.Actor{UserID: coord.ID}
	q, err := d.db.CreateRequest(ctx, ta, q)
	if err != nil {
		return err
	}
	if spec.refused {
		if q, err = d.db.SubmitRequest(ctx, ta, q.ID, q.Version); err != nil {
			return err
		}
		if q, err = d.db.RefuseRequest(ctx, da, q.ID, q.Version, spec.reason); err != nil {
			return err
		}
	}
	switch spec.state {
	case store.RequestDraft:
		return nil
	case store.RequestWithdrawn:
		if q, err = d.db.SubmitRequest(ctx, ta, q.ID, q.Version); err != nil {
			return err
		}
		_, err = d.db.WithdrawRequest(ctx, ta, q.ID, q.Version, spec.reason)
		return err
	}
	if q, err = d.db.SubmitRequest(ctx, ta, q.ID, q.Version); err != nil || spec.state == store.RequestSubmitted {
		return err
	}
	if q, err = d.db.AuthorizeRequest(ctx, da, q.ID, q.Version); err != nil || spec.state == store.RequestAuthorised {
		return err
	}
	if spec.packs > 0 {
		if q, err = d.db.OverrideRequestPacks(ctx, ca, q.ID, q.Version, spec.packs, spec.packsReason); err != nil {
			return err
		}
	}
	for i, role := range store.ReferentRoles {
		v, ok := demoVerdicts[spec.verdicts[i]]
		if !ok {
			continue
		}
		o := store.Opinion{Role: role, Verdict: v, Comment: demoOpinionComments[role][v]}
		if q, err = d.db.SetRequestOpinion(ctx, store.Actor{UserID: referents[role].ID}, q.ID, q.Version, o); err != nil {
			return err
		}
	}
	if spec.state == store.RequestInReview {
		return nil
	}
	decider := store.Actor{UserID: referents[store.RoleInspection].ID}
	if spec.decidedByCoord {
		decider = ca
	}
	reason := spec.reason
	if spec.state == store.RequestValidated && reason == "" {
		reason = "Projet retenu par le comité de pilotage."
	}
	override := ""
	if len(q.Opinions) < len(store.ReferentRoles) {
		// The steering committee decided without every opinion: the
		// coordinator records why.
		decider, override = ca, "Décision du comité de pilotage sans attendre tous les avis (calendrier serré)."
	}
	_, err = d.db.DecideRequestOverride(ctx, decider, q.ID, q.Version, spec.state, reason, override)
	return err
}

func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

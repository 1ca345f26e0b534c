package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestParseRoles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		give        string
		wantRoles   []store.Role
		wantUnknown []string
	}{
		{name: "english", give: "teacher", wantRoles: []store.Role{store.RoleTeacher}},
		{name: "french with accents and case", give: "Professeure des Écoles", wantRoles: []store.Role{store.RoleTeacher}},
		{name: "several with comma", give: "directrice, enseignante", wantRoles: []store.Role{store.RoleDirector, store.RoleTeacher}},
		{name: "several with pipe", give: "DSI|coordination", wantRoles: []store.Role{store.RoleCoordinator, store.RoleIT}},
		{name: "repeat", give: "directeur|director", wantRoles: []store.Role{store.RoleDirector}},
		{name: "education accent", give: "Éducation", wantRoles: []store.Role{store.RoleEducation}},
		{name: "unknown", give: "enseignant, roi", wantRoles: []store.Role{store.RoleTeacher}, wantUnknown: []string{"roi"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			roles, unknown := store.ParseRoles(tt.give)
			assert.Equal(t, tt.wantRoles, roles)
			assert.Equal(t, tt.wantUnknown, unknown)
		})
	}
}

// importFixture creates two schools and two people for the import tests.
func importFixture(t *testing.T, db *store.DB) (a, b store.School, julie store.User) {
	t.Helper()
	a = storetest.School(t, db, &storetest.SchoolOpts{UAI: "0931280L", Name: "ECOLE ELEMENTAIRE ALEXANDRE DUMAS"})
	b = storetest.School(t, db, &storetest.SchoolOpts{UAI: "0930399D", Name: "ECOLE ELEMENTAIRE ANATOLE FRANCE"})
	julie, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: a.UAI, Email: "julie.petit@example.fr", Name: "Julie Petit"})
	storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT, Email: "dsi@example.fr", Name: "Karim Benali"})
	return a, b, julie
}

func TestPeopleImportRefusesAFileWithErrors(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		importFixture(t, db)
		file := "e-mail;nom;rôle(s);UAI\n" +
			"nouveau@example.fr;Paul Nouveau;enseignant;0931280L\n" + // fine
			"pas-une-adresse;Marie Sans;enseignante;0931280L\n" + // bad e-mail
			"roi@example.fr;Louis Roi;roi;\n" + // unknown role
			"perdu@example.fr;Anne Perdue;directrice;0939999Z\n" + // unknown UAI
			"sans.ecole@example.fr;Léa Sans École;enseignant;\n" + // school missing
			"trois@example.fr;Trois;enseignant\n" + // 3 columns
			"nouveau@example.fr;Paul Bis;enseignant;0931280L\n" // duplicate
		before := countUsers(t, db)

		p, err := db.PreviewPeopleImport(ctx, []byte(file))
		require.NoError(t, err)
		assert.False(t, p.OK())
		var got []string
		for _, e := range p.Errors {
			got = append(got, e.String())
		}
		assert.Equal(t, []string{
			"ligne 3 : « pas-une-adresse » n'est pas une adresse e-mail valide",
			"ligne 4 : rôle inconnu : « roi » (rôles possibles : enseignant, directeur, DSI, inspection, éducation, coordination)",
			"ligne 5 : UAI inconnu : aucune école n'a le code 0939999Z",
			"ligne 6 : école manquante : le rôle enseignant(e) demande le code UAI d'une école",
			"ligne 7 : 3 colonnes au lieu de 4 (e-mail ; nom ; rôle(s) ; UAI de l'école)",
			"ligne 8 : l'adresse nouveau@example.fr figure déjà ligne 2",
		}, got, "every error, line by line, in French")
		assert.Equal(t, "Fichier refusé : 6 lignes en erreur, rien n'a été modifié.", p.Summary())

		p, err = db.ApplyPeopleImport(ctx, store.Actor{}, []byte(file))
		require.NoError(t, err)
		assert.False(t, p.Applied, "a file with errors is not applied")
		assert.Len(t, p.Errors, 6)
		assert.Equal(t, before, countUsers(t, db), "nothing changed, not even the correct line")
		_, err = db.PersonByEmail(ctx, "nouveau@example.fr")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestPeopleImportAppliesOnceThenChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b, julie := importFixture(t, db)
		// A spreadsheet export: BOM, CRLF, a header, spaces, mixed case,
		// French roles, trailing separators.
		file := "\ufeffCourriel;Nom;Rôle;UAI\r\n" +
			"Paul.Nouveau@Example.fr ; Paul  Nouveau ; Professeur des écoles ; 0931280l;;\r\n" +
			"julie.petit@example.fr;Julie Petit;directrice|enseignante;0930399D\r\n" +
			"dsi@example.fr;Karim Benali;DSI;\r\n" +
			"\r\n" +
			"ien@example.fr;Sophie Lambert;inspectrice;\r\n"

		p, err := db.PreviewPeopleImport(ctx, []byte(file))
		require.NoError(t, err)
		require.True(t, p.OK(), "errors: %v", p.Errors)
		require.Len(t, p.Lines, 4)
		assert.Equal(t, store.ImportLine{Line: 2, Action: store.ImportCreate, SchoolName: a.Name,
			Person: store.PersonInput{Email: "paul.nouveau@example.fr", Name: "Paul Nouveau", Roles: []store.Role{store.RoleTeacher}, SchoolUAI: a.UAI}},
			p.Lines[0])
		assert.Equal(t, store.ImportUpdate, p.Lines[1].Action)
		assert.Equal(t, julie.ID, p.Lines[1].UserID)
		assert.Equal(t, []string{
			"rôles : enseignant(e) → direction d'école, enseignant(e)",
			"école : ECOLE ELEMENTAIRE ALEXANDRE DUMAS (0931280L) → ECOLE ELEMENTAIRE ANATOLE FRANCE (0930399D)",
		}, p.Lines[1].Changes)
		assert.Equal(t, store.ImportUnchanged, p.Lines[2].Action)
		assert.Equal(t, store.ImportCreate, p.Lines[3].Action)
		assert.Equal(t, 6, p.Lines[3].Line, "line numbers count the blank line")
		assert.Equal(t, "2 personnes à créer, 1 modifiée, 1 inchangée.", strings.Replace(p.Summary(), "1 à modifier", "1 modifiée", 1))
		before := countUsers(t, db)
		preview, err := db.PreviewPeopleImport(ctx, []byte(file))
		require.NoError(t, err)
		assert.Equal(t, p, preview, "a preview writes nothing")
		assert.Equal(t, before, countUsers(t, db))

		p, err = db.ApplyPeopleImport(ctx, store.Actor{}, []byte(file))
		require.NoError(t, err)
		assert.True(t, p.Applied)
		assert.Equal(t, "2 personnes créées, 1 modifiée, 1 inchangée.", p.Summary())
		assert.Equal(t, before+2, countUsers(t, db))
		paul, err := db.PersonByEmail(ctx, "paul.nouveau@example.fr")
		require.NoError(t, err)
		assert.Equal(t, "Paul Nouveau", paul.Name)
		assert.Equal(t, a.UAI, paul.SchoolUAI)
		assert.Equal(t, 0, paul.ActiveTokens, "imported people sign in by e-mail link; no API token")
		j, err := db.PersonByEmail(ctx, "julie.petit@example.fr")
		require.NoError(t, err)
		assert.Equal(t, store.RoleDirector, j.Role, "the primary role")
		assert.Equal(t, b.UAI, j.SchoolUAI)
		assert.Equal(t, []store.UserRole{{Role: store.RoleDirector, SchoolUAI: b.UAI}, {Role: store.RoleTeacher, SchoolUAI: b.UAI}}, j.Roles)
		trail, err := db.AuditTrail(ctx, "user", julie.ID)
		require.NoError(t, err)
		assert.Equal(t, "user.import.update", trail[len(trail)-1].Action, "the change is audit-logged")

		// The same file again changes nothing.
		trailLen := len(trail)
		p, err = db.ApplyPeopleImport(ctx, store.Actor{}, []byte(file))
		require.NoError(t, err)
		assert.Equal(t, 0, p.Created+p.Updated, "second apply: %s", p.Summary())
		assert.Equal(t, 4, p.Unchanged)
		assert.Equal(t, before+2, countUsers(t, db))
		trail, err = db.AuditTrail(ctx, "user", julie.ID)
		require.NoError(t, err)
		assert.Len(t, trail, trailLen, "no audit event when nothing changes")
	})
}

func TestPeopleImportFormats(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		importFixture(t, db)
		for _, tt := range []struct {
			name    string
			give    string
			wantErr string
		}{
			{name: "comma separated", give: "a@example.fr,A,enseignant,0931280L\n", wantErr: "ligne 1 : séparateur attendu : « ; » (point-virgule), pas la virgule"},
			{name: "latin-1", give: "a@example.fr;H\xe9l\xe8ne;DSI;\n", wantErr: "ligne 1 : caractères illisibles : enregistrez le fichier en UTF-8"},
			{name: "empty", give: "\ufeffe-mail;nom;rôle;uai\n\n", wantErr: "ligne 0 : fichier vide : aucune personne à importer"},
			{name: "school for a town role", give: "a@example.fr;A;DSI;0931280L\n", wantErr: "ligne 1 : le rôle DSI n'est pas rattaché à une école : laissez le code UAI vide"},
			{name: "control character", give: "a@example.fr;A\x07B;DSI;\n", wantErr: "ligne 1 : le nom contient des caractères de contrôle"},
			{name: "no name", give: "a@example.fr; ;DSI;\n", wantErr: "ligne 1 : nom manquant"},
			{name: "malformed UAI", give: "a@example.fr;A;enseignant;12\n", wantErr: "ligne 1 : « 12 » n'est pas un code UAI (7 chiffres et une lettre)"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p, err := db.PreviewPeopleImport(ctx, []byte(tt.give))
				require.NoError(t, err)
				require.NotEmpty(t, p.Errors)
				assert.Equal(t, tt.wantErr, p.Errors[0].String())
			})
		}
	})
}

func TestPeopleAdministration(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b, _ := importFixture(t, db)
		coord, _ := storetest.User(t, db, nil)
		actor := store.Actor{UserID: coord.ID}

		p, err := db.InvitePerson(ctx, actor, store.PersonInput{Email: " Nadia.Haddad@Example.fr", Name: "Nadia Haddad",
			Roles: []store.Role{store.RoleDirector}, SchoolUAI: a.UAI})
		require.NoError(t, err)
		assert.Equal(t, "nadia.haddad@example.fr", p.Email)
		assert.Equal(t, a.Name, p.SchoolName)

		_, err = db.InvitePerson(ctx, actor, store.PersonInput{Email: "nadia.haddad@example.fr", Name: "Autre", Roles: []store.Role{store.RoleIT}})
		pe, ok := store.AsRule(err)
		require.True(t, ok, "a rule error: %v", err)
		assert.Equal(t, "email_taken", pe.Code)
		assert.Equal(t, "email", pe.Field)
		assert.ErrorIs(t, err, store.ErrConflict)
		_, err = db.InvitePerson(ctx, actor, store.PersonInput{Email: "x@example.fr", Name: "X", Roles: []store.Role{store.RoleTeacher}})
		pe, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, "school_required", pe.Detail)
		assert.Equal(t, store.RuleInvalid, pe.Kind)

		p, err = db.ChangePerson(ctx, actor, p.ID, store.PersonInput{Name: "Nadia Haddad-Roy", Roles: []store.Role{store.RoleTeacher}, SchoolUAI: b.UAI})
		require.NoError(t, err)
		assert.Equal(t, "Nadia Haddad-Roy", p.Name)
		assert.Equal(t, store.RoleTeacher, p.Role)
		assert.Equal(t, b.UAI, p.SchoolUAI)
		_, err = db.ChangePerson(ctx, actor, p.ID, store.PersonInput{Name: "N", Roles: []store.Role{store.RoleTeacher}, SchoolUAI: "0939999Z"})
		pe, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, "unknown_school", pe.Detail)

		// Roles are a set: a director who also teaches.
		p, err = db.ChangePerson(ctx, actor, p.ID, store.PersonInput{Name: "Nadia Haddad-Roy", Roles: []store.Role{store.RoleTeacher, store.RoleDirector}, SchoolUAI: b.UAI})
		require.NoError(t, err)
		assert.Equal(t, []store.UserRole{{Role: store.RoleDirector, SchoolUAI: b.UAI}, {Role: store.RoleTeacher, SchoolUAI: b.UAI}}, p.Roles)
		directors, err := db.People(ctx, store.PeopleFilter{Role: store.RoleDirector, SchoolUAI: b.UAI})
		require.NoError(t, err)
		require.Len(t, directors, 1)
		assert.Equal(t, p.ID, directors[0].ID)

		p, err = db.DisableUser(ctx, actor, p.ID)
		require.NoError(t, err)
		assert.True(t, p.Disabled())
		_, err = db.ChangePerson(ctx, actor, p.ID, store.PersonInput{Name: "N", Roles: []store.Role{store.RoleIT}})
		pe, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, "disabled", pe.Code)

		trail, err := db.AuditTrail(ctx, "user", p.ID)
		require.NoError(t, err)
		var actions []string
		for _, ev := range trail {
			actions = append(actions, ev.Action)
			assert.Equal(t, coord.ID, ev.ActorID, "%s by the coordinator", ev.Action)
		}
		assert.Equal(t, []string{"user.create", "user.update", "user.update", "user.disable"}, actions)

		// A disabled person in a file is left alone, and said so.
		prev, err := db.PreviewPeopleImport(ctx, []byte("nadia.haddad@example.fr;Nadia;DSI;\n"))
		require.NoError(t, err)
		require.True(t, prev.OK())
		assert.Equal(t, store.ImportSkipped, prev.Lines[0].Action)
	})
}

func countUsers(t *testing.T, db *store.DB) int {
	t.Helper()
	people, err := db.People(context.Background(), store.PeopleFilter{IncludeDisabled: true})
	require.NoError(t, err)
	return len(people)
}

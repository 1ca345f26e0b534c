package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/classemobile/classemobile/internal/store"
)

// SchoolOpts sets fields of a test school; zero fields get defaults.
type SchoolOpts struct {
	UAI      string
	Name     string
	SectorID string
}

// School creates a school (and its sector when SectorID is set and does
// not exist yet).
func School(t testing.TB, db *store.DB, opts *SchoolOpts) store.School {
	t.Helper()
	if opts == nil {
		opts = &SchoolOpts{}
	}
	s := store.School{UAI: opts.UAI, Name: opts.Name, Kind: "elementaire", City: "Épinay-sur-Seine", SectorID: opts.SectorID}
	if s.UAI == "" {
		s.UAI = NewUAI()
	}
	if s.Name == "" {
		s.Name = "École " + s.UAI
	}
	ctx := context.Background()
	if s.SectorID != "" {
		if err := db.SaveSector(ctx, store.Actor{}, store.Sector{ID: s.SectorID, Name: "Quartier " + s.SectorID, PeriodCap: 2}); err != nil {
			t.Fatalf("create sector: %v", err)
		}
	}
	s, err := db.CreateSchool(ctx, store.Actor{}, s)
	if err != nil {
		t.Fatalf("create school: %v", err)
	}
	return s
}

// PackOpts sets fields of a test pack; zero fields get defaults.
type PackOpts struct {
	Code    string
	Tablets int // defaults to 12
}

// Pack creates a pack with tablets, a charging case and an access point.
func Pack(t testing.TB, db *store.DB, opts *PackOpts) store.Pack {
	t.Helper()
	if opts == nil {
		opts = &PackOpts{}
	}
	code := opts.Code
	if code == "" {
		code = "PACK-" + Unique()
	}
	n := opts.Tablets
	if n == 0 {
		n = 12
	}
	p := store.Pack{Code: code, Label: "Classe mobile " + code}
	for i := 1; i <= n; i++ {
		p.Items = append(p.Items, store.PackItem{Kind: store.ItemTablet, Label: fmt.Sprintf("Tablette %02d", i), Serial: fmt.Sprintf("%s-T%02d", code, i)})
	}
	p.Items = append(p.Items,
		store.PackItem{Kind: store.ItemChargingCase, Label: "Valise de recharge", Serial: code + "-VAL"},
		store.PackItem{Kind: store.ItemAccessPoint, Label: "Borne Wi-Fi", Serial: code + "-AP"})
	p, err := db.CreatePack(context.Background(), store.Actor{}, p)
	if err != nil {
		t.Fatalf("create pack: %v", err)
	}
	return p
}

// UserOpts sets fields of a test user; zero fields get defaults.
type UserOpts struct {
	Role      store.Role // defaults to coordinator
	SchoolUAI string     // required for directors and teachers
	Email     string
	Name      string
}

// User creates a user and returns it with its API token.
func User(t testing.TB, db *store.DB, opts *UserOpts) (store.User, string) {
	t.Helper()
	if opts == nil {
		opts = &UserOpts{}
	}
	u := store.User{Role: opts.Role, SchoolUAI: opts.SchoolUAI, Email: opts.Email, Name: opts.Name}
	if u.Role == "" {
		u.Role = store.RoleCoordinator
	}
	if u.Email == "" {
		u.Email = string(u.Role) + "-" + Unique() + "@example.fr"
	}
	if u.Name == "" {
		u.Name = "Utilisateur " + string(u.Role)
	}
	u, token, err := db.CreateUser(context.Background(), store.Actor{}, u)
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u, token
}

package store

import "strings"

// normalized returns s as CreateSchool and UpdateSchool store it: the UAI
// upper-cased, names trimmed, the kind « elementaire » by default.
func (s School) normalized() School {
	s.UAI = strings.ToUpper(strings.TrimSpace(s.UAI))
	s.Name = strings.TrimSpace(s.Name)
	s.Address, s.PostalCode, s.City = strings.TrimSpace(s.Address), strings.TrimSpace(s.PostalCode), strings.TrimSpace(s.City)
	s.Site, s.SectorID = strings.TrimSpace(s.Site), strings.TrimSpace(s.SectorID)
	if s.Kind = strings.TrimSpace(s.Kind); s.Kind == "" {
		s.Kind = "elementaire"
	}
	return s
}

// Validate reports every problem of a school to create or update, in
// French: a valid UAI code, a name, texts of at most 200 characters, the
// priority education label (none, REP or REP+) and coordinates in range.
// CreateSchool and UpdateSchool call it on the normalised school.
func (s School) Validate() error {
	f := FieldErrors{}
	s = s.normalized()
	if !ValidUAI(s.UAI) {
		f.Add("uai", "code UAI invalide : 7 chiffres suivis d'une lettre (ex. 0931234A)")
	}
	if s.Name == "" {
		f.Add("name", "le nom de l'école est obligatoire")
	}
	for _, t := range []struct{ field, v string }{{"name", s.Name}, {"kind", s.Kind}, {"address", s.Address},
		{"postal_code", s.PostalCode}, {"city", s.City}, {"site", s.Site}, {"sector_id", s.SectorID}} {
		CheckText(f, t.field, t.v, 200)
	}
	switch s.PriorityEducation {
	case "", "REP", "REP+":
	default:
		f.Add("priority_education", "valeur attendue : vide, REP ou REP+")
	}
	if s.Latitude != nil && (*s.Latitude < -90 || *s.Latitude > 90) {
		f.Add("latitude", "latitude hors de [-90, 90]")
	}
	if s.Longitude != nil && (*s.Longitude < -180 || *s.Longitude > 180) {
		f.Add("longitude", "longitude hors de [-180, 180]")
	}
	return f.Err()
}

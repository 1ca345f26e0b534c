package store

import (
	"net/url"
	"strconv"
	"strings"
)

// AssessmentInput is what a teacher sends to write the assessment of a
// loan. ApplyAgain is a pointer because the answer is required: nil means
// the person did not say.
type AssessmentInput struct {
	LoanID      int64
	Human       string
	Pedagogical string
	Productions []string
	ApplyAgain  *bool
}

// Validate checks the texts, that both aspects and the apply-again answer
// are given, and that productions are at most 50 http(s) links.
func (in AssessmentInput) Validate() error {
	f := FieldErrors{}
	CheckText(f, "human", in.Human, 20000)
	CheckText(f, "pedagogical", in.Pedagogical, 20000)
	if strings.TrimSpace(in.Human) == "" {
		f.Add("human", "les aspects humains sont obligatoires")
	}
	if strings.TrimSpace(in.Pedagogical) == "" {
		f.Add("pedagogical", "les aspects pédagogiques sont obligatoires")
	}
	if in.ApplyAgain == nil {
		f.Add("apply_again", "dire si vous candidateriez de nouveau (true ou false)")
	}
	if len(in.Productions) > 50 {
		f.Add("productions", "50 liens au plus")
	}
	for i, p := range in.Productions {
		field := "productions[" + strconv.Itoa(i) + "]"
		CheckText(f, field, p, 2000)
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add(field, "lien http(s) attendu")
		}
	}
	return f.Err()
}

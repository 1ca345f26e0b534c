package scheduler

// Explanation says why a project is or is not served.
type Explanation struct {
	Project string `json:"project"`
	Served  bool   `json:"served"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (m *model) explain(s *state, lg *lagrange) []Explanation { return nil }

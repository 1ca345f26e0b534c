package scheduler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Problem is one defect of an instance: the element it concerns (for
// example `projects[3] "PR00004"`) and what is wrong with it.
type Problem struct {
	Element string `json:"element"`
	Message string `json:"message"`
}

// ValidationError lists every defect found in a malformed or inconsistent
// instance. It is returned by Instance.Validate, ParseInstance, Solve,
// Evaluate and PlanCapacity.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid instance: ")
	for i, p := range e.Problems {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-10)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Element)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// ParseInstance decodes an instance document and validates it. Unknown
// fields are ignored; a missing max_participation_year defaults to 2 as in
// the reference checker. Returns a *ValidationError if the instance is
// inconsistent.
func ParseInstance(data []byte) (*Instance, error) {
	inst := &Instance{Params: Params{MaxParticipationYear: 2}}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(inst); err != nil {
		return nil, fmt.Errorf("decode instance: %w", err)
	}
	if err := inst.Validate(); err != nil {
		return nil, err
	}
	return inst, nil
}

// ParsePlan decodes a plan document.
func ParsePlan(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decode plan: %w", err)
	}
	return &p, nil
}

// Validate checks that the instance is well formed and consistent: known
// format, weeks numbered in order inside known periods, unique ids, known
// schools and sectors, sane parameters, pack unavailability windows on
// packs 1..P with from_day < to_day, and locked loans that can be kept
// (known project, loan inside the year, total within the packs, previous
// packs clear of the windows). It returns a *ValidationError naming every
// bad element, or nil.
func (inst *Instance) Validate() error {
	_, err := compile(inst)
	return err
}

type problems struct{ list []Problem }

func (ps *problems) add(elem, format string, args ...any) {
	ps.list = append(ps.list, Problem{Element: elem, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps.list}
}

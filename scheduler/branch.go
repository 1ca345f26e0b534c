package scheduler

type branch struct {
	m        *model
	best     *state
	nodes    int
	complete bool
}

func newBranch(m *model, lg *lagrange, best *state, stop func() bool) *branch {
	return &branch{m: m, best: best.clone()}
}

func (b *branch) run() {}

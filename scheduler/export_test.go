package scheduler

func DebugStop(b bool) { debugStop = b }

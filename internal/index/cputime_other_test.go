//go:build !linux

package index

import "time"

var cpuStart = time.Now()

// cpuTime falls back to wall time off Linux.
func cpuTime() time.Duration { return time.Since(cpuStart) }

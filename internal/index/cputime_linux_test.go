package index

import (
	"syscall"
	"time"
	"unsafe"
)

// cpuTime returns the process's CPU time (all threads), for benchmarks
// that must not be skewed by other load on the machine.
func cpuTime() time.Duration {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

package testutil

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// KillChild runs test, a test of the running test binary, as a child process
// with env added to its environment; waits until it prints a line starting
// with "ready", lets it work for d and kills it with SIGKILL. It fails t if
// the child never became ready or failed on its own, and reports whether the
// kill landed (the child was still running). Crash tests use it to stop a
// writer at a random moment.
func KillChild(t *testing.T, test string, env []string, d time.Duration) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	ready := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ready") {
			ready = true
			break
		}
	}
	if !ready {
		cmd.Wait()
		t.Fatalf("%s never became ready", test)
	}
	time.Sleep(d)
	killed := cmd.Process.Kill() == nil
	go func() { // drain
		for sc.Scan() {
		}
	}()
	err = cmd.Wait()
	if ps := cmd.ProcessState; ps != nil && ps.Exited() && ps.ExitCode() != 0 {
		t.Fatalf("%s failed: %v", test, err)
	}
	return killed
}

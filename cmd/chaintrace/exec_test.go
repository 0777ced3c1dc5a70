package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets a test start the test binary as the chaintrace command
// itself (CHAINTRACE_TEST_MAIN=1): real separate processes without a build.
func TestMain(m *testing.M) {
	if os.Getenv("CHAINTRACE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// chaintraceProc runs `chaintrace args…` as a separate process.
func chaintraceProc(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CHAINTRACE_TEST_MAIN=1")
	return cmd
}

// serveProc starts `chaintrace serve` as a separate process and returns the
// address it listens on; the process is stopped (SIGTERM) at the end of the test.
func serveProc(t *testing.T, args ...string) string {
	t.Helper()
	cmd := chaintraceProc(t, append(args, "serve", "--listen", "127.0.0.1:0", "--access-log=false")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("serve did not stop on SIGINT")
		}
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving http://"); ok {
				addrc <- rest[:strings.Index(rest, "/")]
			}
		}
		close(addrc)
	}()
	select {
	case addr, ok := <-addrc:
		if !ok {
			t.Fatalf("serve %v exited", args)
		}
		return addr
	case <-time.After(60 * time.Second):
		t.Fatalf("serve %v did not start", args)
	}
	return ""
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaintrace/chaintrace/internal/testutil"
)

// startServe runs `chaintrace serve` with args in the background and returns
// its address and a stop function that cancels it (as SIGTERM does) and
// returns its error.
func startServe(t *testing.T, args ...string) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	serveListening = func(a string) { addrc <- a }
	errc := make(chan error, 1)
	go func() {
		_, err := runCLIContext(t, ctx, append([]string{"serve"}, args...)...)
		errc <- err
	}()
	select {
	case addr = <-addrc:
	case err := <-errc:
		cancel()
		serveListening = nil
		t.Fatalf("serve %v: %v", args, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(30 * time.Second):
				err = fmt.Errorf("serve did not stop")
			}
			serveListening = nil
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

// serve refuses to listen beyond loopback without an API key, and then asks
// for the key on every API route.
func TestServeNonLoopbackNeedsKey(t *testing.T) {
	data := t.TempDir()
	_, err := runCLI(t, "--data", data, "serve", "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "without an API key") {
		t.Fatalf("serve on 0.0.0.0 without keys: %v", err)
	}
	out, err := runCLI(t, "--data", data, "keys", "create", "--scope", "read")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out)
	addr, stop := startServe(t, "--data", data, "--listen", "0.0.0.0:0", "--access-log=false")
	port := addr[strings.LastIndex(addr, ":")+1:]
	base := "http://127.0.0.1:" + port
	resp, err := http.Get(base + "/v1/lists")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no key: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", base+"/v1/lists", nil)
	req.Header.Set("X-API-Key", key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("with key: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}

// Read and idle timeouts close slow-body and idle keep-alive connections.
func TestServeTimeouts(t *testing.T) {
	data := t.TempDir()
	addr, _ := startServe(t, "--data", data, "--listen", "127.0.0.1:0", "--access-log=false",
		"--read-timeout", "1s", "--idle-timeout", "1s", "--read-header-timeout", "1s")
	const n = 20
	var wg sync.WaitGroup
	closedIn := make(chan time.Duration, 2*n)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return nil
		}
		return c
	}
	// waitClosed reads until the server closes the connection (bounded at 10 s).
	waitClosed := func(c net.Conn, start time.Time) {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.Copy(io.Discard, c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			closedIn <- 10 * time.Second
			return
		}
		closedIn <- time.Since(start)
	}
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() { // slow body: headers promise 1000 bytes, one byte trickles every 200 ms
			defer wg.Done()
			c := dial()
			if c == nil {
				return
			}
			defer c.Close()
			start := time.Now()
			fmt.Fprintf(c, "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
			go func() {
				for j := 0; j < 50; j++ {
					time.Sleep(200 * time.Millisecond)
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}()
			waitClosed(c, start)
		}()
		go func() { // idle keep-alive: one request, then silence
			defer wg.Done()
			c := dial()
			if c == nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			start := time.Now()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = io.Copy(io.Discard, br)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				closedIn <- 10 * time.Second
				return
			}
			closedIn <- time.Since(start)
		}()
	}
	wg.Wait()
	close(closedIn)
	for d := range closedIn {
		if d > 4*time.Second {
			t.Errorf("a connection stayed open %v (read and idle timeouts are 1 s)", d.Round(time.Millisecond))
		}
	}
}

// On SIGTERM (context cancelled) a request in flight is answered, then serve
// returns without error and the port is closed.
func TestServeGracefulShutdown(t *testing.T) {
	data := t.TempDir()
	wl := filepath.Join(t.TempDir(), "w.csv")
	os.WriteFile(wl, []byte("name,address,ticker,category,source,id\nBLENDER.IO,3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3,XBT,mixer,test,b1\n"), 0o644)
	if out, err := runCLI(t, "--data", data, "lists", "import", "--format", "watchlist", "--name", "t", wl); err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	addr, stop := startServe(t, "--data", data, "--listen", "127.0.0.1:0", "--access-log=false")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"addresses":["3K35dyL85fR9ht7UgzPfd1gLRRXQtNTqE3"]}`
	// The handler starts and waits for the rest of the body.
	fmt.Fprintf(c, "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	time.Sleep(300 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- stop() }()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("serve stopped with a request in flight: %v", err)
	default:
	}
	fmt.Fprint(c, body[10:])
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("request in flight at shutdown: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "BLENDER.IO") {
		t.Errorf("request in flight at shutdown: %d %s", resp.StatusCode, b)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return after the last request")
	}
	if c2, err := net.Dial("tcp", addr); err == nil {
		c2.Close()
		t.Error("still listening after shutdown")
	}
}

// serve --refresh fetches the configured list at start (from a local server
// here) and serves it once imported.
func TestServeRefresh(t *testing.T) {
	un, err := os.ReadFile(filepath.Join(testutil.SharedDir(t), "data/sanctions/un/consolidated-2026-02-27.xml"))
	if err != nil {
		t.Fatal(err)
	}
	lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/consolidated.xml" {
			http.NotFound(w, r)
			return
		}
		w.Write(un)
	}))
	defer lists.Close()
	data := t.TempDir()
	addr, _ := startServe(t, "--data", data, "--listen", "127.0.0.1:0", "--access-log=false",
		"--refresh", "24h", "--refresh-source", "un", "--refresh-url", "un="+lists.URL+"/consolidated.xml")
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		var ready struct{ Checks map[string]string }
		json.NewDecoder(resp.Body).Decode(&ready)
		resp.Body.Close()
		if ready.Checks["lists"] == "loaded un@1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("refreshed list not loaded: %v", ready.Checks)
		}
		time.Sleep(200 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/v1/lists")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"source":"`+lists.URL+`/consolidated.xml"`) {
		t.Errorf("/v1/lists: %s", b)
	}
	out, err := runCLI(t, "--data", data, "lists", "refreshes", "--json")
	var kept []struct{ Source, Outcome, URL string }
	if err != nil || json.Unmarshal([]byte(out), &kept) != nil || len(kept) == 0 || kept[len(kept)-1].Outcome != "imported" ||
		kept[len(kept)-1].Source != "un" || kept[len(kept)-1].URL != lists.URL+"/consolidated.xml" {
		t.Errorf("lists refreshes: %v %s", err, out)
	}
	if _, err := runCLI(t, "--data", data, "serve", "--refresh", "10s"); err == nil || !strings.Contains(err.Error(), "at least 1m") {
		t.Errorf("--refresh 10s: %v", err)
	}
}

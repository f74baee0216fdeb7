// Command faults is the harness behind `make faults` (deploy/local/faults.sh
// prepares the throwaway stack and runs it): it plays `whistle simulate`
// rounds against the API while it injects faults, then checks every round's
// phones with `whistle simulate -check` and prints the totals.
//
// Three phases, each with rounds of the simulator in the background:
//   - kills: SIGKILL the API at random moments, restart it right away;
//   - dependencies: stop and start PostgreSQL, then MinIO, measuring the
//     time from the dependency being back to /readyz answering 200;
//   - network: the simulator talks to the API through a loopback proxy
//     that drops, stalls and truncates connections mid-body.
//
// Configuration comes from the environment faults.sh exports (FAULTS_*,
// and the WHISTLE_* variables of `whistle serve`).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
}

// env is a required variable of faults.sh.
func env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Fprintf(os.Stderr, "faults: %s is not set (run it with make faults)\n", name)
		os.Exit(2)
	}
	return v
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil && n >= 0 {
			return n
		}
		fmt.Fprintf(os.Stderr, "faults: %s=%q is not a count\n", name, v)
		os.Exit(2)
	}
	return def
}

// stack is the throwaway stack: the API process, PostgreSQL (pg_ctl) and
// MinIO, each restartable.
type stack struct {
	work, bin       string
	apiPort         int
	api             *exec.Cmd
	apiExit         chan struct{}
	pgCtl, pgDir    string
	pgOpts          string
	asPostgres      bool
	minioBin, s3Dir string
	s3Port          int
	s3Consol        string
	minio           *exec.Cmd
	log             *os.File
}

func (s *stack) url() string { return "http://127.0.0.1:" + strconv.Itoa(s.apiPort) }

func (s *stack) startAPI() error {
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(os.Environ(), "WHISTLE_ADDR=127.0.0.1:"+strconv.Itoa(s.apiPort))
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return err
	}
	s.api = cmd
	exit := make(chan struct{})
	s.apiExit = exit
	go func() { cmd.Wait(); close(exit) }()
	return nil
}

// killAPI sends SIGKILL and waits for the process to be gone.
func (s *stack) killAPI() {
	s.api.Process.Signal(syscall.SIGKILL)
	<-s.apiExit
}

func (s *stack) stopAPI() {
	if s.api == nil {
		return
	}
	s.api.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.apiExit:
	case <-time.After(20 * time.Second):
		s.killAPI()
	}
}

func (s *stack) pg(args ...string) error {
	cmd := exec.Command(s.pgCtl, append([]string{"-D", s.pgDir}, args...)...)
	if s.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", s.pgCtl, "-D", s.pgDir}, args...)...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v: %s", args[len(args)-1], err, out)
	}
	return nil
}

func (s *stack) stopPG() error { return s.pg("-m", "fast", "-w", "-t", "60", "stop") }
func (s *stack) startPG() error {
	return s.pg("-l", filepath.Join(s.pgDir, "server.log"), "-o", s.pgOpts, "-w", "-t", "60", "start")
}

func (s *stack) startMinio() error {
	cmd := exec.Command(s.minioBin, "server", "--quiet", "--address", "127.0.0.1:"+strconv.Itoa(s.s3Port),
		"--console-address", "127.0.0.1:"+s.s3Consol, filepath.Join(s.s3Dir, "data"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+os.Getenv("WHISTLE_S3_ACCESS_KEY"),
		"MINIO_ROOT_PASSWORD="+os.Getenv("WHISTLE_S3_SECRET_KEY"), "MINIO_BROWSER_REDIRECT=off", "MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off")
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return err
	}
	s.minio = cmd
	return waitFor(60*time.Second, func() bool { return status("http://127.0.0.1:"+strconv.Itoa(s.s3Port), "/minio/health/live") == 200 })
}

func (s *stack) stopMinio() {
	if s.minio == nil {
		return
	}
	s.minio.Process.Signal(syscall.SIGTERM)
	s.minio.Wait()
	s.minio = nil
}

var probe = &http.Client{Timeout: 3 * time.Second}

// status is the HTTP status of GET base+path, 0 when there is no answer.
func status(base, path string) int {
	res, err := probe.Get(base + path)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// waitFor polls ok every 20 ms until it holds or d has passed.
func waitFor(d time.Duration, ok func() bool) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if ok() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not within %s", d)
}

func (s *stack) ready() bool { return status(s.url(), "/readyz") == 200 }

// round is one `whistle simulate` process and its directory.
type round struct {
	name, dir, output string
	failed            bool // the process exited non-zero (its phones are then synced and checked again)
}

// rounds plays simulator rounds one after another against server until
// stop is closed; done receives them all.
type rounds struct {
	s       *stack
	server  string
	phase   string
	args    []string
	stop    chan struct{}
	done    chan []*round
	started atomic.Int32
}

func startRounds(s *stack, phase, server string, args []string) *rounds {
	r := &rounds{s: s, server: server, phase: phase, args: args, stop: make(chan struct{}), done: make(chan []*round, 1)}
	go func() {
		var all []*round
		for n := 1; ; n++ {
			select {
			case <-r.stop:
				r.done <- all
				return
			default:
			}
			all = append(all, r.play(n))
		}
	}()
	return r
}

func (r *rounds) play(n int) *round {
	rd := &round{name: fmt.Sprintf("%s-%d", r.phase, n)}
	rd.dir = filepath.Join(r.s.work, "rounds", rd.name)
	args := append([]string{"simulate", "-server", r.server, "-seed", strconv.Itoa(n), "-dir", rd.dir}, r.args...)
	cmd := exec.Command(r.s.bin, args...)
	out, err := cmd.CombinedOutput()
	os.WriteFile(rd.dir+".log", out, 0o644)
	rd.output = string(out)
	rd.failed = err != nil
	r.started.Add(1)
	fmt.Printf("  round %s: %s\n", rd.name, verdict(err, out))
	return rd
}

func verdict(err error, out []byte) string {
	if err == nil {
		return "check passed"
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return fmt.Sprintf("%v (%s)", err, lines[len(lines)-1])
}

func (r *rounds) finish() []*round {
	close(r.stop)
	return <-r.done
}

// totals are the figures of RELIABILITY.md.
type totals struct {
	kills, pgRestarts, minioRestarts    int
	drops, stalls, truncations, proxied int64
	rounds, failedRounds, emptyRounds   int
	unregistered                        int
	acknowledged, photos, lost, dups    int
	checkFailures                       []string
	killToReady, pgRecovery, s3Recovery []time.Duration
	notReadySeen                        int
}

var figure = regexp.MustCompile(`(?m)^(acknowledged|photos|verified|lost|duplicated):\s+(\d+)`)

// check runs `whistle simulate -check` on a round's phones and adds its
// figures to t. First every phone syncs once more with `whistle device
// sync` (pushes what its durable outbox still holds, pulls what later
// rounds changed: a phone at the end of the day). A phone directory
// without device.json is a phone whose registration a fault interrupted:
// it recorded nothing, and it is set aside (counted) rather than checked.
func (s *stack) check(t *totals, rd *round) {
	t.rounds++
	if rd.failed {
		t.failedRounds++
	}
	phones, _ := os.ReadDir(rd.dir)
	left := 0
	for _, p := range phones {
		dir := filepath.Join(rd.dir, p.Name())
		if !p.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "device.json")); err != nil {
			t.unregistered++
			os.Rename(dir, filepath.Join(rd.dir, "unregistered-"+p.Name()))
			continue
		}
		left++
		if out, err := exec.Command(s.bin, "device", "-dir", dir, "sync").CombinedOutput(); err != nil {
			fmt.Printf("  round %s phone %s: sync: %v %s\n", rd.name, p.Name(), err, out)
		}
	}
	if left == 0 {
		t.emptyRounds++
		return
	}
	out, err := exec.Command(s.bin, "simulate", "-check", "-server", s.url(), "-dir", rd.dir).CombinedOutput()
	os.WriteFile(rd.dir+".check.log", out, 0o644)
	for _, m := range figure.FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.Atoi(m[2])
		switch m[1] {
		case "acknowledged":
			t.acknowledged += n
		case "photos":
			t.photos += n
		case "lost":
			t.lost += n
		case "duplicated":
			t.dups += n
		}
	}
	if err != nil {
		t.checkFailures = append(t.checkFailures, fmt.Sprintf("%s: %s", rd.name, verdict(err, out)))
	}
}

func run() error {
	s := &stack{
		work: env("FAULTS_WORK"), bin: env("FAULTS_BIN"), pgCtl: env("FAULTS_PG_CTL"), pgDir: env("FAULTS_PG_DIR"),
		pgOpts: env("FAULTS_PG_OPTS"), asPostgres: os.Getuid() == 0, minioBin: env("FAULTS_MINIO_BIN"),
		s3Dir: env("FAULTS_S3_DIR"), s3Consol: env("FAULTS_S3_CONSOLE_PORT"),
	}
	var err error
	if s.apiPort, err = strconv.Atoi(env("FAULTS_API_PORT")); err != nil {
		return err
	}
	if s.s3Port, err = strconv.Atoi(env("FAULTS_S3_PORT")); err != nil {
		return err
	}
	kills, depRestarts := envInt("FAULTS_KILLS", 200), envInt("FAULTS_DEP_RESTARTS", 20)
	simArgs := strings.Fields(os.Getenv("FAULTS_SIMULATE"))
	if s.log, err = os.Create(filepath.Join(s.work, "servers.log")); err != nil {
		return err
	}
	if err := s.startMinio(); err != nil {
		return fmt.Errorf("MinIO: %w", err)
	}
	defer s.stopMinio()
	if err := s.startAPI(); err != nil {
		return err
	}
	defer func() { s.stopAPI() }()
	if err := waitFor(60*time.Second, s.ready); err != nil {
		return fmt.Errorf("the API is not ready: %w", err)
	}
	var t totals
	began := time.Now()

	fmt.Printf("==> phase 1: %d SIGKILLs of the API under simulator rounds (%s)\n", kills, strings.Join(simArgs, " "))
	rs := startRounds(s, "kill", s.url(), simArgs)
	for t.kills < kills {
		time.Sleep(time.Duration(200+rand.IntN(1800)) * time.Millisecond)
		s.killAPI()
		at := time.Now()
		t.kills++
		if err := s.startAPI(); err != nil {
			return err
		}
		if err := waitFor(60*time.Second, s.ready); err != nil {
			return fmt.Errorf("after kill %d the API is not ready: %w", t.kills, err)
		}
		t.killToReady = append(t.killToReady, time.Since(at))
		if t.kills%20 == 0 {
			fmt.Printf("  %d kills\n", t.kills)
		}
	}
	killRounds := rs.finish()

	fmt.Printf("==> phase 2: %d restarts each of PostgreSQL and MinIO under simulator rounds\n", depRestarts)
	rs = startRounds(s, "deps", s.url(), simArgs)
	for i := range 2 * depRestarts {
		time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Millisecond)
		pg := i%2 == 0
		if pg {
			if err := s.stopPG(); err != nil {
				return err
			}
		} else {
			s.stopMinio()
		}
		if waitFor(10*time.Second, func() bool { return status(s.url(), "/readyz") == 503 }) == nil {
			t.notReadySeen++
		}
		time.Sleep(time.Duration(200+rand.IntN(500)) * time.Millisecond)
		if pg {
			err = s.startPG()
		} else {
			err = s.startMinio()
		}
		if err != nil {
			return err
		}
		back := time.Now()
		if err := waitFor(60*time.Second, s.ready); err != nil {
			return fmt.Errorf("/readyz did not recover after restart %d: %w", i+1, err)
		}
		if pg {
			t.pgRestarts++
			t.pgRecovery = append(t.pgRecovery, time.Since(back))
		} else {
			t.minioRestarts++
			t.s3Recovery = append(t.s3Recovery, time.Since(back))
		}
	}
	depRounds := rs.finish()

	netRoundsWanted := envInt("FAULTS_NET_ROUNDS", 3)
	fmt.Printf("==> phase 3: %d simulator rounds through a proxy that drops, stalls and truncates\n", netRoundsWanted)
	px, err := startProxy(s.apiPort)
	if err != nil {
		return err
	}
	rs = &rounds{s: s, server: "http://" + px.addr, phase: "net", args: simArgs}
	var netRounds []*round
	for n := 1; n <= netRoundsWanted; n++ {
		netRounds = append(netRounds, rs.play(n))
	}

	fmt.Println("==> checking every round's phones (whistle simulate -check)")
	for _, rd := range slices.Concat(killRounds, depRounds, netRounds) {
		s.check(&t, rd)
	}
	px.close() // after the checks: the net rounds' phones sync through it
	t.drops, t.stalls, t.truncations, t.proxied = px.drops.Load(), px.stalls.Load(), px.truncations.Load(), px.conns.Load()
	t.print(os.Stdout, time.Since(began))
	if t.lost > 0 || t.dups > 0 || len(t.checkFailures) > 0 || t.notReadySeen < t.pgRestarts+t.minioRestarts {
		return errors.New("a check failed (see above)")
	}
	return nil
}

func (t totals) print(w io.Writer, took time.Duration) {
	fmt.Fprintf(w, "\nfaults injected:\n")
	fmt.Fprintf(w, "  API SIGKILLs:            %d (kill to /readyz 200: median %s, max %s)\n", t.kills, median(t.killToReady), maxOf(t.killToReady))
	fmt.Fprintf(w, "  PostgreSQL restarts:     %d (back to /readyz 200: median %s, max %s)\n", t.pgRestarts, median(t.pgRecovery), maxOf(t.pgRecovery))
	fmt.Fprintf(w, "  MinIO restarts:          %d (back to /readyz 200: median %s, max %s)\n", t.minioRestarts, median(t.s3Recovery), maxOf(t.s3Recovery))
	fmt.Fprintf(w, "  /readyz 503 while down:  %d of %d dependency restarts\n", t.notReadySeen, t.pgRestarts+t.minioRestarts)
	fmt.Fprintf(w, "  proxy: connections %d, dropped %d, stalled %d, truncated %d\n", t.proxied, t.drops, t.stalls, t.truncations)
	fmt.Fprintf(w, "simulator rounds:          %d (%d exited non-zero; %d of them registered no phone)\n", t.rounds, t.failedRounds, t.emptyRounds)
	fmt.Fprintf(w, "phones never registered:   %d (a fault hit their login or registration: they recorded nothing)\n", t.unregistered)
	fmt.Fprintf(w, "acknowledged acts checked: %d\n", t.acknowledged)
	fmt.Fprintf(w, "photos checked:            %d\n", t.photos)
	fmt.Fprintf(w, "lost:                      %d\n", t.lost)
	fmt.Fprintf(w, "duplicated:                %d\n", t.dups)
	fmt.Fprintf(w, "failed checks:             %d\n", len(t.checkFailures))
	for _, f := range t.checkFailures {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "took:                      %s\n", took.Round(time.Second))
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

func maxOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return slices.Max(d).Round(time.Millisecond)
}

// proxy is a loopback TCP proxy in front of the API that, on some
// connections, drops the connection, stalls it, or truncates a stream
// mid-body (after a random number of bytes, in either direction).
type proxy struct {
	ln                                net.Listener
	addr                              string
	upstream                          string
	conns, drops, stalls, truncations atomic.Int64
	wg                                sync.WaitGroup
}

func startProxy(apiPort int) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, addr: ln.Addr().String(), upstream: "127.0.0.1:" + strconv.Itoa(apiPort)}
	go p.serve()
	return p, nil
}

func (p *proxy) close() { p.ln.Close(); p.wg.Wait() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.handle(c) }()
	}
}

// fault kinds of a connection.
const (
	none = iota
	drop
	stall
	truncate
)

func (p *proxy) handle(c net.Conn) {
	defer c.Close()
	p.conns.Add(1)
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer up.Close()
	kind := none
	switch n := rand.IntN(10); {
	case n < 3:
		kind = drop
	case n < 5:
		kind = stall
	case n < 8:
		kind = truncate
	}
	// The fault strikes after a random number of bytes of one direction:
	// the request (uploads are megabytes) or the answer.
	toServer := rand.IntN(2) == 0
	limit := int64(rand.IntN(64 << 10))
	switch {
	case kind == drop:
		limit = 0 // before the request reaches the server, or before its answer reaches the phone
	case toServer:
		limit = int64(rand.IntN(2 << 20))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	strike := func() bool { // true: stop the connection here
		struck := false
		once.Do(func() {
			switch kind {
			case drop:
				p.drops.Add(1)
				struck = true
			case truncate:
				p.truncations.Add(1)
				struck = true
			case stall:
				p.stalls.Add(1)
				select {
				case <-time.After(time.Duration(500+rand.IntN(4500)) * time.Millisecond):
				case <-ctx.Done():
				}
			}
		})
		return struck
	}
	pipe := func(dst, src net.Conn, faulty bool) {
		var sent int64
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				b := buf[:n]
				if faulty && kind != none && sent+int64(n) > limit {
					cut := limit - sent
					if cut > 0 && kind != drop {
						dst.Write(b[:cut]) // truncate and stall: part of the body goes through
					}
					if strike() {
						return
					}
					b = b[max(cut, 0):] // the stall has passed: the rest follows
					faulty = false
				}
				if _, err := dst.Write(b); err != nil {
					return
				}
				sent += int64(n)
			}
			if err != nil {
				return
			}
		}
	}
	done := make(chan struct{}, 2)
	go func() { pipe(up, c, toServer); done <- struct{}{} }()
	go func() { pipe(c, up, !toServer); done <- struct{}{} }()
	<-done // one direction ended (or was cut): close both
}

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	"github.com/whistle/whistle/media/mediatest"
)

// These tests run the real binary, as an operator would.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "whistle-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "whistle")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build whistle: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func command(ctx context.Context, vars map[string]string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// stackEnv points the binary at a fresh test database and bucket, with a
// signing key of the test's own shared by every process it starts (as
// `make run` keeps one in .data/): without one, development makes a random
// key per process, and one process's anchors would not be another's.
func stackEnv(t *testing.T) map[string]string {
	_, dsn := pgtest.New(t)
	s3 := mediatest.Config(t)
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"WHISTLE_SIGNING_KEY":     base64.StdEncoding.EncodeToString(seed),
		"WHISTLE_ADDR":            "127.0.0.1:" + freePort(t),
		"WHISTLE_DATABASE_URL":    dsn,
		"WHISTLE_S3_ENDPOINT":     s3.Endpoint,
		"WHISTLE_S3_ACCESS_KEY":   s3.AccessKey,
		"WHISTLE_S3_SECRET_KEY":   s3.SecretKey,
		"WHISTLE_EVIDENCE_BUCKET": s3.Bucket,
		"WHISTLE_STARTUP_TIMEOUT": "10s",
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func TestServe_ErrConfig(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		wantVar string
	}{
		{"ErrAddrNotAPort", map[string]string{"WHISTLE_ADDR": "notaport"}, "WHISTLE_ADDR"},
		{"ErrProductionWithoutSecret", map[string]string{"WHISTLE_ENV": "production"}, "WHISTLE_DATABASE_URL"},
		{"ErrDatabaseUnreachable", map[string]string{
			"WHISTLE_ADDR":            "127.0.0.1:" + freePort(t),
			"WHISTLE_DATABASE_URL":    "postgres://whistle:pw@127.0.0.1:1/whistle?sslmode=disable",
			"WHISTLE_STARTUP_TIMEOUT": "1s",
		}, "WHISTLE_DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stderr bytes.Buffer
			cmd := command(ctx, tt.vars, "serve")
			cmd.Stderr = &stderr
			err := cmd.Run()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() == 0 {
				t.Fatalf("serve exited %v, want non-zero", err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "whistle: "+tt.wantVar+":") {
				t.Fatalf("last line %q should name %s; stderr:\n%s", last, tt.wantVar, stderr.String())
			}
		})
	}
}

// TestServe runs migrate, seed demo and serve against real PostgreSQL and
// MinIO, logs in as the demo admin, then stops the server with SIGTERM.
func TestServe(t *testing.T) {
	vars := stackEnv(t)
	vars["WHISTLE_BODY_LIMIT"] = "2048"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	for _, args := range [][]string{{"migrate"}, {"seed", "demo"}, {"seed", "demo"}} {
		out, err := command(ctx, vars, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("whistle %v: %v\n%s", args, err, out)
		}
		if args[0] == "seed" && !strings.Contains(string(out), "admin") {
			t.Fatalf("seed demo does not print the admin login:\n%s", out)
		}
	}

	var logs bytes.Buffer
	cmd := command(ctx, vars, "serve")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + vars["WHISTLE_ADDR"]
	waitFor(t, base+"/healthz", &logs)

	if out, err := command(ctx, vars, "healthcheck").CombinedOutput(); err != nil {
		t.Fatalf("healthcheck of a running server: %v %s", err, out)
	}
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz = %d", res.StatusCode)
	}
	res, err = http.Post(base+"/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+demo.Password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&sess)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || sess.AccessToken == "" {
		t.Fatalf("demo admin login = %d", res.StatusCode)
	}

	// The console is served by the same binary, outside the contract.
	res, err = http.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.HasPrefix(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("GET /console/login = %d %s, CSP %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"))
	}

	// Over the body limit: a 413 problem from the real server (Fiber's test
	// harness cannot show this, the HTTP server itself refuses the body).
	// The body is small enough for the server to have read it whole before
	// refusing it; a larger one would race the server's close (a reset
	// connection, which is also a refusal, but not one a test can read).
	big := `{"username":"a","password":"` + strings.Repeat("x", 2500) + `"}`
	res, err = http.Post(base+"/v1/auth/login", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Code string `json:"code"`
	}
	json.NewDecoder(res.Body).Decode(&p)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || p.Code != "payload_too_large" || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("oversized body answered %d %q %s, want a 413 payload_too_large problem", res.StatusCode, p.Code, res.Header.Get("Content-Type"))
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, logs.String())
	}
	if err := command(ctx, vars, "healthcheck").Run(); err == nil {
		t.Fatal("healthcheck passes with the server stopped")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", logs.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "request" && rec["request_id"] == nil {
			t.Fatalf("request log line without request_id: %s", line)
		}
	}
}

func waitFor(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200; server log:\n%s", url, logs.String())
}

// TestAuditCommands runs `whistle audit verify` on an intact trail, then on
// one tampered by a superuser, and `whistle audit anchor`.
func TestAuditCommands(t *testing.T) {
	vars := stackEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"migrate"}, {"seed", "demo"}} {
		if out, err := command(ctx, vars, args...).CombinedOutput(); err != nil {
			t.Fatalf("whistle %v: %v\n%s", args, err, out)
		}
	}
	out, err := command(ctx, vars, "audit", "verify").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "intact") {
		t.Fatalf("verify of an intact trail: %v\n%s", err, out)
	}
	out, err = command(ctx, vars, "audit", "anchor").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "anchored chain district") {
		t.Fatalf("anchor: %v\n%s", err, out)
	}

	db, err := sql.Open("pgx", vars["WHISTLE_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec(`SET LOCAL session_replication_role = replica`)
	if _, err := tx.Exec(`UPDATE audit_entries SET entity_id = 'forged' WHERE chain = 'district' AND seq = 1`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	cmd := command(ctx, vars, "audit", "verify")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "BROKEN  chain district at seq 1: hash mismatch") {
		t.Fatalf("verify of a tampered trail exited %d:\n%s", cmd.ProcessState.ExitCode(), out)
	}
}

// TestAuditCommands_Truncated anchors the chain heads, then, as the
// superuser with triggers off, deletes the last entries of the district
// chain and sets its head row back: verify names the anchored seq that is
// missing.
func TestAuditCommands_Truncated(t *testing.T) {
	vars := stackEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"migrate"}, {"seed", "demo"}} {
		if out, err := command(ctx, vars, args...).CombinedOutput(); err != nil {
			t.Fatalf("whistle %v: %v\n%s", args, err, out)
		}
	}
	// A few more district entries, as the administrators' work makes.
	store, err := postgres.Open(ctx, vars["WHISTLE_DATABASE_URL"], 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range 6 {
		if _, err := postgres.NewAuditStore(store).Append(ctx, audit.Entry{Chain: audit.DistrictChain, Action: "test.touch",
			EntityType: "test", EntityID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := command(ctx, vars, "audit", "anchor").CombinedOutput()
	if err != nil {
		t.Fatalf("anchor: %v\n%s", err, out)
	}
	var anchored int64
	for _, line := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(line, "anchored chain district seq %d", &anchored); err == nil {
			break
		}
	}
	if anchored < 5 {
		t.Fatalf("no district anchor in:\n%s", out)
	}
	// Intact, and what is not anchored yet is said: the anchoring's record.
	out, err = command(ctx, vars, "audit", "verify").CombinedOutput()
	if gap := fmt.Sprintf("anchored up to seq %d; 1 entries since", anchored); err != nil || !strings.Contains(string(out), gap) {
		t.Fatalf("verify before truncation: %v, want %q:\n%s", err, gap, out)
	}

	db, err := sql.Open("pgx", vars["WHISTLE_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	keep := anchored - 3
	for _, stmt := range []string{
		`SET LOCAL session_replication_role = replica`,
		fmt.Sprintf(`DELETE FROM audit_entries WHERE chain = 'district' AND seq > %d`, keep),
		fmt.Sprintf(`UPDATE audit_chain_heads SET (seq, hash) = (SELECT seq, hash FROM audit_entries WHERE chain = 'district' AND seq = %d) WHERE chain = 'district'`, keep),
	} {
		if _, err := tx.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	cmd := command(ctx, vars, "audit", "verify")
	out, _ = cmd.CombinedOutput()
	want := fmt.Sprintf("BROKEN  chain district at seq %d: anchored entry missing", anchored)
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), want) {
		t.Fatalf("verify of a truncated trail exited %d, want 1 and %q:\n%s", cmd.ProcessState.ExitCode(), want, out)
	}
	t.Logf("verify of the truncated trail:\n%s", out)
}

// TestImportCommand imports a CSV of officers, and refuses a bad one whole.
func TestImportCommand(t *testing.T) {
	vars := stackEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"migrate"}, {"seed", "demo"}} {
		if out, err := command(ctx, vars, args...).CombinedOutput(); err != nil {
			t.Fatalf("whistle %v: %v\n%s", args, err, out)
		}
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "officers.csv")
	os.WriteFile(good, []byte("code,name_zh,department_code,auxiliary,auxiliary_role,phone,team_code,position,from,to\n"+
		"a-cg-50,孙丽,cg,false,,13800000050,team-st-a,member,2026-11-01,\n"), 0o644)
	out, err := command(ctx, vars, "import", good, "officers").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "imported: 1 officers") {
		t.Fatalf("import good CSV: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("code,name_zh,department_code,auxiliary,auxiliary_role,phone,team_code,position,from,to\n"+
		"a-cg-51,周杰,cg,false,,,team-st-a,member,2026-11-01,\n"+
		"a-cg-52,吴磊,nope,false,,,team-st-a,member,2026-11-01,\n"), 0o644)
	out, err = command(ctx, vars, "import", bad, "officers").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "officers row 2 (a-cg-52) department_code") {
		t.Fatalf("import bad CSV: %v\n%s", err, out)
	}
	db, _ := sql.Open("pgx", vars["WHISTLE_DATABASE_URL"])
	defer db.Close()
	var n int
	db.QueryRow(`SELECT count(*) FROM officers WHERE code = 'a-cg-51'`).Scan(&n)
	if n != 0 {
		t.Fatal("the good row of a rejected import was written")
	}
}

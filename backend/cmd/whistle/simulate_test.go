package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
	"github.com/whistle/whistle/sync/client"
)

// simulateFigures reads the summary's "name: N" lines.
func simulateFigures(out string) map[string]int {
	figures := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z]+): +(\d+)`).FindAllStringSubmatch(out, -1) {
		figures[m[1]], _ = strconv.Atoi(m[2])
	}
	return figures
}

// TestSimulate plays four phones through a field day against the real
// binary on the throwaway stack: nothing acknowledged is lost or
// duplicated, every act recorded is acknowledged, every photo verified, and
// the demo's hard cases come back flagged with their reasons. Then a forged
// acknowledgment, one the server never gave, makes the check fail.
func TestSimulate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	vars := migratedStack(t, ctx)
	_, logs := startServe(t, ctx, vars)
	dir := t.TempDir()
	simulate := func(wantExit int, args ...string) string {
		t.Helper()
		cmd := command(ctx, nil, append([]string{"simulate", "-server", "http://" + vars["WHISTLE_ADDR"], "-dir", dir}, args...)...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if code := cmd.ProcessState.ExitCode(); code != wantExit || (err != nil && !errors.As(err, &exit)) {
			t.Fatalf("whistle simulate %v exited %d (%v), want %d:\n%s\nserver log:\n%s", args, code, err, wantExit, out, logs)
		}
		return string(out)
	}

	if out := simulate(2); !strings.Contains(out, "usage: whistle simulate") {
		t.Fatalf("simulate without -officers: %s", out)
	}
	out := simulate(0, "-officers", "4", "-acts", "5", "-seed", "7", "-photos", "2", "-offline", "3")
	t.Logf("whistle simulate:\n%s", out)
	got := simulateFigures(out)
	const acts = 4 * 5
	for name, want := range map[string]int{"officers": 4, "recorded": acts, "acknowledged": acts, "lost": 0, "duplicated": 0,
		"incomplete": 0, "unsent": 0, "behind": 0, "rejected": 0} {
		if got[name] != want {
			t.Errorf("%s: %d, want %d", name, got[name], want)
		}
	}
	if got["applied"]+got["duplicate"]+got["flagged"] != acts {
		t.Errorf("applied %d + duplicate %d + flagged %d, want %d", got["applied"], got["duplicate"], got["flagged"], acts)
	}
	if got["photos"] < acts || got["verified"] != got["photos"] {
		t.Errorf("%d photos, %d verified: want at least one a record, all verified", got["photos"], got["verified"])
	}
	// Each phone's five acts are the five crews, hard cases included.
	for _, reason := range []string{inspection.ExRecorderNotInCrew, inspection.ExMixedCrewSeizure} {
		if !regexp.MustCompile(`(?m)^flagged: .*\b` + reason + ` 4\b`).MatchString(out) {
			t.Errorf("flagged: want %s 4 (one per phone)", reason)
		}
	}
	if !strings.Contains(out, "check: passed") {
		t.Errorf("no \"check: passed\"")
	}

	// A result the server never gave, logged on phone 0 as if applied.
	forged := uuid.NewString()
	line, err := json.Marshal(client.LoggedResult{Name: inspection.MutationRecord, LoggedAt: time.Now(),
		Result: wsync.Result{Seq: acts + 1, EntityID: forged, Verdict: wsync.Applied}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "0", "results.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out = simulate(1, "-check")
	got = simulateFigures(out)
	if got["lost"] != 1 || got["acknowledged"] != acts+1 || got["duplicated"] != 0 || !regexp.MustCompile(`problem: phone 0: .*`+forged+`.* is not on the server`).MatchString(out) ||
		!strings.Contains(out, "check: FAILED") {
		t.Errorf("check of a forged acknowledgment: want lost 1 naming %s:\n%s", forged, out)
	}
}

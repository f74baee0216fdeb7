package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/simulate"
)

const simulateUsage = `usage: whistle simulate -server URL -officers N [flags]
       whistle simulate -check -server URL -dir DIR

Plays N officers' phones (the demo's officer logins, cycled) through a field
day on the API at URL, then checks the server: every acknowledged act present
exactly once, every photo verified, every record complete or flagged for a
stated reason, every outbox empty and cursor caught up. Prints a summary and
exits 1 on any loss, duplicate or failed check. The officers' password comes
from $WHISTLE_SIMULATE_PASSWORD (default: the demo's).

flags:
  -server URL       the API (default http://127.0.0.1:8080)
  -officers N       phones to play
  -acts A           acts per phone (default 5)
  -seed S           the plan's seed (default 1): same seed, same day
  -photos K         at most K photos per act (default 2)
  -photo-bytes B    pad each photo to at least B bytes (e.g. 2000000; default as drawn)
  -offline P        longest offline stretch, in acts (default 3)
  -dir DIR          the phones' directories DIR/<i> (default: a new temporary one)
  -check            only check the phones already in DIR
`

// simulateCommand runs `whistle simulate`. Like `whistle device`, it needs
// no server configuration: it talks to the API as phones do.
func simulateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.String("server", "http://127.0.0.1:8080", "")
	officers := fs.Int("officers", 0, "")
	acts := fs.Int("acts", 5, "")
	seed := fs.Uint64("seed", 1, "")
	photos := fs.Int("photos", 2, "")
	photoBytes := fs.Int("photo-bytes", 0, "")
	offline := fs.Int("offline", 3, "")
	dir := fs.String("dir", "", "")
	checkOnly := fs.Bool("check", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || (!*checkOnly && *officers <= 0) || (*checkOnly && *dir == "") ||
		*acts <= 0 || *photos <= 0 || *offline <= 0 || *photoBytes < 0 {
		fmt.Fprint(stderr, simulateUsage)
		return errDeviceUsage // exit 2, the usage printed: as for `whistle device`
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "whistle-simulate-")
		if err != nil {
			return err
		}
		*dir = d
	}
	cfg := simulate.Config{
		Server: *server, Officers: *officers, Acts: *acts, Seed: *seed, Photos: *photos, PhotoBytes: *photoBytes,
		Offline: *offline, Dir: *dir, Password: getenv("WHISTLE_SIMULATE_PASSWORD"), Now: clock.System(),
		Photo: simulatePhoto, Log: stderr,
	}
	var (
		sum simulate.Summary
		err error
	)
	if *checkOnly {
		sum, err = simulate.Check(ctx, cfg)
	} else {
		fmt.Fprintf(stdout, "phones in %s\n", *dir)
		sum, err = simulate.Run(ctx, cfg)
	}
	if err != nil {
		return err
	}
	sum.Write(stdout)
	if !sum.OK() {
		return errSimulateFailed
	}
	return nil
}

// errSimulateFailed is a check that found a loss, a duplicate or another
// failure; the summary says which.
var errSimulateFailed = errors.New("simulate: the check failed (see the summary)")

// simulatePhoto draws photo i of an act with the demo story's generator: a
// street scene with caption drawn on it.
func simulatePhoto(caption string, lat float64, i int) []byte {
	return storyPhoto(storyRecord{name: "simulate/" + strconv.Itoa(len(caption)), findings: caption, lat: lat}, i)
}

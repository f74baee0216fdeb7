// Command whistle is the Whistle backend: the API server and its
// administration commands. This is the only place that knows the concrete
// types; it reads the configuration and wires them together.
//
//	whistle serve          run the API
//	whistle migrate        apply pending database migrations
//	whistle seed demo      load the demo data set (development only)
//	whistle import FILE    import organization data (JSON dataset, or CSV of one section)
//	whistle audit verify   recompute the audit hash chains against the anchored heads; exit 1 at a broken link
//	whistle audit anchor   sign the chain heads into the evidence bucket under Object Lock
//	whistle audit export   write the audit trail as JSON lines
//	whistle archive verify check a case's export bundle with the server's public key alone
//	whistle archive pubkey print the public key of WHISTLE_SIGNING_KEY
//	whistle sync purge     delete sync tombstones older than their retention
//	whistle device ...     a command-line phone: record offline, push, pull
//	whistle simulate ...   play officers' phones through a field day, then check the server
//	whistle keygen         print a new WHISTLE_SIGNING_KEY
//	whistle healthcheck    exit 0 if the API at WHISTLE_ADDR is alive (for container HEALTHCHECK)
//	whistle version        print the version
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: whistle <command>

commands:
  serve       run the API (configuration: WHISTLE_* variables, see docs/OPERATIONS.md)
  migrate     apply pending database migrations
  seed demo   load the demo data set (refused when WHISTLE_ENV=production)
  import FILE [SECTION]
              import organization data: a JSON dataset, or a CSV file of one
              section (officers, certificates, matters); whole or not at all
  audit verify [CHAIN]
              recompute the audit hash chains against the heads anchored in
              the evidence bucket, report the gap since the last anchor;
              exit 1 at the first broken link
  audit anchor
              sign the chain heads into the evidence bucket under Object Lock
  audit export
              write the whole audit trail as JSON lines
  archive verify BUNDLE.zip [--key PUBLIC_KEY]
              check a case's export bundle with the server's public key alone
              (hex or base64; default WHISTLE_PUBLIC_KEY); exit 1 naming each
              failure
  archive pubkey
              print the public key of WHISTLE_SIGNING_KEY (base64, then hex)
  sync purge  delete sync tombstones older than WHISTLE_SYNC_TOMBSTONE_RETENTION
              (serve does it hourly); older device cursors re-bootstrap
  device [-dir DIR] init|login|record|push|pull|sync|status
              a command-line phone that records acts offline and syncs them
              later (whistle device for its usage)
  simulate -server URL -officers N [-seed S] [-photos K] [-offline P] [-dir DIR]
              play N officers' phones through a field day on the API, then
              check that nothing acknowledged was lost or duplicated; exit 1
              if it was (whistle simulate for its flags)
  keygen      print a new random WHISTLE_SIGNING_KEY
  healthcheck exit 0 if GET /healthz of the API at WHISTLE_ADDR answers 200
  version     print the version
`

// errUsage marks a command line that cannot be run; main exits 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code := exitCode(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr), os.Stderr); code != 0 {
		os.Exit(code)
	}
}

// exitCode is the exit status of a command that returned err, which it
// writes to stderr: 0 for none, 2 for a command line that cannot be run
// (with the usage), 1 for anything else (a bad configuration, a failed
// verification).
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errDeviceUsage):
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, usage)
		return 2
	default:
		fmt.Fprintln(stderr, "whistle:", err)
		return 1
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "whistle", versionString())
		return nil
	case "keygen":
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return err
		}
		fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(seed))
		return nil
	case "device":
		// A device needs no server configuration, only its directory.
		return deviceCommand(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "simulate":
		return simulateCommand(ctx, args[1:], getenv, stdout, stderr)
	case "archive":
		// Verifying needs the public key alone, no server configuration.
		return archiveCommand(args[1:], getenv, stdout)
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(newLogHandler(stderr, cfg.LogLevel))
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg.Addr)
	case "import":
		return importCommand(ctx, cfg, args[1:], stdout)
	case "audit":
		return auditCommand(ctx, cfg, args[1:], stdout)
	case "sync":
		return syncCommand(ctx, cfg, args[1:], stdout)
	case "seed":
		if len(args) != 2 || args[1] != "demo" {
			return errUsage
		}
		return seedDemo(ctx, cfg, stdout)
	}
	return errUsage
}

// versionString is the build version and, when built from a checkout, its commit.
func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

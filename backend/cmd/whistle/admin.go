package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/argon2id"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/media"
)

// errBroken makes `whistle audit verify` exit non-zero on a broken chain.
var errBroken = errors.New("audit trail verification failed")

// auditCommand runs `whistle audit verify [chain]`, `whistle audit anchor`
// and `whistle audit export`.
func auditCommand(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	store := postgres.NewAuditStore(db)
	switch args[0] {
	case "verify":
		chain := ""
		if len(args) > 1 {
			chain = args[1]
		}
		objects, err := objectStore(ctx, cfg)
		if err != nil {
			return err
		}
		report, err := newTrail(cfg, db, objects).Verify(ctx, chain)
		if err != nil {
			return err
		}
		printReport(out, report, cfg.Clock())
		if report.Break != nil {
			return errBroken
		}
		fmt.Fprintf(out, "verified %d chain(s): intact\n", len(report.Heads))
		return nil
	case "anchor":
		objects, err := objectStore(ctx, cfg)
		if err != nil {
			return err
		}
		anchors, brk, err := newTrail(cfg, db, objects).Anchor(ctx, cfg.Clock())
		if err != nil {
			return err
		}
		if brk != nil {
			fmt.Fprintf(out, "BROKEN  chain %s at seq %d: %s: nothing anchored\n", brk.Chain, brk.Seq, brk.Reason)
			return errBroken
		}
		for _, a := range anchors {
			fmt.Fprintf(out, "anchored chain %s seq %d at %s/%s (version %s, %s until %s)\n", a.Chain, a.Seq,
				cfg.S3.Bucket, a.Key, a.VersionID, cfg.LockMode, cfg.Clock().Add(cfg.LockRetention).UTC().Format(time.DateOnly))
		}
		return nil
	case "export":
		return store.Export(ctx, audit.Filter{}, out)
	}
	return errUsage
}

// objectStore connects to the evidence bucket of cfg.
func objectStore(ctx context.Context, cfg Config) (*media.Store, error) {
	objects, err := media.New(cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("WHISTLE_S3_ENDPOINT: %w", err)
	}
	if err := ensureBucket(ctx, objects, cfg.StartupTimeout); err != nil {
		return nil, fmt.Errorf("WHISTLE_S3_ENDPOINT: %w", err)
	}
	return objects, nil
}

// printReport writes what `whistle audit verify` found: each chain's head
// and its gap since the last anchor, untrusted anchors, and the break.
func printReport(out io.Writer, r audit.Report, now time.Time) {
	for i, h := range r.Heads {
		fmt.Fprintf(out, "ok      chain %-38s %6d entries  head %s\n", h.Chain, h.Seq, h.Hash)
		g := r.Gaps[i]
		switch {
		case g.Anchored.Seq > h.Seq:
			// the chain lost anchored entries: the break says so
		case g.Anchored.Seq == 0:
			fmt.Fprintf(out, "        not anchored yet: %d entries could be lost unnoticed\n", g.Entries)
		default:
			fmt.Fprintf(out, "        anchored up to seq %d; %d entries since, for %s\n", g.Anchored.Seq, g.Entries,
				g.Age(now).Round(time.Second))
		}
	}
	for _, k := range r.Untrusted {
		fmt.Fprintf(out, "WARNING anchor %s is not a head signed by this server's key: not used\n", k)
	}
	if b := r.Break; b != nil {
		fmt.Fprintf(out, "BROKEN  chain %s at seq %d: %s %s\n", b.Chain, b.Seq, b.Reason, b.Detail)
	}
}

// importCommand runs `whistle import FILE [SECTION]`: a JSON dataset, or a
// CSV file of one section (officers, certificates, matters), whole or not at all.
func importCommand(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 || len(args) > 2 {
		return errUsage
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	var ds org.Dataset
	if strings.EqualFold(filepath.Ext(args[0]), ".csv") {
		if len(args) != 2 {
			return fmt.Errorf("a CSV import names its section: whistle import FILE.csv officers|certificates|matters")
		}
		var rep org.Report
		ds, rep = org.ParseCSV(org.Section(args[1]), f)
		if len(rep.Rejected) > 0 {
			return printRejected(out, rep)
		}
	} else {
		dec := json.NewDecoder(f)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ds); err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
	}
	rep, err := importDataset(ctx, cfg, ds, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "imported: %s\n", rep.Summary())
	return nil
}

// importDataset applies ds through the same import as the API, whole or not
// at all; a rejected import prints every row at fault and fails.
func importDataset(ctx context.Context, cfg Config, ds org.Dataset, out io.Writer) (org.Report, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return org.Report{}, err
	}
	defer db.Close()
	rep, err := org.Import(ctx, postgres.NewOrgStore(db), argon2id.Hasher{Params: argon2id.Default}, ds)
	if err != nil {
		return rep, err
	}
	if !rep.Applied {
		return rep, printRejected(out, rep)
	}
	return rep, nil
}

func printRejected(out io.Writer, rep org.Report) error {
	for _, r := range rep.Rejected {
		fmt.Fprintln(out, "rejected:", r)
	}
	return fmt.Errorf("import rejected: %d row(s) at fault, nothing was written", len(rep.Rejected))
}

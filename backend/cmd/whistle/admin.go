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
		heads, brk, err := store.Verify(ctx, chain)
		if err != nil {
			return err
		}
		for _, h := range heads {
			fmt.Fprintf(out, "ok      chain %-38s %6d entries  head %s\n", h.Chain, h.Seq, h.Hash)
		}
		if brk != nil {
			fmt.Fprintf(out, "BROKEN  chain %s at seq %d: %s %s\n", brk.Chain, brk.Seq, brk.Reason, brk.Detail)
			return errBroken
		}
		fmt.Fprintf(out, "verified %d chain(s): intact\n", len(heads))
		return nil
	case "anchor":
		objects, err := media.New(cfg.S3)
		if err != nil {
			return fmt.Errorf("WHISTLE_S3_ENDPOINT: %w", err)
		}
		if err := ensureBucket(ctx, objects, cfg.StartupTimeout); err != nil {
			return fmt.Errorf("WHISTLE_S3_ENDPOINT: %w", err)
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

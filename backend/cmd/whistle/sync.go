package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/whistle/whistle/backend/postgres"
)

// syncCommand runs `whistle sync purge`: it deletes the sync tombstones
// (deletion records) older than WHISTLE_SYNC_TOMBSTONE_RETENTION. A device
// whose cursor of a scope is older than a purged tombstone gets 410 and
// re-bootstraps that scope, keeping its unsent acts.
func syncCommand(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "purge" {
		return errUsage
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.StartupTimeout)
	if err != nil {
		return fmt.Errorf("WHISTLE_DATABASE_URL: %w", err)
	}
	defer db.Close()
	before := time.Now().Add(-cfg.TombstoneRetention).UTC()
	n, err := postgres.NewSyncStore(db).PurgeTombstones(ctx, before)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "purged %d sync tombstone(s) older than %s (before %s)\n", n, cfg.TombstoneRetention, before.Format(time.RFC3339))
	return nil
}

// purgeTombstonesPeriodically runs the purge of `whistle sync purge` every
// interval until ctx ends. Several instances may do it at once: each purge
// is one transaction, and a second one finds nothing left.
func purgeTombstonesPeriodically(ctx context.Context, log *slog.Logger, store *postgres.SyncStore, retention, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, every)
		n, err := store.PurgeTombstones(pctx, time.Now().Add(-retention))
		cancel()
		if err != nil {
			log.Error("sync tombstone purge failed", "err", err.Error())
			continue
		}
		log.Info("sync tombstones purged", "count", n, "retention", retention.String())
	}
}

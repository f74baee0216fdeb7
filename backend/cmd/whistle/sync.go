package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/whistle/whistle/backend/clock"
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
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	before := cfg.Clock().Add(-cfg.TombstoneRetention).UTC()
	n, err := postgres.NewSyncStore(db).PurgeTombstones(ctx, before)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "purged %d sync tombstone(s) older than %s (before %s)\n", n, cfg.TombstoneRetention, before.Format(time.RFC3339))
	return nil
}

// purge is the hourly purge run by the jobs: the sync tombstones of
// `whistle sync purge`, and the answers of idempotent creates older than
// their retention. A second instance purging at once finds nothing left.
func purge(log *slog.Logger, store *postgres.SyncStore, retention time.Duration,
	keys *postgres.IdempotencyStore, keyRetention time.Duration, now clock.Clock) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n, err := store.PurgeTombstones(ctx, now().Add(-retention))
		if err != nil {
			return err
		}
		log.Info("sync tombstones purged", "count", n, "retention", retention.String())
		n, err = keys.Purge(ctx, now().Add(-keyRetention))
		if err != nil {
			return err
		}
		log.Info("idempotency keys purged", "count", n, "retention", keyRetention.String())
		return nil
	}
}

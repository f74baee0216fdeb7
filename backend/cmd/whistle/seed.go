package main

import (
	"context"
	"fmt"
	"io"

	"github.com/whistle/whistle/backend/org/demo"
)

// seedDemo loads the demo data set through the same import as admins use,
// then the demo story (seedStory: records with photos, cases, whistles)
// through the API's commands. It can run again: rows are updated by their
// codes, demo logins get their demo password back, and the story's objects,
// of fixed ids, are written once. Its dates are those of the day it runs
// (see demo.Dataset and demo.Story).
func seedDemo(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.Env == "production" {
		return errProduction
	}
	ds, err := demo.Dataset(cfg.Clock.Today())
	if err != nil {
		return err
	}
	rep, err := importDataset(ctx, cfg, ds, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo data: %s\n", rep.Summary())
	if err := seedStory(ctx, cfg, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo logins (password for all: %s):\n", demo.Password)
	for _, l := range ds.Logins {
		scope := l.StreetCode + l.DepartmentCode + l.CommunityCode
		if l.OfficerCode != "" {
			scope = "officer " + l.OfficerCode
			if l.StreetCode != "" {
				scope += ", street " + l.StreetCode
			}
		}
		fmt.Fprintf(out, "  %-14s %-14s %s\n", l.Username, l.Role, scope)
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"

	"github.com/whistle/whistle/backend/argon2id"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
)

// seedDemo loads the demo data set through the same import as admins use.
// It can run again: rows are updated by their codes, and demo logins get
// their demo password back.
func seedDemo(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.Env == "production" {
		return errProduction
	}
	ds, err := demo.Dataset()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.StartupTimeout)
	if err != nil {
		return fmt.Errorf("WHISTLE_DATABASE_URL: %w", err)
	}
	defer db.Close()
	rep, err := org.Import(ctx, postgres.NewOrgStore(db), argon2id.Hasher{Params: argon2id.Default}, ds)
	if err != nil {
		return err
	}
	if !rep.Applied {
		for _, r := range rep.Rejected {
			fmt.Fprintln(out, "rejected:", r)
		}
		return fmt.Errorf("the demo data set was rejected (%d rows)", len(rep.Rejected))
	}
	fmt.Fprintf(out, "demo data: %d departments, %d streets, %d officers, %d certificates, %d matters\n",
		rep.Counts[org.SectionDepartments], rep.Counts[org.SectionStreets], rep.Counts[org.SectionOfficers],
		rep.Counts[org.SectionCertificates], rep.Counts[org.SectionMatters])
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

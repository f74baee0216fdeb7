package main

import (
	"context"
	"fmt"
	"io"

	"github.com/whistle/whistle/backend/argon2id"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/postgres"
)

// DemoPassword is the password of every demo login. The demo data set is
// refused in production, so it can be printed.
const DemoPassword = "whistle-demo"

// demoUsers are the logins of the demo data set.
var demoUsers = []identity.User{
	{Username: "admin", DisplayName: "区管理员 District administrator", Role: identity.RoleAdmin},
}

// seedDemo loads the demo data set. It can run again: existing demo logins
// are reset to their demo values, nothing else is touched.
func seedDemo(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.Env == "production" {
		return errProduction
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.StartupTimeout)
	if err != nil {
		return fmt.Errorf("WHISTLE_DATABASE_URL: %w", err)
	}
	defer db.Close()
	users := postgres.NewUserStore(db)
	hasher := argon2id.Hasher{Params: argon2id.Default}
	fmt.Fprintln(out, "demo logins (password for all: "+DemoPassword+"):")
	for _, u := range demoUsers {
		u.PasswordHash, err = hasher.Hash(DemoPassword)
		if err != nil {
			return err
		}
		if _, err := users.PutUser(ctx, u); err != nil {
			return fmt.Errorf("seed %s: %w", u.Username, err)
		}
		fmt.Fprintf(out, "  %-14s %s\n", u.Username, u.Role)
	}
	return nil
}

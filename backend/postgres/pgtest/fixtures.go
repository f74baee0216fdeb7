package pgtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/argon2id"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/jwt"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
)

// Hasher is Argon2id with its cheapest parameters: tests log in and import
// logins often. Never use it outside tests.
var Hasher = argon2id.Hasher{Params: argon2id.Params{Memory: 1024, Time: 1, Threads: 1}}

// LoadDemo imports the demo data set into db through the admins' import,
// failing t if it is rejected.
func LoadDemo(t testing.TB, db *postgres.DB) {
	t.Helper()
	ds, err := demo.Dataset(db.Clock.Today())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := org.Import(context.Background(), postgres.NewOrgStore(db), Hasher, ds)
	if err != nil || !rep.Applied {
		t.Fatalf("pgtest: import the demo data: %v %+v", err, rep.Rejected)
	}
}

// Identity returns the identity service over db's stores, as serve wires
// it, signing access tokens (valid 15 minutes) with a fresh key, except
// that every request's token is checked against the database
// (SessionCheckTTL 0): tests end sessions and disable accounts by writing
// the stores directly and expect the next request to be refused.
func Identity(t testing.TB, db *postgres.DB) *identity.Service {
	t.Helper()
	return IdentityWith(t, db, 0)
}

// ServingIdentity is Identity exactly as serve wires it: a successful
// session check reused for identity.DefaultSessionCheckTTL. For the
// benchmarks, which measure what production does.
func ServingIdentity(t testing.TB, db *postgres.DB) *identity.Service {
	t.Helper()
	return IdentityWith(t, db, identity.DefaultSessionCheckTTL)
}

// IdentityWith is Identity with the given Options.SessionCheckTTL.
func IdentityWith(t testing.TB, db *postgres.DB, sessionCheckTTL time.Duration) *identity.Service {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := identity.NewService(identity.Options{
		Users:     postgres.NewUserStore(db),
		Sessions:  postgres.NewSessionStore(db),
		Throttles: postgres.NewThrottleStore(db),
		Passwords: Hasher,
		Tokens:    jwt.NewSigner(key, 15*time.Minute, db.Clock),
		Now:       db.Clock,

		SessionCheckTTL: sessionCheckTTL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

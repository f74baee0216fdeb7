// Package postgres is the PostgreSQL adapter: it opens the database through
// GORM, applies the embedded goose migrations, implements the domain stores,
// and translates PostgreSQL errors into derrors codes at its edge.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	pgdriver "gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Migrations is the versioned schema, embedded in the binary.
var Migrations, _ = fs.Sub(embedded, "migrations")

// errNotFound stands for a lookup that cannot match any row.
var errNotFound = gorm.ErrRecordNotFound

// DB is an open database.
type DB struct {
	Gorm *gorm.DB
	SQL  *sql.DB
	// Clock stamps the times the stores write and is the "now" of every
	// date rule they evaluate in SQL (never PostgreSQL's now()). Open sets
	// the machine's clock; main and tests may replace it before use.
	Clock clock.Clock
	// TxAttempts is how many times a transaction the store opens is run
	// when a concurrent transaction undid it (0: DefaultTxAttempts).
	TxAttempts int
	// Jobs inserts background jobs in the transaction of the change that
	// calls for them (backend/jobs, over River). main sets it before use;
	// nil (store tests) inserts none.
	Jobs Jobs
	// Deadlines are the periods and the calendar statutory deadlines are
	// counted with (configuration); nil: the law's periods on the built-in
	// calendar (DefaultDeadlineRules).
	Deadlines *DeadlineRules
}

// Jobs is what the stores need of the job queue: inserting, in the
// transaction they write in, the jobs their changes call for.
type Jobs interface {
	// ThumbnailTx inserts the job deriving the thumbnail of a verified item.
	ThumbnailTx(ctx context.Context, tx *sql.Tx, evidenceID string) error
	// EscalateTx inserts the job escalating a deadline at its due instant
	// (DeadlineStore.Escalate).
	EscalateTx(ctx context.Context, tx *sql.Tx, deadlineID string, due time.Time) error
	// WhistleEscalateTx inserts the job escalating a step of a whistle's called department at
	// its due instant (WhistleStore.Escalate).
	WhistleEscalateTx(ctx context.Context, tx *sql.Tx, whistleID, department, step string, due time.Time) error
}

// sqlTx is the database/sql transaction under a GORM transaction, for the
// job queue to insert in.
func sqlTx(tx *gorm.DB) (*sql.Tx, error) {
	if t, ok := tx.Statement.ConnPool.(*sql.Tx); ok {
		return t, nil
	}
	return nil, derrors.New(derrors.Internal, "no database/sql transaction to insert a job in")
}

// now reads the database's clock, in UTC.
func (db *DB) now() time.Time { return db.Clock().UTC() }

// Open connects to the database at dsn, retrying until timeout passes, so
// that the service can start alongside its database. It returns a
// derrors.Unavailable error when the database is still unreachable.
func Open(ctx context.Context, dsn string, timeout time.Duration) (*DB, error) {
	g, err := gorm.Open(pgdriver.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // each store method owns its transaction explicitly
		DisableAutomaticPing:   true, // Open pings itself, retrying until its timeout
	})
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Unavailable, "cannot configure the database connection")
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Unavailable, "cannot configure the database connection")
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)

	deadline := time.Now().Add(timeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = sqlDB.PingContext(pctx)
		cancel()
		if err == nil {
			return &DB{Gorm: g, SQL: sqlDB, Clock: clock.System()}, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = sqlDB.Close()
			return nil, derrors.Wrap(err, derrors.Unavailable, fmt.Sprintf("database %s unreachable after %s", Redact(dsn), timeout))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.SQL.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return derrors.Wrap(err, derrors.Unavailable, "database unreachable")
	}
	return nil
}

// Migrate applies every pending migration: the application's (goose), then
// River's job tables (rivermigrate, see backend/jobs). It holds PostgreSQL
// advisory locks while it runs, so several instances starting at once apply
// each migration exactly once.
func Migrate(ctx context.Context, db *sql.DB) ([]string, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 120))
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]string, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	river, err := migrateRiver(ctx, db)
	return append(applied, river...), err
}

// riverMigrateLock is the advisory lock key under which River's schema is
// migrated (rivermigrate takes none itself).
const riverMigrateLock = 0x5768_6973_746c_6552 // "WhistleR"

// migrateRiver applies River's pending migrations (each in its own
// transaction: one adds an enum value the next uses) while a session
// advisory lock, held on a connection of its own, keeps other instances
// waiting.
func migrateRiver(ctx context.Context, db *sql.DB) ([]string, error) {
	migrator, err := rivermigrate.New(riverdatabasesql.New(db), nil)
	if err != nil {
		return nil, fmt.Errorf("migrate river: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate river: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(riverMigrateLock)); err != nil {
		return nil, fmt.Errorf("migrate river: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(riverMigrateLock))
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate river: %w", err)
	}
	applied := make([]string, 0, len(res.Versions))
	for _, v := range res.Versions {
		applied = append(applied, fmt.Sprintf("river %03d %s", v.Version, v.Name))
	}
	return applied, nil
}

// Redact returns dsn with its password replaced, for logs and error messages.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// translate turns PostgreSQL and GORM errors into derrors codes; msg says what
// was being done. Failures that may pass if tried again get a transient code
// (derrors.Code.Transient): a concurrent change (Contention), a lost or
// refused connection (Unavailable), a deadline (Timeout). Translated errors
// keep their cause, so a transaction can still tell what happened.
func translate(err error, msg string) error {
	if err == nil {
		return nil
	}
	var de *derrors.Error
	if errors.As(err, &de) {
		return err // translated already, by a store method or a domain rule
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return derrors.Wrap(err, derrors.NotFound, msg+": not found")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return derrors.Wrap(err, derrors.Timeout, msg+": timed out")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == "23505": // unique_violation
			return derrors.Wrap(err, derrors.Conflict, msg+": already exists")
		case code == "23503", code == "23514", code == "22P02", code == "23502": // foreign key, check, invalid text, not null
			return derrors.Wrap(err, derrors.Invalid, msg+": "+pgErr.Message)
		case contended(pgErr):
			return derrors.Wrap(err, derrors.Contention, msg+": concurrent change, retry")
		case code == "57014": // query_canceled (statement timeout or cancelled context)
			return derrors.Wrap(err, derrors.Timeout, msg+": cancelled")
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03", code == "53300":
			// connection exception, shutdown, cannot connect now, too many connections
			return derrors.Wrap(err, derrors.Unavailable, msg+": database unavailable")
		}
		return fmt.Errorf("%s: %w", msg, err)
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, sql.ErrConnDone) {
		return derrors.Wrap(err, derrors.Unavailable, msg+": database unreachable")
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// contended reports whether e is a failure caused by a concurrent
// transaction, after which the whole transaction was undone and may be run
// again: a serialization failure, a deadlock, or a lock not available.
func contended(e *pgconn.PgError) bool {
	return e.Code == "40001" || e.Code == "40P01" || e.Code == "55P03"
}

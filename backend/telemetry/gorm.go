package telemetry

import (
	"errors"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

// spanKey is where a statement's span waits between GORM's before and after
// callbacks.
const spanKey = "whistle:otel-span"

// TraceGORM adds a client span for every SQL statement run through db, a
// child of the span in the statement's context (db.WithContext), named by
// the statement's verb ("SQL SELECT"). The span carries the statement text
// with its placeholders, never its parameters: they carry personal data of
// parties and officers.
//
// It is written here rather than taken from gorm.io/plugin/opentelemetry,
// which links the MySQL, SQLite and ClickHouse drivers into the binary.
func TraceGORM(db *gorm.DB, tp trace.TracerProvider) error {
	tracer := tp.Tracer("github.com/whistle/whistle/backend/telemetry")
	before := func(tx *gorm.DB) {
		ctx, span := tracer.Start(tx.Statement.Context, "SQL", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(semconv.DBSystemNamePostgreSQL))
		tx.Statement.Context = ctx
		tx.InstanceSet(spanKey, span)
	}
	after := func(tx *gorm.DB) {
		v, ok := tx.InstanceGet(spanKey)
		if !ok {
			return
		}
		span := v.(trace.Span)
		defer span.End()
		query := tx.Statement.SQL.String()
		if verb, _, _ := strings.Cut(strings.TrimSpace(query), " "); verb != "" {
			span.SetName("SQL " + strings.ToUpper(verb))
		}
		span.SetAttributes(semconv.DBQueryText(query), attribute.Int64("db.rows_affected", tx.Statement.RowsAffected))
		if table := tx.Statement.Table; table != "" {
			span.SetAttributes(semconv.DBCollectionName(table))
		}
		if err := tx.Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
	}
	cb := db.Callback()
	return errors.Join(
		cb.Create().Before("gorm:create").Register("otel:before_create", before),
		cb.Create().After("gorm:create").Register("otel:after_create", after),
		cb.Query().Before("gorm:query").Register("otel:before_query", before),
		cb.Query().After("gorm:query").Register("otel:after_query", after),
		cb.Update().Before("gorm:update").Register("otel:before_update", before),
		cb.Update().After("gorm:update").Register("otel:after_update", after),
		cb.Delete().Before("gorm:delete").Register("otel:before_delete", before),
		cb.Delete().After("gorm:delete").Register("otel:after_delete", after),
		cb.Row().Before("gorm:row").Register("otel:before_row", before),
		cb.Row().After("gorm:row").Register("otel:after_row", after),
		cb.Raw().Before("gorm:raw").Register("otel:before_raw", before),
		cb.Raw().After("gorm:raw").Register("otel:after_raw", after),
	)
}

package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/openapi"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[derrors.Code]int{
	derrors.BadRequest:            http.StatusBadRequest,
	derrors.Invalid:               http.StatusUnprocessableEntity,
	derrors.Unauthenticated:       http.StatusUnauthorized,
	derrors.Forbidden:             http.StatusForbidden,
	derrors.NotFound:              http.StatusNotFound,
	derrors.MethodNotAllowed:      http.StatusMethodNotAllowed,
	derrors.Conflict:              http.StatusConflict,
	derrors.PayloadTooLarge:       http.StatusRequestEntityTooLarge,
	derrors.UnsupportedMediaType:  http.StatusUnsupportedMediaType,
	derrors.TooManyRequests:       http.StatusTooManyRequests,
	derrors.Timeout:               http.StatusGatewayTimeout,
	derrors.ResyncRequired:        http.StatusGone,
	derrors.UpgradeRequired:       http.StatusUpgradeRequired,
	derrors.Unavailable:           http.StatusServiceUnavailable,
	derrors.Contention:            http.StatusServiceUnavailable,
	derrors.EntityConflict:        http.StatusConflict,
	derrors.Internal:              http.StatusInternalServerError,
	derrors.IdempotencyInFlight:   http.StatusConflict,
	derrors.IdempotencyKeyReused:  http.StatusUnprocessableEntity,
	derrors.Gone:                  http.StatusGone,
	derrors.Locked:                http.StatusLocked,
	derrors.PreconditionFailed:    http.StatusPreconditionFailed,
	derrors.ChecksumMismatch:      StatusChecksumMismatch,
	derrors.EvidenceHashMismatch:  http.StatusUnprocessableEntity,
	derrors.CaseTransitionRefused: http.StatusConflict,
	derrors.CaseDuplicates:        http.StatusConflict,
	derrors.ArchiveIncomplete:     http.StatusConflict,
	derrors.CaseArchived:          http.StatusConflict,
}

// StatusChecksumMismatch is tus's 460 Checksum Mismatch.
const StatusChecksumMismatch = 460

// statusText is http.StatusText, with tus's own status.
func statusText(status int) string {
	if status == StatusChecksumMismatch {
		return "Checksum Mismatch"
	}
	return http.StatusText(status)
}

// codeOfFiberStatus translates Fiber's own errors (no route, body too large...).
var codeOfFiberStatus = map[int]derrors.Code{
	http.StatusBadRequest:            derrors.BadRequest,
	http.StatusNotFound:              derrors.NotFound,
	http.StatusMethodNotAllowed:      derrors.MethodNotAllowed,
	http.StatusRequestEntityTooLarge: derrors.PayloadTooLarge,
	http.StatusUnsupportedMediaType:  derrors.UnsupportedMediaType,
	http.StatusRequestTimeout:        derrors.Timeout,
	http.StatusServiceUnavailable:    derrors.Unavailable,
}

// problemExtender is an error that adds members to its problem body (e.g.
// the readiness checks).
type problemExtender interface {
	extendProblem(p map[string]any)
}

// defaultRetryAfter is what a 429 asks for when the refusal did not say.
const defaultRetryAfter = time.Minute

// retryAfterSeconds is the Retry-After value (RFC 9110 section 10.2.3) for a
// wait of d: whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	if d <= 0 {
		d = defaultRetryAfter
	}
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// errorHandler is the one place errors become responses: RFC 9457
// application/problem+json with a stable code. Internal errors are logged
// with the request id and answered without internals.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var (
			de  *derrors.Error
			fe  *fiber.Error
			ctx = c.UserContext()
		)
		switch {
		case errors.As(err, &de):
		case errors.As(err, &fe):
			code, ok := codeOfFiberStatus[fe.Code]
			if !ok {
				code = derrors.BadRequest
				if fe.Code >= 500 {
					code = derrors.Internal
				}
			}
			de = derrors.Wrap(err, code, fe.Message)
		case errors.Is(err, context.DeadlineExceeded):
			de = derrors.Wrap(err, derrors.Timeout, "the request took longer than its deadline")
		default:
			de = derrors.Wrap(err, derrors.Internal, "internal error")
		}
		status := statusOf[de.Code]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		detail := de.Message
		if de.Code == derrors.Internal {
			log.ErrorContext(ctx, "internal error", "err", err.Error(), "path", c.Path())
			detail = "an internal error occurred; quote the request id when reporting it"
		} else if status >= 500 {
			log.WarnContext(ctx, "request failed", "code", string(de.Code), "err", err.Error())
		}

		p := map[string]any{
			"type":       "urn:whistle:problem:" + string(de.Code),
			"title":      statusText(status),
			"status":     status,
			"code":       string(de.Code),
			"detail":     detail,
			"instance":   c.Path(),
			"request_id": requestIDFrom(ctx),
		}
		if len(de.Fields) > 0 {
			fields := make([]openapi.FieldError, 0, len(de.Fields))
			for _, f := range de.Fields {
				fields = append(fields, openapi.FieldError{Field: f.Field, Message: f.Message})
			}
			p["errors"] = fields
		}
		var ext problemExtender
		if errors.As(err, &ext) {
			ext.extendProblem(p)
		}
		if de.Code == derrors.Unauthenticated {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="whistle"`)
		}
		if status == http.StatusTooManyRequests {
			c.Set(fiber.HeaderRetryAfter, retryAfterSeconds(de.RetryAfter))
		}
		return c.Status(status).JSON(p, "application/problem+json")
	}
}

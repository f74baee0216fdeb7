package api

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/idempotency"
	"github.com/whistle/whistle/openapi"
)

// Headers of idempotent creates.
const (
	// HeaderIdempotencyKey names a create so that it can be sent again
	// safely (IETF httpapi draft "The Idempotency-Key HTTP Header Field").
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplayed marks an answer replayed from a kept one.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
)

// idempotentOperations are the operations of doc that declare the
// Idempotency-Key header, by the strict server's operation id
// (RecordInspection): the contract says which creates honour the key.
func idempotentOperations(doc *openapi3.T) map[string]bool {
	ops := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && p.Value.Name == HeaderIdempotencyKey {
					ops[strings.ToUpper(op.OperationID[:1])+op.OperationID[1:]] = true
				}
			}
		}
	}
	return ops
}

// idempotent is the strict middleware of the creates in ops. A request
// with an Idempotency-Key runs in one transaction that first claims the
// caller's key: a key still held by a request in flight is refused with
// 409 idempotency_key_in_flight; a key kept with the answer of the same
// request (method, path, body) replays that answer (status, body,
// Location, ETag), marked Idempotent-Replayed: true; a key kept for another
// request is refused with 422 idempotency_key_reused. Otherwise the
// create runs in the transaction and a successful answer is kept with it,
// so that a create is never committed without its answer, nor an answer
// without its create. A failed create keeps nothing: its writes are rolled
// back and the key may be used again. Without the header a create runs as
// it always does.
func idempotent(store idempotency.Store, ops map[string]bool) openapi.StrictMiddlewareFunc {
	return func(f openapi.StrictHandlerFunc, op string) openapi.StrictHandlerFunc {
		if store == nil || !ops[op] {
			return f
		}
		return func(c *fiber.Ctx, args any) (any, error) {
			key := idempotencyKey(c.Get(HeaderIdempotencyKey))
			if key == "" {
				return f(c, args)
			}
			who, err := callerFrom(c.UserContext())
			if err != nil {
				return nil, err
			}
			fp := idempotency.Fingerprint(c.Method(), string(c.Request().URI().RequestURI()), c.Body())
			outer := c.UserContext()
			defer c.SetUserContext(outer)
			var replay *idempotency.Answer
			err = store.InTx(outer, func(ctx context.Context) error {
				replay = nil // a retried transaction starts again
				kept, found, err := store.Claim(ctx, who.user.ID, key)
				if err != nil {
					return err
				}
				if found {
					if kept.Fingerprint != fp {
						return derrors.New(derrors.IdempotencyKeyReused, "this Idempotency-Key was used for another request: use a new key for a new request")
					}
					replay = &kept
					return nil
				}
				c.SetUserContext(ctx)
				res, err := f(c, args)
				if err != nil {
					return err
				}
				if err := visit(c, op, res); err != nil {
					return err
				}
				a := answerOf(c, fp)
				if a.Status < 200 || a.Status > 299 {
					return nil
				}
				return store.Keep(ctx, who.user.ID, key, a)
			})
			if err != nil {
				return nil, err
			}
			if replay != nil {
				c.Status(replay.Status)
				c.Set(fiber.HeaderContentType, replay.ContentType)
				if replay.Location != "" {
					c.Set(fiber.HeaderLocation, replay.Location)
				}
				if replay.ETag != "" {
					c.Set(fiber.HeaderETag, replay.ETag)
				}
				c.Set(HeaderIdempotentReplayed, "true")
				c.Response().SetBodyRaw(replay.Body)
			}
			// The answer is written: nothing for the strict handler to visit.
			return nil, nil
		}
	}
}

// idempotencyKey is the key of the header value: the draft's sf-string
// ("8e03978e-..."), or the same without its quotes as most clients send it.
func idempotencyKey(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return strings.Clone(v) // out of Fiber's reused buffer
}

// visit writes the strict handler's response object res of operation op
// into c, as the generated wrapper would after the middlewares (each
// operation's object has its own Visit<op>Response method).
func visit(c *fiber.Ctx, op string, res any) error {
	m := reflect.ValueOf(res).MethodByName("Visit" + op + "Response")
	if !m.IsValid() {
		return fmt.Errorf("idempotent %s: unexpected response type %T", op, res)
	}
	if err, _ := m.Call([]reflect.Value{reflect.ValueOf(c)})[0].Interface().(error); err != nil {
		return err
	}
	return nil
}

// answerOf is the answer c holds, to keep.
func answerOf(c *fiber.Ctx, fp string) idempotency.Answer {
	r := c.Response()
	return idempotency.Answer{Fingerprint: fp, Status: r.StatusCode(), ContentType: string(r.Header.ContentType()),
		Location: string(r.Header.Peek(fiber.HeaderLocation)), ETag: string(r.Header.Peek(fiber.HeaderETag)), Body: append([]byte(nil), r.Body()...)}
}

package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// position is what a cursor holds: the moment and id of the last item of
// a page, in the list's order. Cursors are opaque to clients: base64url of
// its JSON.
type position struct {
	At time.Time `json:"a"`
	ID string    `json:"i"`
}

func encodeCursor(at time.Time, id string) string {
	b, _ := json.Marshal(position{At: at, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the position of the cursor parameter, nil for none;
// derrors.BadRequest naming `cursor` for one this server did not give.
func decodeCursor(cursor *string) (*position, error) {
	if cursor == nil || *cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*cursor)
	var p position
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p.ID == "" || p.At.IsZero() {
		return nil, &derrors.Error{Code: derrors.BadRequest, Message: "the cursor is not one this server gave",
			Fields: []derrors.FieldError{{Field: "cursor", Message: "not a cursor of this list"}}}
	}
	return &p, nil
}

// pageLimit is the limit parameter, or the default page.
func pageLimit(limit *int) int {
	if limit != nil {
		return *limit
	}
	return inspection.DefaultPage
}

// pageIn sets f's page from the cursor and limit parameters of a list.
func pageIn(f *inspection.Filter, cursor *string, limit *int) error {
	f.Limit = pageLimit(limit)
	p, err := decodeCursor(cursor)
	if p != nil {
		f.After = &inspection.Cursor{ActAt: p.At, ID: p.ID}
	}
	return err
}

// nextInspections is the Link header of the page after list.
func nextInspections(ctx context.Context, list []inspection.State, limit int) *string {
	if len(list) == 0 {
		return nil
	}
	last := list[len(list)-1]
	return nextLink(ctx, len(list), limit, encodeCursor(last.ActAt, last.Record.ID))
}

// nextLink is the RFC 8288 Link header of the page after a page of n
// items ending at cursor, or nil on the last page (fewer items than the
// limit).
func nextLink(ctx context.Context, n, limit int, cursor string) *string {
	if n == 0 || n < limit {
		return nil
	}
	return linkNext(ctx, map[string]string{"cursor": cursor, "limit": strconv.Itoa(limit)})
}

// linkNext is a Link header rel="next" to the request's own path and
// query with params set.
func linkNext(ctx context.Context, params map[string]string) *string {
	u, _ := ctx.Value(requestURIKey).(*url.URL)
	if u == nil {
		return nil
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	link := "<" + u.Path + "?" + q.Encode() + `>; rel="next"`
	return &link
}

// requestURIKey carries the request's path and query into paged handlers,
// for their Link header.
const requestURIKey ctxKey = 102

// pagedOperations are the lists answering a Link header to their next page.
var pagedOperations = map[string]bool{"ListInspections": true, "ReviewQueue": true, "ListEvidenceOrphans": true, "QueryAudit": true}

// keepRequestURI is a strict middleware putting the request's path and
// query into the context of the paged operations.
func keepRequestURI(f openapi.StrictHandlerFunc, operationID string) openapi.StrictHandlerFunc {
	if !pagedOperations[operationID] {
		return f
	}
	return func(c *fiber.Ctx, args any) (any, error) {
		u, err := url.ParseRequestURI(string(c.Request().URI().RequestURI()))
		if err != nil {
			return nil, derrors.Wrap(err, derrors.BadRequest, "malformed request URI")
		}
		c.SetUserContext(context.WithValue(c.UserContext(), requestURIKey, u))
		return f(c, args)
	}
}

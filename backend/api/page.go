package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// pageIn sets f's page from the cursor and limit parameters of a list. The
// cursor is opaque to clients: base64url of the last record's position.
func pageIn(f *inspection.Filter, cursor *string, limit *int) error {
	f.Limit = inspection.DefaultPage
	if limit != nil {
		f.Limit = *limit
	}
	if cursor == nil || *cursor == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*cursor)
	var c inspection.Cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" || c.ActAt.IsZero() {
		return &derrors.Error{Code: derrors.BadRequest, Message: "the cursor is not one this server gave",
			Fields: []derrors.FieldError{{Field: "cursor", Message: "not a cursor of this list"}}}
	}
	f.After = &c
	return nil
}

// nextLink is the RFC 8288 Link header of the page after list, or nil on
// the last page (fewer records than the limit): the request's own path
// and query with the cursor of list's last record.
func nextLink(ctx context.Context, list []inspection.State, limit int) *string {
	if len(list) == 0 || len(list) < limit {
		return nil
	}
	b, _ := json.Marshal(inspection.CursorOf(list[len(list)-1]))
	u, _ := ctx.Value(requestURIKey).(*url.URL)
	if u == nil {
		return nil
	}
	q := u.Query()
	q.Set("cursor", base64.RawURLEncoding.EncodeToString(b))
	q.Set("limit", strconv.Itoa(limit))
	link := "<" + u.Path + "?" + q.Encode() + `>; rel="next"`
	return &link
}

// requestURIKey carries the request's path and query into paged handlers,
// for their Link header.
const requestURIKey ctxKey = 102

// pagedOperations are the lists answering a Link header to their next page.
var pagedOperations = map[string]bool{"ListInspections": true, "ReviewQueue": true}

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

package api

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// Every list of the API pages the same way (keyset paging): a `limit`
// (default inspection.DefaultPage, at most inspection.MaxPage, enforced by
// the spec), a `cursor` naming the last item of the previous page, and a
// `Link: <...>; rel="next"` header on every page but the last. A store is
// asked for one item more than the page, so that the last page is known to
// be the last (no Link) even when it is full.

// position is what a cursor holds: the list it belongs to and the sort
// keys of the last item of a page, in the list's order: a moment, strings,
// a number, then the unique id that breaks ties. Keys a list does not use
// stay zero. Cursors are opaque to clients: base64url of its JSON.
type position struct {
	List string    `json:"l"`
	At   time.Time `json:"a,omitzero"`
	Keys []string  `json:"k,omitempty"`
	N    int64     `json:"n,omitempty"`
	ID   string    `json:"i,omitempty"`
}

// compare orders positions as the lists do: by At, Keys, N, then ID.
func (p position) compare(q position) int {
	return cmp.Or(p.At.Compare(q.At), slices.Compare(p.Keys, q.Keys), cmp.Compare(p.N, q.N), cmp.Compare(p.ID, q.ID))
}

func (p position) cursor() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// page is the part of a list one request asks for: limit items after a
// position (nil: from the first).
type page struct {
	list  string
	limit int
	after *position
}

// pageOf reads the cursor and limit parameters of list, returning
// derrors.BadRequest naming `cursor` for a cursor this server did not give
// for this list.
func pageOf(list string, cursor *string, limit *int) (page, error) {
	p := page{list: list, limit: inspection.DefaultPage}
	if limit != nil && *limit > 0 {
		p.limit = min(*limit, inspection.MaxPage)
	}
	if cursor == nil || *cursor == "" {
		return p, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*cursor)
	var pos position
	if err == nil {
		err = json.Unmarshal(b, &pos)
	}
	if err != nil || pos.List != list {
		return p, &derrors.Error{Code: derrors.BadRequest, Message: "the cursor is not one this server gave",
			Fields: []derrors.FieldError{{Field: "cursor", Message: "not a cursor of this list"}}}
	}
	p.after = &pos
	return p, nil
}

// fetch is how many items to ask a store for: one more than the page, to
// learn whether another page follows.
func (p page) fetch() int { return p.limit + 1 }

// cut keeps the first p.limit of items (fetched with p.fetch(), in the
// list's order) and returns the cursor of the next page: "" when items
// were all there was.
func cut[T any](p page, items []T, pos func(T) position) ([]T, string) {
	if len(items) <= p.limit {
		return items, ""
	}
	items = items[:p.limit]
	last := pos(items[len(items)-1])
	last.List = p.list
	return items, last.cursor()
}

// inMemory pages a whole list held in memory, for the small catalogues
// that are read whole anyway: it sorts items by position, so the order is
// the one the cursor compares with, and returns the page and the cursor
// of the next one.
func inMemory[T any](p page, items []T, pos func(T) position) ([]T, string) {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b T) int { return pos(a).compare(pos(b)) })
	if p.after != nil {
		i, _ := slices.BinarySearchFunc(items, *p.after, func(x T, q position) int {
			if pos(x).compare(q) <= 0 {
				return -1
			}
			return 1
		})
		items = items[i:]
	}
	return cut(p, items[:min(len(items), p.fetch())], pos)
}

// nextLink is the RFC 8288 Link header rel="next" to the request's own
// path and query with the cursor and limit of the next page set, or nil
// when there is no next page (cursor "").
func nextLink(ctx context.Context, p page, cursor string) *string {
	if cursor == "" {
		return nil
	}
	u, _ := ctx.Value(requestURIKey).(*url.URL)
	if u == nil {
		return nil
	}
	q := u.Query()
	q.Set("cursor", cursor)
	q.Set("limit", strconv.Itoa(p.limit))
	q.Del("after") // the audit query's deprecated cursor
	link := "<" + u.Path + "?" + q.Encode() + `>; rel="next"`
	return &link
}

// requestURIKey carries the request's path and query into handlers, for
// the Link header of lists.
const requestURIKey ctxKey = 102

// keepRequestURI is a strict middleware putting the request's path and
// query into the context, so that any list can link to its next page.
func keepRequestURI(f openapi.StrictHandlerFunc, _ string) openapi.StrictHandlerFunc {
	return func(c *fiber.Ctx, args any) (any, error) {
		u, err := url.ParseRequestURI(string(c.Request().URI().RequestURI()))
		if err != nil {
			return nil, derrors.Wrap(err, derrors.BadRequest, "malformed request URI")
		}
		c.SetUserContext(context.WithValue(c.UserContext(), requestURIKey, u))
		return f(c, args)
	}
}

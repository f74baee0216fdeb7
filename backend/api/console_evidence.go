package api

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/console"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/openapi"
)

// consoleEvidence serves the console's evidence views through the API's own
// handlers (GET /v1/evidence/{id}/thumbnail, /content and /custody), so that
// a page reaches evidence by the same access rules and custody logging as
// the API, with no second path.
type consoleEvidence struct {
	s     *server
	plays *playbacks
}

func newConsoleEvidence(s *server) consoleEvidence {
	return consoleEvidence{s: s, plays: &playbacks{started: map[playback]time.Time{}}}
}

// playbackWindow is how long the download that starts a playback on the
// custody log stands for the range requests that continue it.
const playbackWindow = 10 * time.Minute

// playbacks are the downloads of originals this process put on the
// custody log, by user and item, when last: a player reads an item in
// ranges, and the range that continues a playback is the same view as the
// one that started it. Another process, or a restart, logs the next range
// again: the log may hold more entries than playbacks, never fewer.
type playbacks struct {
	mu      sync.Mutex
	started map[playback]time.Time
}

type playback struct {
	user string
	item uuid.UUID
}

// covered reports whether p's download is on the custody log within the window before now.
func (ps *playbacks) covered(p playback, now time.Time) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	at, ok := ps.started[p]
	return ok && !now.Before(at) && now.Sub(at) < playbackWindow
}

// logged notes that p's download went on the custody log at now, and
// forgets the playbacks past their window.
func (ps *playbacks) logged(p playback, now time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for q, at := range ps.started {
		if now.Sub(at) >= playbackWindow {
			delete(ps.started, q)
		}
	}
	ps.started[p] = now
}

// as is ctx with the console's signed-in user as the API's caller.
func as(ctx context.Context, u identity.User, cl identity.Claims) context.Context {
	return context.WithValue(ctx, userKey, caller{user: u, claims: cl})
}

// evidenceID parses an item id of a console URL: anything else is not found.
func evidenceID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return u, derrors.New(derrors.NotFound, "no evidence %s", id)
	}
	return u, nil
}

func (e consoleEvidence) Thumbnail(ctx context.Context, u identity.User, cl identity.Claims, id string) (console.Stream, error) {
	return e.stream(as(ctx, u, cl), id, func(ctx context.Context, eid uuid.UUID) (any, error) {
		return e.s.GetEvidenceThumbnail(ctx, openapi.GetEvidenceThumbnailRequestObject{EvidenceId: eid})
	})
}

// Content streams the original through GET /v1/evidence/{id}/content,
// which logs the download; a range that resumes a playback this user
// started within playbackWindow passes the same access check
// (downloadable) and reads the same verified stream, without a second
// entry.
func (e consoleEvidence) Content(ctx context.Context, u identity.User, cl identity.Claims, id string, resume bool) (console.Stream, error) {
	eid, err := evidenceID(id)
	if err != nil {
		return console.Stream{}, err
	}
	ctx = as(ctx, u, cl)
	p := playback{user: strings.Clone(u.ID), item: eid} // kept past the request: no string of its buffers
	if resume && e.plays.covered(p, e.s.now()) {
		return e.resumed(ctx, eid)
	}
	st, err := e.stream(ctx, id, func(ctx context.Context, eid uuid.UUID) (any, error) {
		return e.s.GetEvidenceContent(ctx, openapi.GetEvidenceContentRequestObject{EvidenceId: eid})
	})
	if err == nil {
		e.plays.logged(p, e.s.now())
	}
	return st, err
}

// resumed is the original of item eid after the access check of
// GetEvidenceContent, for a playback whose start is on the custody log.
func (e consoleEvidence) resumed(ctx context.Context, eid uuid.UUID) (console.Stream, error) {
	item, _, err := e.s.downloadable(ctx, eid)
	if err != nil {
		return console.Stream{}, err
	}
	// As openStream: the stream outlives the handler and its deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 6*time.Hour)
	body, err := e.s.evidence.Media.Content(sctx, item)
	if err != nil {
		cancel()
		return console.Stream{}, nameEvidence(err, item)
	}
	return console.Stream{Body: &cancelCloser{ReadCloser: body, cancel: cancel}, ContentType: item.ContentType, Length: item.Length}, nil
}

// stream is the stream a streaming handler h answers for item id.
func (e consoleEvidence) stream(ctx context.Context, id string, h func(context.Context, uuid.UUID) (any, error)) (console.Stream, error) {
	eid, err := evidenceID(id)
	if err != nil {
		return console.Stream{}, err
	}
	res, err := h(ctx, eid)
	if err != nil {
		return console.Stream{}, err
	}
	r, ok := res.(streamResponse)
	if !ok {
		return console.Stream{}, derrors.New(derrors.Internal, "evidence stream of type %T", res)
	}
	return console.Stream{Body: r.body, ContentType: r.contentType, Length: r.length}, nil
}

func (e consoleEvidence) Custody(ctx context.Context, u identity.User, cl identity.Claims, id string) ([]evidence.CustodyEntry, error) {
	eid, err := evidenceID(id)
	if err != nil {
		return nil, err
	}
	limit := console.CustodySize
	res, err := e.s.GetEvidenceCustody(as(ctx, u, cl), openapi.GetEvidenceCustodyRequestObject{EvidenceId: eid,
		Params: openapi.GetEvidenceCustodyParams{Limit: &limit}})
	if err != nil {
		return nil, err
	}
	r, ok := res.(openapi.GetEvidenceCustody200JSONResponse)
	if !ok {
		return nil, derrors.New(derrors.Internal, "custody of type %T", res)
	}
	out := make([]evidence.CustodyEntry, len(r.Body.Entries))
	for i, x := range r.Body.Entries {
		out[i] = evidence.CustodyEntry{ID: x.Id, EvidenceID: id, At: x.At, Event: string(x.Event), ActorUserID: deref(x.ActorUserId),
			DeviceID: deref(x.DeviceId), RequestID: deref(x.RequestId), Detail: x.Detail}
	}
	return out, nil
}

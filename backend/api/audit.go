package api

import (
	"context"
	"crypto/ed25519"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/openapi"
)

// Trail is what the API needs of the audit trail and its anchoring.
type Trail struct {
	Store     TrailStore
	Sink      audit.AnchorBucket // the evidence bucket
	Key       ed25519.PrivateKey // signs anchored heads
	LockMode  string             // GOVERNANCE or COMPLIANCE
	Retention time.Duration      // how long anchors stay locked
}

// TrailStore reads, exports and verifies the audit trail.
type TrailStore interface {
	audit.Store
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// Anchor signs and stores every verified chain head that moved since its
// last anchor, now (see audit.AnchorHeads).
func (t Trail) Anchor(ctx context.Context, now time.Time) ([]audit.Anchor, *audit.Break, error) {
	return audit.AnchorHeads(ctx, t.Store, t.Sink, t.Store, t.Key, t.LockMode, now.Add(t.Retention))
}

// Verify recomputes chain ("" for every chain) against every head anchored
// under the server's key, and reports the gap since each chain's last
// anchor (see audit.VerifyAnchored).
func (t Trail) Verify(ctx context.Context, chain string) (audit.Report, error) {
	return audit.VerifyAnchored(ctx, t.Store, t.Sink, t.Key.Public().(ed25519.PublicKey), chain)
}

func auditFilter(chain, entityType, entityID *string, actor *uuid.UUID, action *string, from, to *time.Time) audit.Filter {
	f := audit.Filter{Chain: deref(chain), EntityType: deref(entityType), EntityID: deref(entityID), Action: deref(action)}
	if actor != nil {
		f.ActorUserID = actor.String()
	}
	if from != nil {
		f.From = *from
	}
	if to != nil {
		f.To = *to
	}
	return f
}

// QueryAudit returns one page of the trail; administrators only.
func (s *server) QueryAudit(ctx context.Context, req openapi.QueryAuditRequestObject) (openapi.QueryAuditResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	p := req.Params
	pg, err := pageOf("audit", p.Cursor, p.Limit)
	if err != nil {
		return nil, err
	}
	f := auditFilter(p.Chain, p.EntityType, p.EntityId, p.Actor, p.Action, p.From, p.To)
	f.Limit = pg.limit // the store reads one more itself and says whether another page follows
	switch {
	case p.After != nil && pg.after != nil:
		return nil, derrors.Invalidf("after", "send cursor or the deprecated after, not both")
	case p.After != nil:
		f.After = *p.After
	case pg.after != nil:
		f.After = pg.after.N
	}
	entries, next, err := s.trail.Store.Query(ctx, f)
	if err != nil {
		return nil, err
	}
	out := openapi.QueryAudit200JSONResponse{Body: openapi.AuditPage{Entries: make([]openapi.AuditEntry, len(entries))}}
	for i, e := range entries {
		out.Body.Entries[i] = auditEntryOut(e)
	}
	if next != 0 {
		cursor := position{List: pg.list, N: next}.cursor()
		out.Body.Next, out.Body.NextCursor = &next, &cursor
		out.Headers.Link = nextLink(ctx, pg, cursor)
	}
	return out, nil
}

// ExportAudit streams the trail as JSON lines; administrators only. The
// export runs after the handler returns, so it has its own deadline.
func (s *server) ExportAudit(ctx context.Context, req openapi.ExportAuditRequestObject) (openapi.ExportAuditResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	p := req.Params
	f := auditFilter(p.Chain, p.EntityType, p.EntityId, p.Actor, p.Action, p.From, p.To)
	if err := f.Validate(); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Minute)
		defer cancel()
		pw.CloseWithError(s.trail.Store.Export(ectx, f, pw))
	}()
	return openapi.ExportAudit200ApplicationxNdjsonResponse{Body: pr}, nil
}

// VerifyAudit recomputes the chains, against their anchors too;
// administrators only.
func (s *server) VerifyAudit(ctx context.Context, req openapi.VerifyAuditRequestObject) (openapi.VerifyAuditResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	report, err := s.trail.Verify(ctx, deref(req.Params.Chain))
	if err != nil {
		return nil, err
	}
	heads, brk := report.Heads, report.Break
	out := openapi.VerifyAudit200JSONResponse{Ok: brk == nil}
	out.Heads = convertAll(heads, auditHeadOut)
	if out.Heads == nil {
		out.Heads = []openapi.AuditHead{}
	}
	if brk != nil {
		out.Break = ptr(auditBreakOut(*brk))
	}
	out.Gaps = ptr(convertAll(report.Gaps, auditGapOut))
	if len(report.Untrusted) > 0 {
		out.UntrustedAnchors = ptr(report.Untrusted)
	}
	return out, nil
}

// AnchorAudit anchors every verified chain head now; administrators only.
func (s *server) AnchorAudit(ctx context.Context, _ openapi.AnchorAuditRequestObject) (openapi.AnchorAuditResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	anchors, brk, err := s.trail.Anchor(ctx, s.now())
	if err != nil {
		return nil, err
	}
	if brk != nil {
		return nil, errBrokenChain(brk)
	}
	out := convertAll(anchors, auditAnchorOut)
	if out == nil {
		out = []openapi.AuditAnchor{}
	}
	return openapi.AnchorAudit201JSONResponse(out), nil
}

// errBrokenChain refuses to certify a broken history.
func errBrokenChain(b *audit.Break) error {
	return derrors.New(derrors.Conflict, "audit chain %q is broken at seq %d (%s): not anchored", b.Chain, b.Seq, b.Reason)
}

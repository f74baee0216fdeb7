package api

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/review"
	"github.com/whistle/whistle/openapi"
)

// Bundles reads what a case's export bundle holds beyond what the case,
// inspection and deadline routes answer (postgres.BundleStore).
type Bundles interface {
	CaseEntries(ctx context.Context, chain string, objects []postgres.EntityRef, upTo int64) ([]audit.Entry, error)
	ChainSegment(ctx context.Context, chain string, from, to int64, each func(audit.Entry) error) error
	RecordEvidence(ctx context.Context, recordID string) ([]evidence.Evidence, error)
}

// GetSigningKey answers the server's public key, which verifies anchored
// audit heads and export bundles.
func (s *server) GetSigningKey(context.Context, openapi.GetSigningKeyRequestObject) (openapi.GetSigningKeyResponseObject, error) {
	pub := s.trail.Key.Public().(ed25519.PublicKey)
	return openapi.GetSigningKey200JSONResponse{Algorithm: openapi.Ed25519, PublicKey: pub, PublicKeyHex: hex.EncodeToString(pub)}, nil
}

// ExportCaseBundle streams the export bundle of a case (see
// archive.Writer): the street's team leader and administrators. What can
// fail cleanly (access, anchoring, reading the case file) fails before the
// first byte; the originals and the trail segment stream after the handler
// returns, so their failure breaks the ZIP off.
func (s *server) ExportCaseBundle(ctx context.Context, req openapi.ExportCaseBundleRequestObject) (openapi.ExportCaseBundleResponseObject, error) {
	if s.bundles == nil || s.evidence.Service == nil || s.evidence.Media == nil {
		return nil, derrors.New(derrors.Unavailable, "export bundles are not configured")
	}
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.cases.Service.Get(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	if !archive.MayExport(sc, r.StreetCode) {
		return nil, derrors.New(derrors.Forbidden, "only the street's team leader and administrators export a case's bundle")
	}
	// Anchor first, so that an anchored head covers the case's latest entries.
	if _, brk, err := s.trail.Anchor(ctx, s.now()); err != nil {
		return nil, err
	} else if brk != nil {
		return nil, errBrokenChain(brk)
	}
	head, err := archive.LatestAnchor(ctx, s.trail.Sink, r.StreetCode, s.trail.Key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	m, originals, err := s.bundleManifest(ctx, req.Id, r, head)
	if err != nil {
		return nil, err
	}
	m.ExportedAt, m.ExportedBy = s.now().UTC(), c.user.ID
	pr, pw := io.Pipe()
	go func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 6*time.Hour)
		defer cancel()
		err := s.writeBundle(sctx, pw, m, originals)
		if err != nil {
			s.log.ErrorContext(sctx, "export bundle broken off", "case_id", m.CaseID, "err", err)
		}
		pw.CloseWithError(err)
	}()
	return bundleResponse{streamResponse: streamResponse{body: pr, contentType: "application/zip", length: -1},
		filename: "case-" + r.ID + ".zip"}, nil
}

// bundleManifest is the manifest of case r, its files aside, with the
// evidence items whose originals go into the bundle: the case, its
// inspection records and deadlines as the caller reads them through the API,
// and the trail entries of all of them up to the anchored head.
func (s *server) bundleManifest(ctx context.Context, id uuid.UUID, r casework.Record, head audit.SignedHead) (archive.Manifest, []evidence.Evidence, error) {
	m := archive.Manifest{CaseID: r.ID, StreetCode: r.StreetCode, Inspections: []archive.Inspection{}, Reviews: []json.RawMessage{},
		Deadlines: []json.RawMessage{}, Evidence: []archive.EvidenceEntry{}}
	res, err := s.GetCase(ctx, openapi.GetCaseRequestObject{Id: id})
	if err != nil {
		return m, nil, err
	}
	theCase := res.(openapi.GetCase200JSONResponse).Body
	if m.Case, err = json.Marshal(theCase); err != nil {
		return m, nil, err
	}
	objects := []postgres.EntityRef{{Type: "case", ID: r.ID}}
	addDeadlines := func(ds []openapi.Deadline) error {
		for _, d := range ds {
			b, err := json.Marshal(d)
			if err != nil {
				return err
			}
			m.Deadlines = append(m.Deadlines, b)
			objects = append(objects, postgres.EntityRef{Type: "deadline", ID: d.Id.String()})
		}
		return nil
	}
	if theCase.Deadlines != nil {
		if err := addDeadlines(*theCase.Deadlines); err != nil {
			return m, nil, err
		}
	}
	var originals []evidence.Evidence
	for _, src := range r.Sources {
		if src.Kind != casework.SourceInspection {
			continue
		}
		in, ds, items, err := s.bundleRecord(ctx, r.StreetCode, src.InspectionID)
		if err != nil {
			return m, nil, err
		}
		m.Inspections = append(m.Inspections, in)
		objects = append(objects, postgres.EntityRef{Type: "inspection", ID: in.ID})
		if err := addDeadlines(ds); err != nil {
			return m, nil, err
		}
		for _, e := range items {
			it := archive.EvidenceEntry{ID: e.ID, ClientID: e.ClientID, RecordID: in.ID, Kind: string(e.Kind), ContentType: e.ContentType,
				Length: e.Length, SHA256: e.SHA256, Status: string(e.Status)}
			if e.Served() {
				it.Path = archive.EvidencePath(e.SHA256, e.ContentType)
				originals = append(originals, e)
			}
			m.Evidence = append(m.Evidence, it)
			objects = append(objects, postgres.EntityRef{Type: "evidence", ID: e.ID})
		}
	}
	more, err := s.bundleArchive(ctx, &m, r)
	if err != nil {
		return m, nil, err
	}
	objects = append(objects, more...)
	entries, err := s.bundles.CaseEntries(ctx, r.StreetCode, objects, head.Seq)
	if err != nil {
		return m, nil, err
	}
	first := head.Seq
	if len(entries) > 0 {
		first = entries[0].Seq
	}
	m.Trail = archive.Trail{Chain: r.StreetCode, Entries: entries, Head: head,
		Segment: archive.Segment{Path: archive.SegmentPath, FirstSeq: first, LastSeq: head.Seq}}
	return m, originals, nil
}

// bundleArchive adds to m what the department reviews and the archive say of
// case r, as the caller reads them through the API (the archive only once
// the case is archived: a case is also exported before, e.g. to be handed
// to the judiciary), and answers the trail objects they add.
func (s *server) bundleArchive(ctx context.Context, m *archive.Manifest, r casework.Record) ([]postgres.EntityRef, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	var objects []postgres.EntityRef
	if s.reviews.Service != nil {
		var after *review.Cursor
		for {
			page, err := s.reviews.Service.List(ctx, c.user.ID, r.ID, after, casework.MaxPage)
			if err != nil {
				return nil, err
			}
			for _, rv := range page {
				out, err := evidenceReviewOut(rv)
				if err != nil {
					return nil, err
				}
				b, err := json.Marshal(out)
				if err != nil {
					return nil, err
				}
				m.Reviews = append(m.Reviews, b)
				objects = append(objects, postgres.EntityRef{Type: "evidence_review", ID: rv.ID})
			}
			if len(page) < casework.MaxPage {
				break
			}
			last := page[len(page)-1]
			after = &review.Cursor{At: last.At, ID: last.ID}
		}
	}
	if r.State != casework.StateArchived || s.archives == nil {
		return objects, nil
	}
	a, err := s.archives.Get(ctx, c.user.ID, r.ID)
	if err != nil {
		return nil, err
	}
	out, err := convertJSON[openapi.Archive](a, "archive")
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	m.Archive = &archive.ArchiveRef{Number: a.Number, ClosedAt: a.ClosedAt, Record: b}
	for _, x := range a.Annexes {
		objects = append(objects, postgres.EntityRef{Type: "archive_annex", ID: x.ID})
	}
	return objects, nil
}

// bundleRecord is inspection record id of a case of street as the caller
// reads it (the record and its versions), its deadlines and its evidence.
func (s *server) bundleRecord(ctx context.Context, street, id string) (archive.Inspection, []openapi.Deadline, []evidence.Evidence, error) {
	in := archive.Inspection{ID: id}
	uid, err := uuid.Parse(id)
	if err != nil {
		return in, nil, nil, derrors.Wrap(err, derrors.Internal, "a case source names a record that is not a UUID")
	}
	got, err := s.GetInspection(ctx, openapi.GetInspectionRequestObject{Id: uid})
	if err != nil {
		return in, nil, nil, err
	}
	if in.Record, err = json.Marshal(got.(openapi.GetInspection200JSONResponse).Body); err != nil {
		return in, nil, nil, err
	}
	history, err := s.InspectionHistory(ctx, openapi.InspectionHistoryRequestObject{Id: uid})
	if err != nil {
		return in, nil, nil, err
	}
	if in.History, err = json.Marshal(history); err != nil {
		return in, nil, nil, err
	}
	stored, err := s.deadlines.List(ctx, postgres.DeadlineFilter{StreetCode: street,
		Subject: &casework.DeadlineSubject{Kind: casework.SubjectInspection, ID: id}, Limit: casework.MaxPage}) // a record has a handful
	if err != nil {
		return in, nil, nil, err
	}
	ds, err := convertAllErr(stored, s.deadlineOut)
	if err != nil {
		return in, nil, nil, err
	}
	items, err := s.bundles.RecordEvidence(ctx, id)
	return in, ds, items, err
}

// writeBundle writes the bundle of m onto w: the originals (each access
// logged as exported), the trail segment, then the index and the signed
// manifest.
func (s *server) writeBundle(ctx context.Context, w io.Writer, m archive.Manifest, originals []evidence.Evidence) error {
	bw := archive.NewWriter(w)
	byID := map[string]archive.EvidenceEntry{}
	for _, it := range m.Evidence {
		byID[it.ID] = it
	}
	for _, e := range originals {
		it := byID[e.ID]
		if bw.Has(it.Path) {
			continue // another item of the same bytes
		}
		if err := s.exportOriginal(ctx, bw, e, it, m.CaseID); err != nil {
			return err
		}
	}
	if _, err := bw.Add(archive.SegmentPath, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		return s.bundles.ChainSegment(ctx, m.Trail.Chain, m.Trail.Segment.FirstSeq, m.Trail.Segment.LastSeq,
			func(e audit.Entry) error { return enc.Encode(e) })
	}); err != nil {
		return err
	}
	return bw.Finish(m, s.trail.Key)
}

// exportOriginal streams the verified original of e into the bundle, its
// access logged first as custody event exported (and in the trail).
func (s *server) exportOriginal(ctx context.Context, bw *archive.Writer, e evidence.Evidence, it archive.EvidenceEntry, caseID string) error {
	rc, err := s.evidence.Media.Content(ctx, e)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := s.evidence.Service.RecordAccess(ctx, e.ID, evidence.Access{Event: evidence.EventExported,
		Detail: map[string]any{"case_id": caseID, "bundle_path": it.Path}}); err != nil {
		return err
	}
	_, err = bw.AddEvidence(it, rc)
	return err
}

// bundleResponse streams a bundle as an attachment.
type bundleResponse struct {
	streamResponse
	filename string
}

func (r bundleResponse) VisitExportCaseBundleResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+r.filename+`"`)
	return r.visit(c)
}

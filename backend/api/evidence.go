package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/input"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/openapi"
)

// Evidence is what the API needs to receive and serve evidence: the
// evidence service for what evidence means, the media service for its
// bytes.
type Evidence struct {
	Service *evidence.Service
	Media   *media.Service
	Orphans OrphanLister
	// OrphanAge is how long evidence may wait for its record before it is
	// listed as an orphan.
	OrphanAge time.Duration
	// IdleTimeout ends an upload request whose body stalls this long (30s
	// when 0); what arrived is kept and the phone resumes.
	IdleTimeout time.Duration
}

// OrphanLister lists evidence whose record has not arrived.
type OrphanLister interface {
	Orphans(ctx context.Context, street string, olderThan time.Time, afterAt time.Time, afterID string, limit int) ([]evidence.Evidence, error)
}

// The tus protocol as served at /v1/evidence/uploads.
const (
	tusVersion    = "1.0.0"
	tusExtensions = "creation,creation-with-upload,termination,expiration,checksum"
	tusUploads    = "/v1/evidence/uploads"
	offsetStream  = "application/offset+octet-stream"
)

// streamsBody reports whether a path's handler streams its request body
// (which the body limit therefore does not cover).
func streamsBody(path string) bool { return strings.HasPrefix(path, tusUploads) }

// registerTus serves the tus routes of the contract (tag evidence-upload).
// They are not generated: they stream bodies and answer with protocol
// headers. Authentication is the same bearer token as everywhere, checked
// by the identity service.
func (s *server) registerTus(app *fiber.App) {
	upload := tusUploads + "/{upload_id}"
	app.Options(tusUploads, s.tus(tusUploads, s.tusOptions, false))
	app.Post(tusUploads, s.tus(tusUploads, s.tusCreate, true))
	app.Head(tusUploads+"/:upload_id", s.tus(upload, s.tusHead, true))
	app.Patch(tusUploads+"/:upload_id", s.tus(upload, s.tusPatch, true))
	app.Delete(tusUploads+"/:upload_id", s.tus(upload, s.tusDelete, true))
	app.Post(tusUploads+"/:upload_id", s.tus(upload, s.tusOverride, true))
}

// tus wraps a tus handler: Tus-Resumable on every response, the version
// check, authentication, and problems that a HEAD (which has no body) and a
// half-read body can carry.
func (s *server) tus(route string, h fiber.Handler, auth bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(routeKey, route)
		c.Set("Tus-Resumable", tusVersion)
		err := func() error {
			if c.Method() != fiber.MethodOptions && c.Get("Tus-Resumable") != tusVersion {
				c.Set("Tus-Version", tusVersion)
				return derrors.New(derrors.PreconditionFailed, "Tus-Resumable %q is not supported: this server speaks tus %s", c.Get("Tus-Resumable"), tusVersion)
			}
			if s.evidence.Service == nil || s.evidence.Media == nil {
				return derrors.New(derrors.Unavailable, "evidence uploads are not configured")
			}
			if auth {
				if err := s.bearer(c); err != nil {
					return err
				}
			}
			if err := tusParameterText(c); err != nil {
				return err
			}
			return h(c)
		}()
		if err == nil {
			return nil
		}
		if c.Method() == fiber.MethodHead {
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Set("Tus-Problem", tusProblem(err))
		}
		if c.Method() == fiber.MethodPost || c.Method() == fiber.MethodPatch {
			// The body may be partly unread: the connection cannot carry
			// another request.
			c.Context().SetConnectionClose()
		}
		return err
	}
}

// tusProblem is the Tus-Problem header of an error: its code, and the
// client id of quarantined evidence.
func tusProblem(err error) string {
	code := string(derrors.CodeOf(err))
	var ep evidenceProblem
	if errors.As(err, &ep) && ep.clientID != "" {
		code += "; client_id=" + ep.clientID
	}
	return code
}

// evidenceProblem is a problem about one evidence item, naming it.
type evidenceProblem struct {
	err      error
	clientID string
}

func (e evidenceProblem) Error() string                  { return e.err.Error() }
func (e evidenceProblem) Unwrap() error                  { return e.err }
func (e evidenceProblem) extendProblem(p map[string]any) { p["client_id"] = e.clientID }

// nameEvidence makes the problems that concern a whole item name it.
func nameEvidence(err error, e evidence.Evidence) error {
	switch derrors.CodeOf(err) {
	case derrors.EvidenceHashMismatch, derrors.UnsupportedMediaType:
		if e.ClientID != "" {
			return evidenceProblem{err: err, clientID: e.ClientID}
		}
	}
	return err
}

// bearer authenticates the bearer token as validateRequest does and puts
// the caller in the request's context.
func (s *server) bearer(c *fiber.Ctx) error {
	scheme, token, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return derrors.New(derrors.Unauthenticated, "an Authorization: Bearer <access token> header is required")
	}
	ctx := c.UserContext()
	user, claims, err := s.ids.AuthenticateClaims(ctx, strings.TrimSpace(token))
	if err != nil {
		return err
	}
	ctx = context.WithValue(ctx, userKey, caller{user: user, claims: claims})
	c.SetUserContext(audit.WithActor(ctx, audit.Actor{UserID: user.ID, DeviceID: claims.DeviceID, RequestID: requestIDFrom(ctx)}))
	return nil
}

// uploadContext is the context of an upload request: not bounded by the
// request deadline (a large body over a slow network takes long; a stalled
// one is ended by the idle timeout instead), but still bounded.
func uploadContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.UserContext()), 6*time.Hour)
}

func (s *server) tusOptions(c *fiber.Ctx) error {
	c.Set("Tus-Version", tusVersion)
	c.Set("Tus-Extension", tusExtensions)
	c.Set("Tus-Max-Size", strconv.FormatInt(evidence.MaxLength(), 10))
	c.Set("Tus-Checksum-Algorithm", strings.Join(media.ChecksumAlgorithms, ","))
	return c.SendStatus(fiber.StatusNoContent)
}

// tusCreate creates an upload (creation), applying the body if there is one
// (creation-with-upload).
func (s *server) tusCreate(c *fiber.Ctx) error {
	if c.Get("Upload-Defer-Length") != "" {
		return derrors.New(derrors.BadRequest, "Upload-Defer-Length is not supported: declare Upload-Length")
	}
	length, err := strconv.ParseInt(c.Get("Upload-Length"), 10, 64)
	if err != nil || length < 1 {
		return derrors.New(derrors.BadRequest, "Upload-Length must be the size of the evidence in bytes (at least 1)")
	}
	if length > evidence.MaxLength() {
		return derrors.New(derrors.PayloadTooLarge, "Upload-Length %d is over Tus-Max-Size %d", length, evidence.MaxLength())
	}
	raw := string([]byte(c.Get("Upload-Metadata")))
	md, err := parseUploadMetadata(raw)
	if err != nil {
		return err
	}
	sc, cl, err := s.scope(c.UserContext())
	if err != nil {
		return err
	}
	if !access.UploadEvidence(sc) {
		return derrors.New(derrors.Forbidden, "only officers and team leaders upload evidence")
	}
	ctx, cancel := uploadContext(c)
	defer cancel()
	d, err := s.evidence.Service.Declare(ctx, evidence.CreateInput{Metadata: md, Raw: raw, Length: length,
		UploaderID: cl.user.ID, DeviceID: cl.claims.DeviceID, StreetCode: sc.StreetCode})
	if err != nil {
		return err
	}
	e := d.Evidence
	c.Set(fiber.HeaderLocation, tusUploads+"/"+e.ID)
	if d.Existing {
		c.Set("Upload-Offset", strconv.FormatInt(e.Length, 10))
		return c.SendStatus(fiber.StatusCreated)
	}
	offset, expires := int64(0), d.Upload.ExpiresAt
	// The caller, its scope and the client id were checked above, once:
	// the write reuses them.
	in, err := s.creationBody(c, cl, e.ID)
	if err != nil || in.Body == nil {
		// No body, or one refused before it is read: the upload is
		// created at offset 0.
		if _, serr := s.evidence.Service.Start(ctx, d); serr != nil {
			return serr
		}
		if err != nil {
			return err
		}
	} else {
		res, err := s.evidence.Media.Begin(ctx, d, in)
		if err != nil {
			return nameEvidence(err, res.Evidence)
		}
		offset, expires = res.Offset, res.ExpiresAt
	}
	c.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if offset < e.Length {
		c.Set("Upload-Expires", expires.UTC().Format(time.RFC1123))
	}
	return c.SendStatus(fiber.StatusCreated)
}

// creationBody is the write of a creation-with-upload's body to upload id
// by cl; without a body, its Body is nil.
func (s *server) creationBody(c *fiber.Ctx, cl caller, id string) (media.WriteInput, error) {
	if !hasBody(c) {
		return media.WriteInput{}, nil
	}
	if ct := string(c.Request().Header.ContentType()); ct != offsetStream {
		return media.WriteInput{}, derrors.New(derrors.UnsupportedMediaType, "a creation with upload must have Content-Type %s, not %q", offsetStream, ct)
	}
	return s.writeInput(c, cl, id, 0)
}

// hasBody reports whether the request carries a body.
func hasBody(c *fiber.Ctx) bool {
	n := c.Request().Header.ContentLength()
	return n > 0 || n == -1
}

// tusHead answers where to resume.
func (s *server) tusHead(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	cl, err := callerFrom(c.UserContext())
	if err != nil {
		return err
	}
	e, u, err := s.evidence.Service.State(c.UserContext(), c.Params("upload_id"), cl.user.ID)
	if err != nil {
		return nameEvidence(err, e)
	}
	c.Set("Upload-Offset", strconv.FormatInt(u.Offset, 10))
	c.Set("Upload-Length", strconv.FormatInt(e.Length, 10))
	if e.UploadMetadata != "" {
		c.Set("Upload-Metadata", e.UploadMetadata)
	}
	if e.Status == evidence.StatusUploading {
		c.Set("Upload-Expires", u.ExpiresAt.UTC().Format(time.RFC1123))
	}
	return c.SendStatus(fiber.StatusOK)
}

// tusPatch appends the body.
func (s *server) tusPatch(c *fiber.Ctx) error {
	if ct := string(c.Request().Header.ContentType()); ct != offsetStream {
		return derrors.New(derrors.UnsupportedMediaType, "PATCH must have Content-Type %s, not %q", offsetStream, ct)
	}
	offset, err := strconv.ParseInt(c.Get("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		return derrors.New(derrors.BadRequest, "Upload-Offset must be the upload's offset (a non-negative integer; ask with HEAD)")
	}
	ctx, cancel := uploadContext(c)
	defer cancel()
	res, err := s.write(c, ctx, c.Params("upload_id"), offset)
	if err != nil {
		return nameEvidence(err, res.Evidence)
	}
	c.Set("Upload-Offset", strconv.FormatInt(res.Offset, 10))
	if res.Evidence.Status == evidence.StatusUploading {
		c.Set("Upload-Expires", res.ExpiresAt.UTC().Format(time.RFC1123))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// write streams the request body into an upload.
func (s *server) write(c *fiber.Ctx, ctx context.Context, id string, offset int64) (media.WriteResult, error) {
	cl, err := callerFrom(c.UserContext())
	if err != nil {
		return media.WriteResult{}, err
	}
	in, err := s.writeInput(c, cl, id, offset)
	if err != nil {
		return media.WriteResult{}, err
	}
	return s.evidence.Media.Write(ctx, in)
}

// writeInput is the write of the request's body to upload id by cl at offset.
func (s *server) writeInput(c *fiber.Ctx, cl caller, id string, offset int64) (media.WriteInput, error) {
	var sum *media.Checksum
	if h := c.Get("Upload-Checksum"); h != "" {
		var err error
		if sum, err = media.ParseChecksum(h, base64.StdEncoding.DecodeString); err != nil {
			return media.WriteInput{}, err
		}
	}
	idle := s.evidence.IdleTimeout
	if idle <= 0 {
		idle = 30 * time.Second
	}
	var body io.Reader
	if hasBody(c) {
		body = &idleReader{r: c.Context().RequestBodyStream(), conn: c.Context().Conn(), idle: idle}
		if body.(*idleReader).r == nil {
			body = &idleReader{r: strings.NewReader(string(c.Body()))}
		}
	}
	return media.WriteInput{ID: id, UserID: cl.user.ID, Offset: offset, Body: body,
		ContentLength: int64(max(c.Request().Header.ContentLength(), -1)), Checksum: sum}, nil
}

// idleReader reads a request body, giving each read idle to arrive: a body
// may take hours in total, but not stall.
type idleReader struct {
	r    io.Reader
	conn net.Conn
	idle time.Duration
}

func (b *idleReader) Read(p []byte) (int, error) {
	if b.conn != nil {
		_ = b.conn.SetReadDeadline(time.Now().Add(b.idle))
	}
	return b.r.Read(p)
}

// tusDelete terminates an upload.
func (s *server) tusDelete(c *fiber.Ctx) error {
	cl, err := callerFrom(c.UserContext())
	if err != nil {
		return err
	}
	ctx, cancel := uploadContext(c)
	defer cancel()
	if err := s.evidence.Media.Terminate(ctx, c.Params("upload_id"), cl.user.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// tusOverride serves X-HTTP-Method-Override for clients without PATCH or DELETE.
func (s *server) tusOverride(c *fiber.Ctx) error {
	switch strings.ToUpper(c.Get("X-HTTP-Method-Override")) {
	case fiber.MethodPatch:
		return s.tusPatch(c)
	case fiber.MethodDelete:
		return s.tusDelete(c)
	}
	return derrors.New(derrors.MethodNotAllowed, "POST to an upload needs X-HTTP-Method-Override: PATCH or DELETE")
}

// parseUploadMetadata decodes and checks the Upload-Metadata of an evidence
// upload. It returns derrors.BadRequest naming each bad key.
func parseUploadMetadata(raw string) (evidence.Metadata, error) {
	vals := map[string]string{}
	var fields []derrors.FieldError
	bad := func(key, msg string) {
		fields = append(fields, derrors.FieldError{Field: "Upload-Metadata/" + key, Message: msg})
	}
	for pair := range strings.SplitSeq(raw, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, " ")
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			bad(k, "value is not base64")
			continue
		}
		if _, dup := vals[k]; dup {
			bad(k, "key given twice")
		}
		if reason := input.Parameter(string(b)); reason != "" {
			bad(k, reason) // e.g. a file name with U+0000, which PostgreSQL cannot store
			continue
		}
		vals[k] = string(b)
	}
	var md evidence.Metadata
	need := func(k string) string {
		v := strings.TrimSpace(vals[k])
		if v == "" {
			bad(k, "required")
		}
		return v
	}
	if v := need("client_id"); v != "" {
		if u, err := uuid.Parse(v); err != nil {
			bad("client_id", "not a UUID")
		} else {
			md.ClientID = u.String()
		}
	}
	if v := strings.ToLower(need("sha256")); v != "" {
		if b, err := hex.DecodeString(v); err != nil || len(b) != 32 {
			bad("sha256", "not the hex of a SHA-256")
		}
		md.SHA256 = v
	}
	md.ContentType = need("content_type")
	md.Kind = evidence.Kind(need("kind"))
	if _, ok := evidence.Rules[md.Kind]; md.Kind != "" && !ok {
		bad("kind", "not one of photo, video, audio, signature, document")
	}
	if v := need("captured_at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			bad("captured_at", "not an RFC 3339 time")
		}
		md.CapturedAt = t
	}
	coord := func(k string, limit float64) *float64 {
		v := strings.TrimSpace(vals[k])
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= -limit && f <= limit) { // NaN is no coordinate
			bad(k, "not a coordinate in decimal degrees")
			return nil
		}
		return &f
	}
	md.Lat, md.Lon = coord("lat", 90), coord("lon", 180)
	if (md.Lat == nil) != (md.Lon == nil) {
		bad("lat", "lat and lon come together")
	}
	if v := strings.TrimSpace(vals["record_client_id"]); v != "" {
		if u, err := uuid.Parse(v); err != nil {
			bad("record_client_id", "not a UUID")
		} else {
			md.RecordClientID = u.String()
		}
	}
	if len(fields) > 0 {
		return md, &derrors.Error{Code: derrors.BadRequest, Message: "Upload-Metadata is not valid: " + fields[0].Field + " " + fields[0].Message, Fields: fields}
	}
	return md, nil
}

// viewer is who sees an item: the caller's scope and, for a department
// reviewer, the live grant they see it under.
type viewer struct {
	sc    org.Scope
	grant *access.Grant
}

// detail is d with the grant's id for a reviewer's access, so that the
// custody log and the trail say under which grant it happened.
func (v viewer) detail(d map[string]any) map[string]any {
	if v.grant != nil {
		d["grant_id"] = v.grant.ID
	}
	return d
}

// viewable loads an item the caller may see, or answers not found. The
// grants are read only for a department reviewer: the grant on a case of
// the item's record.
func (s *server) viewable(ctx context.Context, id uuid.UUID) (evidence.Evidence, viewer, error) {
	if s.evidence.Service == nil || s.evidence.Media == nil {
		return evidence.Evidence{}, viewer{}, derrors.New(derrors.Unavailable, "evidence is not configured")
	}
	sc, _, err := s.scope(ctx)
	if err != nil {
		return evidence.Evidence{}, viewer{}, err
	}
	e, err := s.evidence.Service.Evidence(ctx, id.String())
	if err != nil {
		return e, viewer{}, err
	}
	v := viewer{sc: sc}
	if sc.Role == org.RoleDeptReviewer && s.review.Service != nil {
		if v.grant, err = s.review.Service.LiveGrantOnRecord(ctx, sc.DepartmentCode, e.LinkedRecordID, s.now()); err != nil {
			return evidence.Evidence{}, viewer{}, err
		}
	}
	if !access.Evidence(sc, e.UploaderID, e.StreetCode, v.grant) {
		return evidence.Evidence{}, viewer{}, derrors.New(derrors.NotFound, "no evidence %s", id)
	}
	return e, v, nil
}

// downloadable is viewable for a download of the original: a reviewer whose
// grant is view-only is forbidden (the item's existence is no secret to them).
func (s *server) downloadable(ctx context.Context, id uuid.UUID) (evidence.Evidence, viewer, error) {
	e, v, err := s.viewable(ctx, id)
	if err == nil && !access.EvidenceContent(v.sc, v.grant) {
		err = derrors.New(derrors.Forbidden, "the department's review grant is view-only: the team leader may allow download")
	}
	return e, v, err
}

// GetEvidence returns an item's metadata; the view is logged.
func (s *server) GetEvidence(ctx context.Context, req openapi.GetEvidenceRequestObject) (openapi.GetEvidenceResponseObject, error) {
	e, v, err := s.viewable(ctx, req.EvidenceId)
	if err != nil {
		return nil, err
	}
	if err := s.evidence.Service.RecordAccess(ctx, e.ID, evidence.Access{Event: evidence.EventViewed, Detail: v.detail(map[string]any{"what": "metadata"})}); err != nil {
		return nil, err
	}
	return openapi.GetEvidence200JSONResponse(evidenceOut(e)), nil
}

// GetEvidenceContent streams a verified original; the download is logged
// before the first byte leaves.
func (s *server) GetEvidenceContent(ctx context.Context, req openapi.GetEvidenceContentRequestObject) (openapi.GetEvidenceContentResponseObject, error) {
	e, v, err := s.downloadable(ctx, req.EvidenceId)
	if err != nil {
		return nil, err
	}
	return s.streamOriginal(ctx, e, v.detail(map[string]any{"via": "stream"}))
}

// streamOriginal streams e's verified original, its download logged with
// detail before the first byte leaves: /content and a reviewer's link.
func (s *server) streamOriginal(ctx context.Context, e evidence.Evidence, detail map[string]any) (streamResponse, error) {
	body, err := s.openStream(ctx, e, func(sctx context.Context) (io.ReadCloser, error) { return s.evidence.Media.Content(sctx, e) },
		evidence.Access{Event: evidence.EventDownloaded, Detail: detail})
	if err != nil {
		return streamResponse{}, nameEvidence(err, e)
	}
	raw, _ := hex.DecodeString(e.SHA256)
	return streamResponse{body: body, contentType: e.ContentType, length: e.Length,
		digest: "sha-256=" + base64.StdEncoding.EncodeToString(raw)}, nil
}

// GetEvidenceThumbnail streams a verified image's thumbnail; the view is logged.
func (s *server) GetEvidenceThumbnail(ctx context.Context, req openapi.GetEvidenceThumbnailRequestObject) (openapi.GetEvidenceThumbnailResponseObject, error) {
	e, v, err := s.viewable(ctx, req.EvidenceId)
	if err != nil {
		return nil, err
	}
	body, err := s.openStream(ctx, e, func(sctx context.Context) (io.ReadCloser, error) { return s.evidence.Media.Thumbnail(sctx, e) },
		evidence.Access{Event: evidence.EventViewed, Detail: v.detail(map[string]any{"what": "thumbnail"})})
	if err != nil {
		return nil, nameEvidence(err, e)
	}
	return streamResponse{body: body, contentType: evidence.TypeJPEG, length: -1}, nil
}

// openStream opens an object to stream after the handler returns (so not
// under the request's deadline, which ends with the handler) and records
// the access; a stream whose access cannot be recorded is not served.
func (s *server) openStream(ctx context.Context, e evidence.Evidence, open func(context.Context) (io.ReadCloser, error), a evidence.Access) (io.ReadCloser, error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 6*time.Hour)
	rc, err := open(sctx)
	if err != nil {
		cancel()
		return nil, err
	}
	if err := s.evidence.Service.RecordAccess(ctx, e.ID, a); err != nil {
		rc.Close()
		cancel()
		return nil, err
	}
	return &cancelCloser{ReadCloser: rc, cancel: cancel}, nil
}

type cancelCloser struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelCloser) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// streamResponse streams a body without holding it in memory (the
// generated response types copy it into the response buffer), giving each
// write to the client 30 seconds rather than the whole download.
type streamResponse struct {
	body        io.ReadCloser
	contentType string
	length      int64 // -1 if unknown
	digest      string
}

func (r streamResponse) visit(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, r.contentType)
	if r.digest != "" {
		c.Set("Digest", r.digest)
	}
	c.Status(fiber.StatusOK)
	c.Context().SetBodyStream(&writeDeadlineReader{ReadCloser: r.body, conn: c.Context().Conn()}, int(r.length))
	return nil
}

func (r streamResponse) VisitGetEvidenceContentResponse(c *fiber.Ctx) error   { return r.visit(c) }
func (r streamResponse) VisitGetEvidenceThumbnailResponse(c *fiber.Ctx) error { return r.visit(c) }
func (r streamResponse) VisitGetEvidenceLinkResponse(c *fiber.Ctx) error      { return r.visit(c) }

// writeDeadlineReader extends the connection's write deadline as the body
// is read out to it.
type writeDeadlineReader struct {
	io.ReadCloser
	conn net.Conn
}

func (w *writeDeadlineReader) Read(p []byte) (int, error) {
	if w.conn != nil {
		_ = w.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	}
	return w.ReadCloser.Read(p)
}

// CreateEvidenceDownloadURL mints a presigned URL of a verified original
// after the access check; the download is logged. A department reviewer
// gets a link to this server instead (reviewerLink): a presigned URL could
// not be revoked with the grant.
func (s *server) CreateEvidenceDownloadURL(ctx context.Context, req openapi.CreateEvidenceDownloadURLRequestObject) (openapi.CreateEvidenceDownloadURLResponseObject, error) {
	e, v, err := s.downloadable(ctx, req.EvidenceId)
	if err != nil {
		return nil, err
	}
	if v.grant != nil {
		if err := evidence.Servable(e); err != nil {
			return nil, nameEvidence(err, e)
		}
		return s.reviewerLink(ctx, e, *v.grant)
	}
	u, expires, err := s.evidence.Media.PresignDownload(ctx, e, media.MaxPresignTTL)
	if err != nil {
		return nil, nameEvidence(err, e)
	}
	err = s.evidence.Service.RecordAccess(ctx, e.ID, evidence.Access{Event: evidence.EventDownloaded,
		Detail: map[string]any{"via": "presigned_url", "expires_at": expires.UTC().Format(time.RFC3339)}})
	if err != nil {
		return nil, err
	}
	return openapi.CreateEvidenceDownloadURL201JSONResponse{Url: u.String(), ExpiresAt: expires.UTC()}, nil
}

// GetEvidenceCustody returns a page of the custody log, this reading
// logged first.
func (s *server) GetEvidenceCustody(ctx context.Context, req openapi.GetEvidenceCustodyRequestObject) (openapi.GetEvidenceCustodyResponseObject, error) {
	pg, err := pageOf("custody", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	e, v, err := s.viewable(ctx, req.EvidenceId)
	if err != nil {
		return nil, err
	}
	if err := s.evidence.Service.RecordAccess(ctx, e.ID, evidence.Access{Event: evidence.EventViewed, Detail: v.detail(map[string]any{"what": "custody"})}); err != nil {
		return nil, err
	}
	var after int64
	if pg.after != nil {
		after = pg.after.N
	}
	entries, err := s.evidence.Service.Custody(ctx, e.ID, after, pg.fetch())
	if err != nil {
		return nil, err
	}
	entries, next := cut(pg, entries, func(x evidence.CustodyEntry) position { return position{N: x.ID} })
	out := openapi.GetEvidenceCustody200JSONResponse{Body: openapi.Custody{EvidenceId: req.EvidenceId, Entries: make([]openapi.CustodyEntry, len(entries))},
		Headers: openapi.GetEvidenceCustody200ResponseHeaders{Link: nextLink(ctx, pg, next)}}
	for i, x := range entries {
		out.Body.Entries[i] = openapi.CustodyEntry{Id: x.ID, At: x.At, Event: openapi.CustodyEntryEvent(x.Event), Detail: x.Detail,
			ActorUserId: optional(x.ActorUserID), DeviceId: optional(x.DeviceID), RequestId: optional(x.RequestID)}
		if out.Body.Entries[i].Detail == nil {
			out.Body.Entries[i].Detail = map[string]any{}
		}
	}
	return out, nil
}

// ListEvidenceOrphans lists evidence waiting for its record for longer
// than the configured age: team leaders their street's, administrators all.
func (s *server) ListEvidenceOrphans(ctx context.Context, req openapi.ListEvidenceOrphansRequestObject) (openapi.ListEvidenceOrphansResponseObject, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	street, ok := access.EvidenceOrphans(sc)
	if !ok {
		return nil, derrors.New(derrors.Forbidden, "only team leaders and administrators list orphaned evidence")
	}
	if s.evidence.Orphans == nil {
		return nil, derrors.New(derrors.Unavailable, "evidence is not configured")
	}
	pg, err := pageOf("orphans", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	after := position{}
	if pg.after != nil {
		after = *pg.after
	}
	es, err := s.evidence.Orphans.Orphans(ctx, street, s.now().Add(-s.evidence.OrphanAge), after.At, after.ID, pg.fetch())
	if err != nil {
		return nil, err
	}
	es, next := cut(pg, es, func(e evidence.Evidence) position { return position{At: *e.CompletedAt, ID: e.ID} }) // orphans are completed
	out := openapi.ListEvidenceOrphans200JSONResponse{Body: make([]openapi.Evidence, len(es)),
		Headers: openapi.ListEvidenceOrphans200ResponseHeaders{Link: nextLink(ctx, pg, next)}}
	for i, e := range es {
		out.Body[i] = evidenceOut(e)
	}
	return out, nil
}

// evidenceOut converts an item for the API.
func evidenceOut(e evidence.Evidence) openapi.Evidence {
	uid := func(s string) *uuid.UUID {
		if u, err := uuid.Parse(s); err == nil {
			return &u
		}
		return nil
	}
	out := openapi.Evidence{
		Id: uuid.MustParse(e.ID), ClientId: uuid.MustParse(e.ClientID), UploaderId: uuid.MustParse(e.UploaderID),
		RecordClientId: uid(e.RecordClientID), DeviceId: uid(e.DeviceID), StreetCode: optional(e.StreetCode),
		Kind: openapi.EvidenceKind(e.Kind), Status: openapi.EvidenceStatus(e.Status),
		ProblemCode: optional(e.ProblemCode), ProblemDetail: optional(e.ProblemDetail),
		DeclaredContentType: e.DeclaredContentType, ContentType: optional(e.ContentType), Length: e.Length,
		DeclaredSha256: e.DeclaredSHA256, Sha256: optional(e.SHA256), CapturedAt: e.CapturedAt, Lat: e.Lat, Lon: e.Lon,
		ObjectKey: optional(e.ObjectKey), VersionId: optional(e.VersionID), RetainUntil: e.RetainUntil,
		Discrepancies: e.Discrepancies, Thumbnail: e.Thumbnail, CreatedAt: e.CreatedAt, CompletedAt: e.CompletedAt,
		LinkedAt: e.LinkedAt, LinkedRecordId: uid(e.LinkedRecordID), ThumbnailFailure: optional(e.ThumbnailFailure),
	}
	if out.Discrepancies == nil {
		out.Discrepancies = []string{}
	}
	if e.LockMode != "" {
		m := openapi.EvidenceLockMode(e.LockMode)
		out.LockMode = &m
	}
	if x := e.EXIF; x != nil {
		out.Exif = &openapi.EvidenceEXIF{Make: optional(x.Make), Model: optional(x.Model), DateTimeOriginal: optional(x.DateTimeOriginal),
			OffsetTimeOriginal: optional(x.OffsetTimeOriginal), Lat: x.Lat, Lon: x.Lon}
	}
	return out
}

package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/openapi"
)

var _ openapi.StrictServerInterface = (*server)(nil)

// server implements the operations of openapi.yaml.
type server struct {
	log         *slog.Logger
	ids         *identity.Service
	org         OrgStore
	users       identity.UserStore
	passwords   identity.PasswordHasher
	trail       Trail
	sync        Sync
	inspections Inspections
	cases       Cases
	reviews     EvidenceReviews
	whistles    Whistles
	evidence    Evidence
	review      Review
	deadlines   Deadlines
	bundles     Bundles
	archives    *archive.Service
	perf        Performance
	assess      *assess.Service
	now         func() time.Time
	deps        []Dependency
	gatherer    prometheus.Gatherer
	acts        *actCounter
	docs        []byte
}

// GetHealthz answers while the process runs.
func (s *server) GetHealthz(context.Context, openapi.GetHealthzRequestObject) (openapi.GetHealthzResponseObject, error) {
	return openapi.GetHealthz200JSONResponse{Status: openapi.Ok}, nil
}

// notReady is the 503 of /readyz: a problem that lists every check.
type notReady struct {
	err    *derrors.Error
	checks []openapi.Check
}

func (e notReady) Error() string                  { return e.err.Error() }
func (e notReady) Unwrap() error                  { return e.err }
func (e notReady) extendProblem(p map[string]any) { p["checks"] = e.checks }

// GetReadyz checks every dependency, each within a short timeout, and names
// the ones that are down.
func (s *server) GetReadyz(ctx context.Context, _ openapi.GetReadyzRequestObject) (openapi.GetReadyzResponseObject, error) {
	checks := make([]openapi.Check, len(s.deps))
	var down []string
	for i, d := range s.deps {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := d.Check.Ping(cctx)
		cancel()
		checks[i] = openapi.Check{Name: openapi.CheckName(d.Name), Ok: err == nil}
		if err != nil {
			// The driver's error (addresses, user names, server messages) is
			// for the log; the unauthenticated caller gets one generic word.
			why := openapi.CheckErrorUnreachable
			if errors.Is(err, context.DeadlineExceeded) {
				why = openapi.CheckErrorTimeout
			}
			checks[i].Error = &why
			down = append(down, d.Name)
			s.log.WarnContext(ctx, "dependency down", "dependency", d.Name, "err", err.Error())
		}
	}
	if len(down) > 0 {
		return nil, notReady{
			err:    derrors.New(derrors.Unavailable, "not ready: %v down", down),
			checks: checks,
		}
	}
	return openapi.GetReadyz200JSONResponse{Status: openapi.Ready, Checks: checks}, nil
}

// GetMetrics renders the Prometheus registry in the text format.
func (s *server) GetMetrics(context.Context, openapi.GetMetricsRequestObject) (openapi.GetMetricsResponseObject, error) {
	families, err := s.gatherer.Gather()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return nil, err
		}
	}
	return openapi.GetMetrics200TextResponse(buf.String()), nil
}

// GetOpenAPI serves the contract as written.
func (s *server) GetOpenAPI(context.Context, openapi.GetOpenAPIRequestObject) (openapi.GetOpenAPIResponseObject, error) {
	return openapi.GetOpenAPI200ApplicationyamlResponse{Body: bytes.NewReader(openapi.Spec), ContentLength: int64(len(openapi.Spec))}, nil
}

// GetDocs serves the reference page rendered from the contract at start.
func (s *server) GetDocs(context.Context, openapi.GetDocsRequestObject) (openapi.GetDocsResponseObject, error) {
	return openapi.GetDocs200TexthtmlResponse{Body: bytes.NewReader(s.docs), ContentLength: int64(len(s.docs))}, nil
}

package api_test

import (
	"context"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/media/mediatest"
)

// reopenBucket is bucket again, through a store of the test object store's
// configuration as set changes it.
func reopenBucket(t *testing.T, bucket *media.Store, set func(*media.Config)) *media.Store {
	t.Helper()
	cfg := mediatest.Config(t)
	cfg.Bucket = bucket.Bucket()
	set(&cfg)
	s, err := media.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logWriter writes to the test's log (shown with go test -v).
type logWriter struct{ t *testing.T }

func (w logWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// TestTracing_Traceparent sends an evidence upload with a W3C traceparent
// and finds the server span, the SQL spans and the S3 spans of the request
// in the caller's trace. With -v it prints them through the stdout exporter:
//
//	deploy/local/test.sh -count=1 -v -run TestTracing_Traceparent ./backend/api/
func TestTracing_Traceparent(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	f := newFixture(t, options{demo: true, tracing: tp})
	officer := f.login(t, "officer.a", "whistle-demo")
	recorder.Reset()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	data := testJPEG(t, 32, 24, 1, nil)
	req := tusReq("POST", "/v1/evidence/uploads", officer, data)
	it := newItem(data, "image/jpeg", "photo")
	req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
	req.Header.Set("Upload-Metadata", it.metadata())
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	if res := f.client.Do(req); res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}

	// The spans of the request, as the stdout exporter (WHISTLE_OTEL_EXPORTER=stdout) prints them.
	stdout, err := stdouttrace.New(stdouttrace.WithWriter(logWriter{t}), stdouttrace.WithPrettyPrint())
	if err != nil {
		t.Fatal(err)
	}
	if err := stdout.ExportSpans(context.Background(), recorder.Ended()); err != nil {
		t.Fatal(err)
	}

	kinds := map[string]int{}
	var server sdktrace.ReadOnlySpan
	for _, s := range recorder.Ended() {
		if got := s.SpanContext().TraceID().String(); got != traceID {
			t.Errorf("span %q in trace %s, want the caller's %s", s.Name(), got, traceID)
		}
		switch {
		case s.SpanKind() == trace.SpanKindServer:
			server = s
			kinds["http"]++
		case len(s.Name()) > 4 && s.Name()[:4] == "SQL ":
			kinds["sql"]++
		case len(s.Name()) > 3 && s.Name()[:3] == "S3 ":
			kinds["s3"]++
		}
	}
	if kinds["http"] != 1 || kinds["sql"] == 0 || kinds["s3"] == 0 {
		t.Fatalf("spans by kind = %v, want one HTTP server span and SQL and S3 spans", kinds)
	}
	if server.Name() != "POST /v1/evidence/uploads" || server.Parent().SpanID().String() != parentID {
		t.Errorf("server span %q, parent %s; want POST /v1/evidence/uploads under %s", server.Name(), server.Parent().SpanID(), parentID)
	}
	for _, s := range recorder.Ended() {
		if s.SpanKind() != trace.SpanKindServer && s.Parent().SpanID() != server.SpanContext().SpanID() {
			t.Errorf("span %q hangs under %s, not under the request's span", s.Name(), s.Parent().SpanID())
		}
	}
}

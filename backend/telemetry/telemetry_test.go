package telemetry_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/telemetry"
)

func TestNew(t *testing.T) {
	t.Run("OKNone", func(t *testing.T) {
		tp, stop, err := telemetry.New(context.Background(), telemetry.Config{})
		if err != nil {
			t.Fatal(err)
		}
		_, span := tp.Tracer("test").Start(context.Background(), "nothing")
		if span.IsRecording() {
			t.Error("with no exporter a span is recorded")
		}
		span.End()
		if err := stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKStdout", func(t *testing.T) {
		var out bytes.Buffer
		tp, stop, err := telemetry.New(context.Background(), telemetry.Config{Exporter: telemetry.ExporterStdout,
			ServiceName: "whistle", Version: "test", Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		_, span := tp.Tracer("test").Start(context.Background(), "GET /healthz")
		span.End()
		if err := stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s := out.String(); !strings.Contains(s, `"Name":"GET /healthz"`) || !strings.Contains(s, `"Value":"whistle"`) {
			t.Fatalf("stdout exporter wrote %s", s)
		}
	})
	t.Run("ErrExporter", func(t *testing.T) {
		if _, _, err := telemetry.New(context.Background(), telemetry.Config{Exporter: "jaeger"}); err == nil {
			t.Fatal("unknown exporter accepted")
		}
	})
}

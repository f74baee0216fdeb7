package openapi_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/whistle/whistle/openapi"
)

// TestGenerated fails when openapi.gen.go is not what oapi-codegen makes of
// openapi.yaml today: run `make generate` and commit the result.
func TestGenerated(t *testing.T) {
	dir := t.TempDir()
	cfg, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("output: openapi.gen.go"), []byte("output: "+filepath.Join(dir, "gen.go")), 1)
	if err := os.WriteFile(filepath.Join(dir, "cfg.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", filepath.Join(dir, "cfg.yaml"), "openapi.yaml")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "gen.go"))
	got, err := os.ReadFile("openapi.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("openapi.gen.go is stale: run `make generate` and commit it")
	}
}

func TestLoad(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Servers != nil {
		t.Fatal("Load keeps servers: routes would only match one host")
	}
	// Default deny: the contract requires a bearer token unless an operation opts out.
	if len(doc.Security) == 0 {
		t.Fatal("openapi.yaml has no global security requirement")
	}
}

package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// There is no Docker engine on the development machine, so these tests read
// deploy/compose.yaml and the Dockerfile as an operator's review would:
// every image pinned, every start ordered on health or completion, every
// setting one the binary reads.

// composeFile is the part of a compose file the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string                       `yaml:"image"`
	Build       any                          `yaml:"build"`
	PullPolicy  string                       `yaml:"pull_policy"`
	Command     []string                     `yaml:"command"`
	Environment map[string]string            `yaml:"environment"`
	DependsOn   map[string]map[string]string `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Restart string   `yaml:"restart"`
	Ports   []string `yaml:"ports"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile("../../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	if len(f.Services) == 0 {
		t.Fatal("deploy/compose.yaml: no services")
	}
	return f
}

// pinnedImage names an image by a release: a tag with major and minor
// version (postgres:15.18-bookworm, not postgres:15, which moves with each
// minor release) or a MinIO release date, optionally followed by a digest.
var pinnedImage = regexp.MustCompile(`^[^:@]+:([^:@]*[0-9]+\.[0-9]+[^:@]*|RELEASE\.[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9-]+Z)(@sha256:[0-9a-f]{64})?$`)

// TestCompose_ImagesPinned checks that every image is named by a release
// (never latest, a bare major version or no tag), or is the Whistle image
// that a service of the file builds.
func TestCompose_ImagesPinned(t *testing.T) {
	f := readCompose(t)
	built := map[string]bool{}
	for _, s := range f.Services {
		if s.Build != nil {
			built[s.Image] = true
		}
	}
	for name, s := range f.Services {
		switch {
		case s.Image == "":
			t.Errorf("service %s names no image", name)
		case built[s.Image]:
			if s.Build == nil && s.PullPolicy != "never" {
				t.Errorf("service %s runs the image %s built here but may pull it from a registry (pull_policy: never)", name, s.Image)
			}
		case !pinnedImage.MatchString(s.Image):
			t.Errorf("service %s: image %q is not pinned to a version tag", name, s.Image)
		}
	}
}

// TestCompose_StartOrder checks that every dependency waits for a health
// check or a successful exit, never a bare start, that each one-shot step
// runs before the API, and that the API depends on healthy stores and a
// finished seed.
func TestCompose_StartOrder(t *testing.T) {
	f := readCompose(t)
	for name, s := range f.Services {
		for dep, spec := range s.DependsOn {
			target, ok := f.Services[dep]
			if !ok {
				t.Errorf("service %s depends on %s, which is not in the file", name, dep)
				continue
			}
			switch spec["condition"] {
			case "service_healthy":
				if target.Healthcheck == nil {
					t.Errorf("service %s waits for %s to be healthy, which has no healthcheck", name, dep)
				}
			case "service_completed_successfully":
				if target.Restart != "no" {
					t.Errorf("service %s waits for %s to finish, which is not a one-shot (restart: \"no\")", name, dep)
				}
			default:
				t.Errorf("service %s depends on %s with condition %q, want service_healthy or service_completed_successfully", name, dep, spec["condition"])
			}
		}
	}
	want := map[string]map[string]string{
		"migrate": {"postgres": "service_healthy"},
		"seed":    {"postgres": "service_healthy", "migrate": "service_completed_successfully"},
		"whistle": {"postgres": "service_healthy", "minio": "service_healthy", "seed": "service_completed_successfully"},
	}
	commands := map[string][]string{"migrate": {"migrate"}, "seed": {"seed", "demo"}, "whistle": {"serve"}}
	for name, deps := range want {
		s, ok := f.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if !slices.Equal(s.Command, commands[name]) {
			t.Errorf("service %s runs %q, want %q", name, s.Command, commands[name])
		}
		for dep, cond := range deps {
			if got := s.DependsOn[dep]["condition"]; got != cond {
				t.Errorf("service %s depends on %s with %q, want %q", name, dep, got, cond)
			}
		}
	}
	if f.Services["migrate"].Image != f.Services["whistle"].Image || f.Services["seed"].Image != f.Services["whistle"].Image {
		t.Error("migrate, seed and whistle do not run the same image")
	}
}

// TestCompose_Healthchecks checks that the stores and the API have health
// checks, and that the API's runs without a shell (the image is distroless):
// exec form, the binary's own healthcheck command, at the path the
// Dockerfile installs it to.
func TestCompose_Healthchecks(t *testing.T) {
	f := readCompose(t)
	for _, name := range []string{"postgres", "minio", "whistle"} {
		h := f.Services[name].Healthcheck
		if h == nil || len(h.Test) < 2 || h.Test[0] != "CMD" {
			t.Errorf("service %s: healthcheck %v, want an exec-form [\"CMD\", ...] test", name, h)
		}
	}
	if h := f.Services["postgres"].Healthcheck; h != nil && !slices.Contains(h.Test, "pg_isready") {
		t.Errorf("postgres healthcheck %q does not run pg_isready", h.Test)
	}
	dockerfile, err := os.ReadFile("../../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if h := f.Services["whistle"].Healthcheck; h != nil && len(h.Test) == 3 {
		if h.Test[2] != "healthcheck" {
			t.Errorf("whistle healthcheck runs %q, want the healthcheck command", h.Test)
		}
		if !strings.Contains(string(dockerfile), "COPY --from=build /out/whistle "+h.Test[1]+"\n") {
			t.Errorf("whistle healthcheck runs %s, which the Dockerfile does not install", h.Test[1])
		}
	} else {
		t.Errorf("whistle healthcheck %v, want [CMD /usr/local/bin/whistle healthcheck]", h)
	}
}

// TestCompose_Settings checks that every WHISTLE_* variable the file sets is
// a setting the binary reads, that the configuration it makes loads, and
// that it serves what a client can reach: migrations left to migrate, and
// presigned URLs naming MinIO's address on the host.
func TestCompose_Settings(t *testing.T) {
	f := readCompose(t)
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	for name, s := range f.Services {
		for v := range s.Environment {
			if strings.HasPrefix(v, "WHISTLE_") && !known[v] {
				t.Errorf("service %s sets %s, which is no setting of the binary", name, v)
			}
		}
	}
	web := f.Services["whistle"]
	env := func(name string) string {
		v := web.Environment[name]
		if strings.HasPrefix(v, "${") { // an operator's variable, unset here
			return ""
		}
		return v
	}
	cfg, err := LoadConfig(env)
	if err != nil {
		t.Fatalf("the whistle service's configuration does not load: %v", err)
	}
	if cfg.MigrateOnStart {
		t.Error("the whistle service migrates at its start; migrate does that once")
	}
	// MinIO's API port as published on the host: "127.0.0.1:9000:9000" gives 127.0.0.1:9000.
	var published []string
	for _, p := range f.Services["minio"].Ports {
		if hostPort, found := strings.CutSuffix(p, ":9000"); found {
			published = append(published, hostPort)
		}
	}
	if !slices.Contains(published, cfg.S3.PublicEndpoint) {
		t.Errorf("presigned URLs name %q, not MinIO's port on the host (%q)", cfg.S3.PublicEndpoint, published)
	}
}

// TestDockerfile_Pinned checks that every base image of the Dockerfile is
// pinned by digest, behind a tag that says what it is.
func TestDockerfile_Pinned(t *testing.T) {
	b, err := os.ReadFile("../../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`^FROM\s+[^:@\s]+:[^:@\s]+@sha256:[0-9a-f]{64}(\s+AS\s+\S+)?$`)
	froms := 0
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			continue
		}
		froms++
		if !pinned.MatchString(line) {
			t.Errorf("Dockerfile: %q is not pinned (want FROM name:tag@sha256:digest)", line)
		}
		if strings.Contains(line, ":latest@") {
			t.Errorf("Dockerfile: %q names latest", line)
		}
	}
	if froms == 0 {
		t.Fatal("Dockerfile has no FROM line")
	}
}

// TestHealthcheck_Answers checks the healthcheck command as the container
// runs it: listening on 0.0.0.0, it asks the loopback address, passes on a
// 200 from /healthz and fails on any other answer.
func TestHealthcheck_Answers(t *testing.T) {
	status := http.StatusOK
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Path
		w.WriteHeader(status)
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := healthcheck(context.Background(), "0.0.0.0:"+port); err != nil {
		t.Fatalf("healthcheck of a healthy server: %v", err)
	}
	if asked != "/healthz" {
		t.Errorf("healthcheck asked %q, want /healthz", asked)
	}
	status = http.StatusServiceUnavailable
	if err := healthcheck(context.Background(), "0.0.0.0:"+port); err == nil {
		t.Error("healthcheck passes on a 503")
	}
}

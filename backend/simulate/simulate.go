// Package simulate is the field-day simulator behind `whistle simulate`: it
// plays officers' phones through a day on the real API, then checks the
// server as an operator would that nothing acknowledged was lost or
// duplicated.
//
// Each phone is a sync/client.Client of its own (durable outbox, signing,
// retries) in a directory DIR/<i>, logged in as one of the demo's officer
// logins (cycled). Its day is a plan drawn from the seed: inspections of
// several matters by crews of varying composition, the demo's hard cases
// among them (a crew member whose certificate has expired, an
// auxiliary-only crew, a seizure by a mixed crew, a listed department's
// matter); photos (JPEGs with EXIF, of a configurable size) uploaded with
// tus; offline stretches (several acts recorded, then pushed at once);
// pulls. The phones run at the same time, so their reconnections meet at
// the server. The plan (crews, matters, photos, stretches) is the same for
// the same seed; entity ids derive from it and the device id the server
// assigns, so that two runs against one server never collide.
//
// The check (Check, also run at the end of Run) reads what each device
// holds (the results log of every act the server answered, the outbox, the
// simulator's journal of photos in the directory) and asks the API: every
// acknowledged act is present exactly once (fetched by id as its officer,
// counted in the team leader's list), every photo verified and linked,
// every record complete or flagged with its stated exceptions, every
// rejection with its problem, every outbox empty and every cursor caught up
// (a last pull brings nothing new).
package simulate

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/sync/client"
)

var beijing = clock.Beijing

// PhotoFunc draws the picture of photo i of an act: a JPEG of a street
// scene with caption drawn on it, the same bytes for the same arguments.
type PhotoFunc func(caption string, lat float64, i int) []byte

// Config is one simulation. Server, Officers, Dir, Now and Photo are
// required; the zero value of the others takes its default.
type Config struct {
	Server     string           // the API's base URL
	Officers   int              // phones, each logged in as a demo officer login (cycled)
	Acts       int              // acts per phone; default 5
	Seed       uint64           // the plan's seed
	Photos     int              // at most this many photos per act (at least 1); default 2
	PhotoBytes int              // each photo padded to at least this size; 0: as drawn
	Offline    int              // longest offline stretch, in acts; default 3
	Dir        string           // DIR/<i> is phone i; must not hold phones yet
	Password   string           // the officers' password; default demo.Password
	Now        func() time.Time // the one clock: the day ends before now
	Photo      PhotoFunc
	HTTP       *http.Client // default: 60 s timeout
	Client     client.Options
	Log        io.Writer // progress, one line per phone and stretch; default none
}

func (c Config) withDefaults() Config {
	if c.Acts <= 0 {
		c.Acts = 5
	}
	if c.Photos <= 0 {
		c.Photos = 2
	}
	if c.Offline <= 0 {
		c.Offline = 3
	}
	if c.Password == "" {
		c.Password = demo.Password
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if c.Client.HTTPClient == nil {
		c.Client.HTTPClient = c.HTTP
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// journalFile is the simulator's own file in a phone's directory: what the
// sync client does not keep (the login, the records' ids and the photos
// with the evidence id the server gave each).
const journalFile = "simulator.json"

type journal struct {
	Officer officer      `json:"officer"`
	Acts    []journalAct `json:"acts"`
}

type journalAct struct {
	RecordID string  `json:"record_id"`
	Scenario string  `json:"scenario"`
	Photos   []photo `json:"photos"`
}

// photo is one photo of an act: what the record expects, and what became
// of its upload.
type photo struct {
	ClientID   string    `json:"client_id"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	CapturedAt time.Time `json:"captured_at"`
	Lat        float64   `json:"lat"`
	Lon        float64   `json:"lon"`
	EvidenceID string    `json:"evidence_id,omitempty"` // the server's id, once uploaded
	Problem    string    `json:"problem,omitempty"`     // why the upload failed
	data       []byte
}

func saveJournal(dir string, j journal) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, journalFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, journalFile))
}

func loadJournal(dir string) (journal, error) {
	var j journal
	b, err := os.ReadFile(filepath.Join(dir, journalFile))
	if err != nil {
		return j, err
	}
	return j, json.Unmarshal(b, &j)
}

// idSpace names the simulator's entity ids.
var idSpace = uuid.MustParse("2b8f5c1d-7a4e-4f09-b3d6-91e0c47a5f32")

// Run plays the field day of cfg.Officers phones at the same time, syncs
// each once more when all are done, and checks the server (Check). It
// returns the check's summary; an error is a simulation that could not run
// (the server unreachable, a login refused), not a failed check.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	cfg = cfg.withDefaults()
	if cfg.Officers <= 0 || cfg.Server == "" || cfg.Dir == "" || cfg.Now == nil || cfg.Photo == nil {
		return Summary{}, errors.New("simulate: Server, Officers (at least 1), Dir, Now and Photo are required")
	}
	now := cfg.Now()
	ds, err := demo.Dataset(now)
	if err != nil {
		return Summary{}, err
	}
	officers, err := roster(ds, now)
	if err != nil {
		return Summary{}, err
	}
	phones := make([]*client.Client, cfg.Officers)
	defer func() {
		for _, c := range phones {
			if c != nil {
				c.Close()
			}
		}
	}()
	errs := make([]error, cfg.Officers)
	var wg sync.WaitGroup
	for i := range cfg.Officers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phones[i], errs[i] = day(ctx, cfg, i, officers[i%len(officers)], now)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Summary{}, err
	}
	// The last sync of the day, once everybody's uploads are in: each phone
	// pushes what is left and pulls what the others changed.
	for i, c := range phones {
		if _, err := c.Push(ctx); err != nil {
			fmt.Fprintf(cfg.Log, "phone %d: last push: %v\n", i, err)
		}
		if _, err := c.Pull(ctx); err != nil {
			fmt.Fprintf(cfg.Log, "phone %d: last pull: %v\n", i, err)
		}
		c.Close()
		phones[i] = nil
	}
	return Check(ctx, cfg)
}

// day plays phone i as o: it registers the device, then records, uploads,
// pushes and pulls its plan, stretch by stretch. The day's acts end before
// now. It returns the open client.
func day(ctx context.Context, cfg Config, i int, o officer, now time.Time) (*client.Client, error) {
	dir := filepath.Join(cfg.Dir, strconv.Itoa(i))
	c, err := client.Init(ctx, dir, cfg.Server, o.Username, cfg.Password, fmt.Sprintf("模拟手机 %d（%s）", i, o.Username), cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("phone %d (%s): %w", i, o.Username, err)
	}
	s := &session{server: cfg.Server, username: o.Username, password: cfg.Password, deviceID: c.DeviceID(), http: cfg.HTTP}
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
	start := now.Add(-dayLength(cfg.Acts))
	bootAt := start.Add(-2 * time.Hour)
	plan := planDay(rng, start, cfg.Acts, cfg.Photos, cfg.Offline, len(places[o.Street]))
	j := journal{Officer: o}
	// The morning sync: the phone takes its team's data before going out.
	if _, err := c.Pull(ctx); err != nil {
		return c, fmt.Errorf("phone %d: first pull: %w", i, err)
	}
	n := 0
	for k, st := range plan {
		var recorded []*journalAct
		for _, a := range st.acts {
			id := uuid.NewSHA1(idSpace, fmt.Appendf(nil, "%s/%d", c.DeviceID(), n)).String()
			n++
			act, err := recordAct(ctx, cfg, c, s, o, a, id, bootAt, rng)
			if err != nil {
				return c, fmt.Errorf("phone %d: %w", i, err)
			}
			j.Acts = append(j.Acts, act)
			recorded = append(recorded, &j.Acts[len(j.Acts)-1])
		}
		if err := saveJournal(dir, j); err != nil {
			return c, err
		}
		// Back online: the stretch's acts and photos go at once.
		upload := func() {
			for _, act := range recorded {
				for p := range act.Photos {
					uploadPhoto(ctx, s, act.RecordID, &act.Photos[p])
				}
			}
		}
		if st.photosFirst {
			upload()
		}
		rep, err := c.Push(ctx)
		if err != nil {
			fmt.Fprintf(cfg.Log, "phone %d: push: %v (left in the outbox)\n", i, err)
		}
		if !st.photosFirst {
			upload()
		}
		if _, err := c.Pull(ctx); err != nil {
			fmt.Fprintf(cfg.Log, "phone %d: pull: %v\n", i, err)
		}
		for _, act := range recorded {
			for p := range act.Photos {
				act.Photos[p].data = nil
			}
		}
		if err := saveJournal(dir, j); err != nil {
			return c, err
		}
		fmt.Fprintf(cfg.Log, "phone %d (%s): stretch %d: %d act(s) offline, pushed %d %v\n", i, o.Username, k+1, len(st.acts), rep.Sent, rep.Verdicts)
	}
	return c, nil
}

// recordAct records act a offline as record id, with its photos taken: the
// phone decides the procedure with the authority rules (here: the
// server's decision endpoint, the same rules the phone runs on its pulled
// data), draws the photos and records the inspection in the outbox.
func recordAct(ctx context.Context, cfg Config, c *client.Client, s *session, o officer, a plannedAct, id string, bootAt time.Time, rng *rand.Rand) (journalAct, error) {
	act := journalAct{RecordID: id, Scenario: a.scenario.name}
	p := places[o.Street][a.place]
	for k := range a.photos {
		at := a.at.Add(time.Duration(k+1) * time.Minute)
		img := cfg.Photo(a.scenario.findings+" "+p.address, p.lat, k)
		img = padded(withEXIF(img, at, p.lat, p.lon), cfg.PhotoBytes, rng)
		sum := sha256.Sum256(img)
		act.Photos = append(act.Photos, photo{ClientID: uuid.NewSHA1(idSpace, fmt.Appendf(nil, "%s/photo/%d", id, k)).String(),
			SHA256: hex.EncodeToString(sum[:]), Size: int64(len(img)), CapturedAt: at, Lat: p.lat, Lon: p.lon, data: img})
	}
	tier, err := decide(ctx, s, o, a)
	if err != nil {
		return act, err
	}
	r := a.record(o, id, tier, bootAt, act.Photos)
	if _, err := c.Record(inspection.MutationRecord, id, r); err != nil {
		return act, err
	}
	return act, nil
}

// decide is the procedure the crew of a may use for its matter at the act.
func decide(ctx context.Context, s *session, o officer, a plannedAct) (authority.Tier, error) {
	type checkIn struct {
		OfficerCode string    `json:"officer_code"`
		CheckedInAt time.Time `json:"checked_in_at"`
	}
	in := struct {
		MatterCode string    `json:"matter_code"`
		At         time.Time `json:"at"`
		Crew       []checkIn `json:"crew"`
	}{MatterCode: a.scenario.matter, At: a.at.UTC()}
	for _, code := range a.scenario.crew(o) {
		in.Crew = append(in.Crew, checkIn{OfficerCode: code, CheckedInAt: a.at.Add(-3 * time.Minute).UTC()})
	}
	var out struct {
		Tier authority.Tier `json:"tier"`
	}
	err := withRetries(ctx, func() error {
		_, err := s.call(ctx, http.MethodPost, "/v1/authority/decisions", in, &out)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("decide the procedure of %s: %w", a.scenario.name, err)
	}
	return out.Tier, nil
}

// uploadPhoto sends ph whole in its creation request (tus
// creation-with-upload), retrying when there is no answer or a transient
// one: the server answers a client id it already verified with the same
// upload, so a retry never makes a second item. The evidence id, or the
// problem, goes into ph.
func uploadPhoto(ctx context.Context, s *session, recordID string, ph *photo) {
	if ph.EvidenceID != "" {
		return
	}
	b := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	meta := strings.Join([]string{"client_id " + b(ph.ClientID), "sha256 " + b(ph.SHA256), "content_type " + b("image/jpeg"),
		"kind " + b("photo"), "captured_at " + b(ph.CapturedAt.Format(time.RFC3339)), "record_client_id " + b(recordID),
		"filename " + b("IMG_"+ph.ClientID[:8]+".jpg"), "lat " + b(strconv.FormatFloat(ph.Lat, 'f', 6, 64)),
		"lon " + b(strconv.FormatFloat(ph.Lon, 'f', 6, 64))}, ",")
	h := http.Header{}
	h.Set("Tus-Resumable", "1.0.0")
	h.Set("Upload-Length", strconv.Itoa(len(ph.data)))
	h.Set("Upload-Metadata", meta)
	var loc string
	err := withRetries(ctx, func() error {
		_, got, err := s.authorized(ctx, http.MethodPost, "/v1/evidence/uploads", ph.data, "application/offset+octet-stream", h, nil)
		if err == nil {
			loc = got.Get("Location")
		}
		return err
	})
	switch {
	case err != nil:
		ph.Problem = err.Error()
	case loc == "":
		ph.Problem = "the upload was answered without a Location"
	default:
		ph.EvidenceID = path.Base(loc)
	}
}

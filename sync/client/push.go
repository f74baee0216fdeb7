package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	wsync "github.com/whistle/whistle/sync"
)

// MaxArgsBytes is the largest args of one mutation Record accepts, so that
// every mutation fits in a push whatever its neighbours.
const MaxArgsBytes = 1 << 20

// canonicalArgs returns args as the exact bytes that are signed, stored and
// sent: the form json.Marshal gives a json.RawMessage (compact, with <, >
// and & escaped). Marshalling that form again yields the same bytes, so the
// push body carries what was signed.
func canonicalArgs(args any) (json.RawMessage, error) {
	var raw []byte
	switch a := args.(type) {
	case json.RawMessage:
		raw = a
	case []byte:
		raw = a
	default:
		var err error
		if raw, err = json.Marshal(args); err != nil {
			return nil, fmt.Errorf("args: %w", err)
		}
	}
	if !json.Valid(raw) {
		return nil, errors.New("args are not valid JSON")
	}
	b, err := json.Marshal(json.RawMessage(raw))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("args must be a JSON object")
	}
	if len(b) > MaxArgsBytes {
		return nil, fmt.Errorf("args are %d bytes, at most %d", len(b), MaxArgsBytes)
	}
	return b, nil
}

// Record records a mutation offline: it numbers it with the device's next
// sequence number, signs it with the device key (wsync.Sign) and writes it
// durably to the outbox before returning. It uses no network. An empty
// entityID gets a new UUID. It refuses a malformed name (entity.verb@N), an
// entity id that is not a UUID, and args that are not a JSON object of at
// most MaxArgsBytes.
func (c *Client) Record(name, entityID string, args any) (wsync.Mutation, error) {
	if !wsync.ValidName(name) {
		return wsync.Mutation{}, fmt.Errorf("%q is not a versioned mutation name such as inspection.record@1", name)
	}
	if entityID == "" {
		entityID = uuid.NewString()
	}
	if _, err := uuid.Parse(entityID); err != nil || len(entityID) != 36 {
		return wsync.Mutation{}, fmt.Errorf("entity id %q is not a UUID", entityID)
	}
	raw, err := canonicalArgs(args)
	if err != nil {
		return wsync.Mutation{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	m := wsync.Mutation{
		Seq:      c.nextSeq,
		EntityID: entityID,
		Name:     name,
		Args:     raw,
		Clock:    wsync.Clock{Wall: wsync.WallAt(now), SinceBootMS: c.opts.SinceBoot().Milliseconds()},
	}
	m = wsync.Sign(c.key, c.id.DeviceID, m)
	b, err := json.Marshal(pending{Mutation: m, RecordedAt: now.UTC()})
	if err != nil {
		return wsync.Mutation{}, err
	}
	// The commit point: once the file is renamed into place the number is used.
	if err := c.write(filepath.Join(c.dir, outboxDir, outboxName(m.Seq)), b, 0o600); err != nil {
		return wsync.Mutation{}, fmt.Errorf("write outbox: %w", err)
	}
	c.nextSeq++
	c.outbox = append(c.outbox, entry{Seq: m.Seq, RecordedAt: now.UTC(), Size: int64(len(b))})
	return m, nil
}

// readPending reads one outbox file.
func (c *Client) readPending(seq int64) (pending, error) {
	var p pending
	if err := readJSON(filepath.Join(c.dir, outboxDir, outboxName(seq)), &p); err != nil {
		return p, err
	}
	if !wsync.Verify(c.PublicKey(), c.id.DeviceID, p.Mutation) {
		return p, fmt.Errorf("outbox: mutation %d does not verify with the device key (the file was altered)", seq)
	}
	return p, nil
}

// PushReport is what a Push did.
type PushReport struct {
	Sent           int                   // mutations that left the outbox with a final verdict
	Verdicts       map[wsync.Verdict]int // how many got each verdict
	Results        []wsync.Result        // the final verdicts, in order
	Remaining      int                   // mutations still in the outbox
	LastAppliedSeq int64                 // the server's last applied sequence number
}

// RetryError is a push the server kept answering with verdict retry (a
// transient failure on its side, or a gap in the sequence) for MaxAttempts
// rounds in a row. The mutations stay in the outbox.
type RetryError struct {
	Result wsync.Result
}

// Error names the mutation the server asks to push again, and its problem.
func (e *RetryError) Error() string {
	msg := fmt.Sprintf("the server asks to push mutation %d again later", e.Result.Seq)
	if p := e.Result.Problem; p != nil {
		msg += fmt.Sprintf(" (%s: %s)", p.Code, p.Message)
	}
	return msg
}

type pushBody struct {
	Mutations []wsync.Mutation `json:"mutations"`
	Report    report           `json:"report"`
}

// Push sends the outbox in order, in batches of at most BatchSize mutations
// and MaxBatchBytes, until it is empty. A mutation with a final verdict
// (applied, duplicate, accepted_with_exceptions, rejected) leaves the
// outbox, and its result goes to the results log; a rejected one is logged
// whole. On verdict retry the push pauses with backoff and resumes from that
// mutation, giving up with *RetryError after MaxAttempts rounds; a request
// without an answer is retried the same way, since the server applies each
// sequence number once whatever happens to the answer. A 401 refreshes the
// session once (ErrLoginRequired if that fails); other refusals of a whole
// batch come back as *ProblemError. Mutations recorded during a push are
// pushed by it too.
func (c *Client) Push(ctx context.Context) (PushReport, error) {
	c.pushMu.Lock()
	defer c.pushMu.Unlock()
	rep := PushReport{Verdicts: map[wsync.Verdict]int{}}
	size, rounds := c.opts.BatchSize, 0
	for {
		batch, body, err := c.nextBatch(size)
		if err != nil || len(batch) == 0 {
			rep.Remaining = c.queueDepth()
			return rep, err
		}
		var res wsync.PushResponse
		err = c.retry(ctx, func(ctx context.Context) error { return c.authorized(ctx, "/v1/sync/push", body, &res) })
		var pe *ProblemError
		if errors.As(err, &pe) && pe.Status == http.StatusRequestEntityTooLarge && len(batch) > 1 {
			size = len(batch) / 2
			continue
		}
		if err != nil {
			rep.Remaining = c.queueDepth()
			return rep, err
		}
		settled, again, err := c.settle(batch, res)
		for _, r := range settled {
			rep.Sent++
			rep.Verdicts[r.Verdict]++
			rep.Results = append(rep.Results, r)
		}
		rep.LastAppliedSeq = res.LastAppliedSeq
		if err != nil {
			rep.Remaining = c.queueDepth()
			return rep, err
		}
		switch {
		case again != nil:
			rounds++
			if rounds >= c.opts.MaxAttempts {
				rep.Remaining = c.queueDepth()
				return rep, &RetryError{Result: *again}
			}
			if err := c.pause(ctx, rounds); err != nil {
				rep.Remaining = c.queueDepth()
				return rep, err
			}
		case len(settled) == 0:
			rep.Remaining = c.queueDepth()
			return rep, fmt.Errorf("the server answered no verdict for mutations %d..%d", batch[0].Seq, batch[len(batch)-1].Seq)
		default:
			rounds = 0
		}
	}
}

func (c *Client) queueDepth() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.outbox)
}

// nextBatch reads the first mutations of the outbox and encodes the push.
func (c *Client) nextBatch(size int) ([]wsync.Mutation, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var batch []wsync.Mutation
	var bytes int64
	for _, e := range c.outbox {
		if len(batch) == size || (len(batch) > 0 && bytes+e.Size > int64(c.opts.MaxBatchBytes)) {
			break
		}
		p, err := c.readPending(e.Seq)
		if err != nil {
			return nil, nil, err
		}
		batch = append(batch, p.Mutation)
		bytes += e.Size
	}
	if len(batch) == 0 {
		return nil, nil, nil
	}
	body, err := json.Marshal(pushBody{Mutations: batch, Report: c.report()})
	return batch, body, err
}

// settle takes the mutations with a final verdict out of the outbox: their
// results are appended to the results log and the sequence high-water mark
// is written before their files are removed. It returns the settled results
// and the first retry verdict, if any.
func (c *Client) settle(batch []wsync.Mutation, res wsync.PushResponse) ([]wsync.Result, *wsync.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent := make(map[int64]wsync.Mutation, len(batch))
	for _, m := range batch {
		sent[m.Seq] = m
	}
	now := c.opts.Now().UTC()
	var (
		settled []wsync.Result
		logged  []LoggedResult
		again   *wsync.Result
	)
	for _, r := range res.Results {
		m, ok := sent[r.Seq]
		if !ok {
			continue
		}
		if r.Verdict != wsync.Applied && r.Verdict != wsync.Duplicate && r.Verdict != wsync.AcceptedWithExceptions && r.Verdict != wsync.Rejected {
			// Retry, or a verdict this client does not know: keep it and what follows.
			r := r
			again = &r
			break
		}
		l := LoggedResult{Result: r, Name: m.Name, LoggedAt: now}
		if r.Verdict == wsync.Rejected {
			l.Mutation = &m
		}
		settled, logged = append(settled, r), append(logged, l)
	}
	c.seq.ServerLastAppliedSeq = res.LastAppliedSeq
	c.seq.LastPushAt = &now
	if len(logged) == 0 {
		return nil, again, writeJSON(c.write, c.path(seqFile), c.seq, 0o600)
	}
	if err := appendResults(c.path(resultsFile), logged); err != nil {
		return nil, nil, fmt.Errorf("results log: %w", err)
	}
	c.seq.LastUsed = max(c.seq.LastUsed, c.nextSeq-1)
	if err := writeJSON(c.write, c.path(seqFile), c.seq, 0o600); err != nil {
		return nil, nil, err
	}
	done := make(map[int64]bool, len(settled))
	for _, r := range settled {
		if err := os.Remove(filepath.Join(c.dir, outboxDir, outboxName(r.Seq))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
		done[r.Seq] = true
	}
	if err := syncDir(c.path(outboxDir)); err != nil {
		return nil, nil, err
	}
	kept := c.outbox[:0]
	for _, e := range c.outbox {
		if !done[e.Seq] {
			kept = append(kept, e)
		}
	}
	c.outbox = kept
	return settled, again, nil
}

// sinceBoot reads the time since the machine booted; where that is not
// available, the time since this process started (it only has to grow
// while the device runs).
func sinceBoot() time.Duration {
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if s, err := strconv.ParseFloat(f[0], 64); err == nil {
				return time.Duration(s * float64(time.Second))
			}
		}
	}
	return time.Since(processStart)
}

var processStart = time.Now()

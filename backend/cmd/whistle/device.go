package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
	"github.com/whistle/whistle/sync/client"
)

const deviceUsage = `usage: whistle device [-dir DIR] <command>

A command-line phone: records acts offline and syncs them later, with the
sync/client package (durable outbox, signing, retries). DIR holds the device
(default $WHISTLE_DEVICE_DIR, else ./whistle-device).

commands:
  init SERVER USERNAME [DEVICE-NAME]
              generate the device key, log in, register the device, log in
              with it; the password comes from $WHISTLE_DEVICE_PASSWORD or
              the first line of standard input, and is not stored
  login       open a new session after the old one ended (same password source)
  record inspection FILE.json
              record an inspection.record@1 offline (entity id: the file's
              "id", else a new UUID written into the args)
  record NAME@VERSION FILE.json [ENTITY-ID]
              record any mutation offline, the same way; an act on an
              existing entity (a case: case.file@1, case.note@1, ...) names
              it, and its args are sent as they are
  amend RECORD-ID BASE-VERSION REASON FILE.json
              record a correction (inspection.amend@1) of an inspection offline:
              FILE.json is the corrected record
  push        push the outbox; print each verdict
  pull        pull every scope until complete
  sync        push, then pull
  status      queue depth, oldest unsent act, cursors, last results
              (-json for the whole status as JSON)
`

// deviceCommand runs `whistle device ...`. It needs no server configuration:
// a device only knows its directory and the server it was initialized with.
func deviceCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("device", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "", "device directory")
	asJSON := fs.Bool("json", false, "status as JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return deviceUsageError(stderr)
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	// Flags may also follow the command.
	if err := fs.Parse(rest); err != nil {
		return deviceUsageError(stderr)
	}
	rest = fs.Args()
	if *dir == "" {
		*dir = getenv("WHISTLE_DEVICE_DIR")
	}
	if *dir == "" {
		*dir = "whistle-device"
	}
	opts := client.Options{AppVersion: deviceAppVersion}

	if cmd == "init" {
		if len(rest) < 2 || len(rest) > 3 {
			return deviceUsageError(stderr)
		}
		name := rest[1] + "'s phone"
		if len(rest) == 3 {
			name = rest[2]
		}
		password, err := devicePassword(getenv, stdin)
		if err != nil {
			return err
		}
		c, err := client.Init(ctx, *dir, rest[0], rest[1], password, name, opts)
		if err != nil {
			return err
		}
		defer c.Close()
		fmt.Fprintf(stdout, "device %s registered for %s at %s (directory %s)\n", c.DeviceID(), rest[1], rest[0], *dir)
		return nil
	}

	c, err := client.Open(*dir, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	switch cmd {
	case "login":
		password, err := devicePassword(getenv, stdin)
		if err != nil {
			return err
		}
		if err := c.Login(ctx, password); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "logged in; unsent acts are still queued")
		return nil
	case "record":
		if len(rest) != 2 && len(rest) != 3 {
			return deviceUsageError(stderr)
		}
		entity := ""
		if len(rest) == 3 {
			entity = rest[2]
		}
		return deviceRecord(c, rest[0], rest[1], entity, stdout)
	case "amend":
		if len(rest) != 4 {
			return deviceUsageError(stderr)
		}
		return deviceAmend(c, rest[0], rest[1], rest[2], rest[3], stdout)
	case "push":
		return devicePush(ctx, c, stdout)
	case "pull":
		return devicePull(ctx, c, stdout)
	case "sync":
		if err := devicePush(ctx, c, stdout); err != nil {
			return err
		}
		return devicePull(ctx, c, stdout)
	case "status":
		return deviceStatus(c, *asJSON, stdout)
	}
	return deviceUsageError(stderr)
}

// deviceAppVersion is what the simulator reports as its app version.
const deviceAppVersion = "1.0.0"

func deviceUsageError(out io.Writer) error {
	fmt.Fprint(out, deviceUsage)
	return errDeviceUsage
}

// errDeviceUsage makes main exit 2 like errUsage, the device usage printed.
var errDeviceUsage = errors.New("device usage")

// devicePassword reads the password from WHISTLE_DEVICE_PASSWORD or the
// first line of stdin.
func devicePassword(getenv func(string) string, stdin io.Reader) (string, error) {
	if p := getenv("WHISTLE_DEVICE_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: set WHISTLE_DEVICE_PASSWORD or write it on standard input")
	}
	return line, nil
}

// deviceRecord records the args in file as mutation kind ("inspection" or a
// name@version) on entity. Without an entity the act creates one: its id is
// the args' "id", else a new UUID written into the args, as a phone does for
// a new record.
func deviceRecord(c *client.Client, kind, file, entity string, out io.Writer) error {
	name := kind
	if kind == "inspection" {
		name = inspection.MutationRecord
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var args map[string]json.RawMessage
	if err := json.Unmarshal(b, &args); err != nil {
		return fmt.Errorf("%s: the args must be a JSON object: %w", file, err)
	}
	if _, err := uuid.Parse(entity); entity != "" && err != nil {
		return fmt.Errorf("entity id %q is not a UUID", entity)
	}
	id := entity
	if raw, ok := args["id"]; ok && entity == "" {
		if err := json.Unmarshal(raw, &id); err != nil {
			return fmt.Errorf("%s: id must be a string (a UUID)", file)
		}
	} else if entity == "" {
		id = uuid.NewString()
		args["id"], _ = json.Marshal(id)
		if b, err = json.Marshal(args); err != nil {
			return err
		}
	}
	m, err := c.Record(name, id, json.RawMessage(b))
	if err != nil {
		return err
	}
	st, err := c.Status()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "recorded seq %d %s entity %s (queue: %d)\n", m.Seq, m.Name, m.EntityID, st.QueueDepth)
	return nil
}

// deviceAmend records an inspection.amend@1 of record id, based on version
// base, with the corrected record in file.
func deviceAmend(c *client.Client, id, base, reason, file string, out io.Writer) error {
	version, err := strconv.Atoi(base)
	if err != nil || version < 1 {
		return fmt.Errorf("BASE-VERSION %q is not a version number", base)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var record map[string]json.RawMessage
	if err := json.Unmarshal(b, &record); err != nil {
		return fmt.Errorf("%s: the record must be a JSON object: %w", file, err)
	}
	record["id"], _ = json.Marshal(id)
	m, err := c.Record(inspection.MutationAmend, id, struct {
		BaseVersion int                        `json:"base_version"`
		Reason      string                     `json:"reason"`
		Record      map[string]json.RawMessage `json:"record"`
	}{version, reason, record})
	if err != nil {
		return err
	}
	st, err := c.Status()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "recorded seq %d %s entity %s (queue: %d)\n", m.Seq, m.Name, m.EntityID, st.QueueDepth)
	return nil
}

func devicePush(ctx context.Context, c *client.Client, out io.Writer) error {
	rep, err := c.Push(ctx)
	for _, r := range rep.Results {
		fmt.Fprintf(out, "seq %-6d %-25s %s%s\n", r.Seq, r.Verdict, r.EntityID, resultNote(r))
	}
	fmt.Fprintf(out, "pushed %d: %s; %d still queued; server has applied up to %d\n", rep.Sent, verdictCounts(rep.Verdicts),
		rep.Remaining, rep.LastAppliedSeq)
	return err
}

func resultNote(r wsync.Result) string {
	var parts []string
	for _, e := range r.Exceptions {
		parts = append(parts, e.Code)
	}
	if r.Problem != nil {
		parts = append(parts, r.Problem.Code+": "+r.Problem.Message)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, "; ") + ")"
}

func verdictCounts(v map[wsync.Verdict]int) string {
	var parts []string
	for _, k := range []wsync.Verdict{wsync.Applied, wsync.Duplicate, wsync.AcceptedWithExceptions, wsync.Rejected} {
		if v[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", v[k], k))
		}
	}
	if len(parts) == 0 {
		return "nothing to push"
	}
	return strings.Join(parts, ", ")
}

func devicePull(ctx context.Context, c *client.Client, out io.Writer) error {
	rep, err := c.Pull(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "pulled %d change(s) in %d page(s)\n", rep.Changes, rep.Pages)
	if len(rep.Evicted) > 0 {
		fmt.Fprintf(out, "evicted (data deleted): %s\n", strings.Join(rep.Evicted, ", "))
	}
	if len(rep.Resynced) > 0 {
		fmt.Fprintf(out, "re-bootstrapped: %s\n", strings.Join(rep.Resynced, ", "))
	}
	cursors := c.Cursors()
	for _, scope := range c.Scopes() {
		fmt.Fprintf(out, "  %-28s cursor %-8d %d entities\n", scope, cursors[scope], len(c.Entities(scope)))
	}
	return nil
}

func deviceStatus(c *client.Client, asJSON bool, out io.Writer) error {
	st, err := c.Status()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(out, "device %s of %s at %s\n", st.DeviceID, st.Username, st.Server)
	oldest := "-"
	if st.OldestUnsentAt != nil {
		oldest = st.OldestUnsentAt.Local().Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(out, "queue: %d unsent (oldest %s), next seq %d, server applied up to %d\n", st.QueueDepth, oldest, st.NextSeq, st.LastAppliedSeq)
	scopes := make([]string, 0, len(st.Cursors))
	for s := range st.Cursors {
		scopes = append(scopes, s)
	}
	slices.Sort(scopes)
	for _, s := range scopes {
		fmt.Fprintf(out, "  %-28s cursor %-8d %d entities\n", s, st.Cursors[s], st.Entities[s])
	}
	for _, r := range st.LastResults[max(0, len(st.LastResults)-10):] {
		fmt.Fprintf(out, "seq %-6d %-25s %s %s%s\n", r.Seq, r.Verdict, r.Name, r.EntityID, resultNote(r.Result))
	}
	return nil
}

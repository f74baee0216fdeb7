package client

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	wsync "github.com/whistle/whistle/sync"
)

// The files of a device directory. Every file except the results log is
// replaced whole by writeAtomic; the results log is append-only.
const (
	deviceFile  = "device.json"  // who the device is: server, username, device id (written last by Init)
	keyFile     = "device.key"   // the Ed25519 private key, PKCS #8 PEM, mode 0600
	sessionFile = "session.json" // access and refresh token, mode 0600
	seqFile     = "seq.json"     // the highest sequence number ever used, and push bookkeeping
	outboxDir   = "outbox"       // one file per unsent mutation, named by its sequence number
	resultsFile = "results.jsonl"
	pulledFile  = "pulled.json" // the pulled data of every scope with its cursor
	lockFile    = "lock"
	tmpMarker   = ".tmp-"
)

// writeAtomic replaces path with data so that, after a crash at any point,
// path holds either its old content or the new one, never a mix: the data
// goes to a temporary file in the same directory, which is synced, renamed
// over path, and the directory is synced so that the rename itself is
// durable.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	tmp := filepath.Join(dir, base+tmpMarker+hex.EncodeToString(suffix[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes the creations, renames and removals in dir durable.
func syncDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeTemps deletes the temporary files that a crash in the middle of
// writeAtomic leaves behind: their rename never happened, so they hold
// nothing the device committed to.
func removeTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), tmpMarker) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeJSON(write writeFunc, path string, v any, perm os.FileMode) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return write(path, append(b, '\n'), perm)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeFunc is writeAtomic; tests replace it to simulate a crash mid-write.
type writeFunc func(path string, data []byte, perm os.FileMode) error

// identityState is device.json.
type identityState struct {
	Server     string    `json:"server"`
	Username   string    `json:"username"`
	UserID     string    `json:"user_id"`
	DeviceID   string    `json:"device_id"`
	DeviceName string    `json:"device_name"`
	AppVersion string    `json:"app_version"`
	CreatedAt  time.Time `json:"created_at"`
}

// sessionState is session.json.
type sessionState struct {
	AccessToken      string    `json:"access_token"`
	AccessExpiresAt  time.Time `json:"access_expires_at"`
	RefreshToken     string    `json:"refresh_token,omitempty"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitempty"`
}

// seqState is seq.json. LastUsed is a high-water mark: every sequence number
// ever used is either in the outbox or at most LastUsed. It is raised before
// any mutation leaves the outbox, so that emptying the outbox never lets a
// number be used again.
type seqState struct {
	LastUsed             int64      `json:"last_used"`
	LastPushAt           *time.Time `json:"last_push_at,omitempty"`
	ServerLastAppliedSeq int64      `json:"server_last_applied_seq"`
}

// pending is one mutation in the outbox, as stored in outbox/<seq>.json.
type pending struct {
	Mutation   wsync.Mutation `json:"mutation"`
	RecordedAt time.Time      `json:"recorded_at"`
}

// outboxName is the file of sequence number seq: zero-padded so that the
// directory lists in sequence order.
func outboxName(seq int64) string { return fmt.Sprintf("%020d.json", seq) }

// entry is what the client keeps in memory of a pending mutation; the
// mutation itself is read from its file when it is pushed.
type entry struct {
	Seq        int64
	RecordedAt time.Time
	Size       int64
}

// loadOutbox lists the outbox in sequence order.
func loadOutbox(dir string) ([]entry, error) {
	if err := removeTemps(dir); err != nil {
		return nil, err
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, f := range files {
		seq, err := strconv.ParseInt(strings.TrimSuffix(f.Name(), ".json"), 10, 64)
		if err != nil || !strings.HasSuffix(f.Name(), ".json") {
			return nil, fmt.Errorf("outbox: unexpected file %s", f.Name())
		}
		var p pending
		if err := readJSON(filepath.Join(dir, f.Name()), &p); err != nil {
			return nil, err
		}
		if p.Mutation.Seq != seq {
			return nil, fmt.Errorf("outbox: %s holds sequence number %d", f.Name(), p.Mutation.Seq)
		}
		info, err := f.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, entry{Seq: seq, RecordedAt: p.RecordedAt, Size: info.Size()})
	}
	slices.SortFunc(out, func(a, b entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// LoggedResult is one line of the results log: what the server made of a
// mutation that left the outbox. A rejected mutation is logged whole, so the
// act is never lost even though it is no longer pushed.
type LoggedResult struct {
	wsync.Result
	Name     string          `json:"name"`
	LoggedAt time.Time       `json:"logged_at"`
	Mutation *wsync.Mutation `json:"mutation,omitempty"` // for rejected mutations
}

// appendResults appends lines to the results log and syncs it. A crash in
// the middle leaves at most a torn last line, which readResults skips.
func appendResults(path string, lines []LoggedResult) error {
	var buf bytes.Buffer
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readResults reads the results log, keeping the last n lines (all if n <= 0).
func readResults(path string, n int) ([]LoggedResult, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []LoggedResult
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l LoggedResult
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue // a line torn by a crash
		}
		out = append(out, l)
		if n > 0 && len(out) > 2*n {
			out = append(out[:0], out[len(out)-n:]...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

// pulledState is pulled.json: the data of every scope the device holds,
// with its cursor. A pull page is applied by writing the whole file again
// (writeAtomic): after a crash the file is the state before the page or
// after it, never in between, and cursor and data always agree.
type pulledState struct {
	LastAppliedSeq int64                  `json:"last_applied_seq"` // the server's, as of the last page
	LastPullAt     *time.Time             `json:"last_pull_at,omitempty"`
	Scopes         map[string]*scopeState `json:"scopes"`
}

// scopeState is the pulled data of one scope.
type scopeState struct {
	Cursor   int64                   `json:"cursor"`
	Entities map[string]wsync.Change `json:"entities"` // by entity_type/entity_id
}

func entityKey(c wsync.Change) string { return c.EntityType + "/" + c.EntityID }

func (s *pulledState) cursors() map[string]int64 {
	out := make(map[string]int64, len(s.Scopes))
	for scope, st := range s.Scopes {
		out[scope] = st.Cursor
	}
	return out
}

// loadKey reads the device's private key.
func loadKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return key, nil
}

// encodeKey is the PKCS #8 PEM of key.
func encodeKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

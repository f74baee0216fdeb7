package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
)

var _ audit.Store = (*AuditStore)(nil)

// auditPage is how many entries Export and Verify read per query.
const auditPage = 1000

// AuditStore keeps the audit trail (全过程留痕) in audit_entries, chained per
// street, and audit_chain_heads, the per-chain lock rows.
type AuditStore struct{ db *DB }

// NewAuditStore returns an AuditStore over db.
func NewAuditStore(db *DB) *AuditStore { return &AuditStore{db: db} }

type auditRow struct {
	ID           int64 `gorm:"primaryKey"`
	Chain        string
	Seq          int64
	At           time.Time
	ActorUserID  *uuid.UUID
	DeviceID     *uuid.UUID
	RequestID    string
	Action       string
	EntityType   string
	EntityID     string
	BeforeDigest string
	AfterDigest  string
	PrevHash     string
	Hash         string
}

func (auditRow) TableName() string { return "audit_entries" }

func entryFromAuditRow(r auditRow) audit.Entry {
	return audit.Entry{
		ID:           r.ID,
		Seq:          r.Seq,
		Chain:        r.Chain,
		At:           audit.Truncate(r.At),
		ActorUserID:  uuidString(r.ActorUserID),
		DeviceID:     uuidString(r.DeviceID),
		RequestID:    r.RequestID,
		Action:       r.Action,
		EntityType:   r.EntityType,
		EntityID:     r.EntityID,
		BeforeDigest: r.BeforeDigest,
		AfterDigest:  r.AfterDigest,
		PrevHash:     r.PrevHash,
		Hash:         r.Hash,
	}
}

// auditRowFromEntry converts a complete entry whose ids appendAudit has
// already checked.
func auditRowFromEntry(e audit.Entry) auditRow {
	return auditRow{
		Chain:        e.Chain,
		Seq:          e.Seq,
		At:           e.At,
		ActorUserID:  uuidPtr(e.ActorUserID),
		DeviceID:     uuidPtr(e.DeviceID),
		RequestID:    e.RequestID,
		Action:       e.Action,
		EntityType:   e.EntityType,
		EntityID:     e.EntityID,
		BeforeDigest: e.BeforeDigest,
		AfterDigest:  e.AfterDigest,
		PrevHash:     e.PrevHash,
		Hash:         e.Hash,
	}
}

func uuidString(u *uuid.UUID) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func uuidPtr(s string) *uuid.UUID {
	if s == "" {
		return nil
	}
	u := uuid.MustParse(s)
	return &u
}

// canonicalUUID returns s in the form PostgreSQL gives it back (lower case,
// hyphenated), so that the hash computed now matches the row read later;
// "" stays "".
func canonicalUUID(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", derrors.Invalidf(field, "%s %q is not a UUID", field, s)
	}
	return u.String(), nil
}

type chainHeadRow struct {
	Chain string
	Seq   int64
	Hash  string
}

// appendAudit appends e to the trail inside tx, the transaction of the change
// it records, and returns it complete. It sets Seq, PrevHash, Hash and At
// (now), and takes ActorUserID, DeviceID and RequestID from
// audit.ActorFrom(ctx) where e leaves them empty. Errors are already
// translated (derrors.Invalid for a bad entry): return them as they are.
//
// It locks the chain's head row until tx ends, so every other append to the
// same chain waits for tx to commit or roll back. Call it as the last step of
// the transaction, append to one chain per transaction where possible (and
// to several always in the same order, to avoid deadlocks), and use it in a
// READ COMMITTED transaction (the default): under REPEATABLE READ or
// SERIALIZABLE a concurrent append fails with derrors.Conflict instead of
// waiting.
func (db *DB) appendAudit(ctx context.Context, tx *gorm.DB, e audit.Entry) (audit.Entry, error) {
	e, err := completeEntry(ctx, e)
	if err != nil {
		return audit.Entry{}, err
	}

	tx = tx.WithContext(ctx)
	head, err := lockChain(tx, e.Chain, "")
	if err != nil {
		return audit.Entry{}, err
	}
	// Stamped after the lock, so times never go backwards within a chain
	// written by one server.
	e.At = audit.Truncate(db.now())
	e.Seq = head.Seq + 1
	e.PrevHash = head.Hash
	e.Hash = e.ComputeHash()

	// The entry and the head's advance, in one statement.
	r := auditRowFromEntry(e)
	var ids []int64
	err = tx.Raw(`WITH entry AS (
			INSERT INTO audit_entries (chain, seq, at, actor_user_id, device_id, request_id, action, entity_type, entity_id,
				before_digest, after_digest, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id)
		UPDATE audit_chain_heads SET seq = ?, hash = ? WHERE chain = ? RETURNING (SELECT id FROM entry)`,
		r.Chain, r.Seq, r.At, r.ActorUserID, r.DeviceID, r.RequestID, r.Action, r.EntityType, r.EntityID,
		r.BeforeDigest, r.AfterDigest, r.PrevHash, r.Hash, e.Seq, e.Hash, e.Chain).Scan(&ids).Error
	if err != nil {
		return audit.Entry{}, translate(err, "append audit entry")
	}
	if len(ids) != 1 {
		return audit.Entry{}, derrors.New(derrors.Internal, "append audit entry: the chain head of %q did not advance", e.Chain)
	}
	e.ID = ids[0]
	return e, nil
}

// completeEntry fills in e's actor, device and request from
// audit.ActorFrom(ctx) where e leaves them empty, puts its ids in canonical
// form and validates it.
func completeEntry(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	actor := audit.ActorFrom(ctx)
	if e.ActorUserID == "" {
		e.ActorUserID = actor.UserID
	}
	if e.DeviceID == "" {
		e.DeviceID = actor.DeviceID
	}
	if e.RequestID == "" {
		e.RequestID = actor.RequestID
	}
	var err error
	if e.ActorUserID, err = canonicalUUID("actor_user_id", e.ActorUserID); err != nil {
		return audit.Entry{}, err
	}
	if e.DeviceID, err = canonicalUUID("device_id", e.DeviceID); err != nil {
		return audit.Entry{}, err
	}
	if err := e.Validate(); err != nil {
		return audit.Entry{}, err
	}
	return e, nil
}

// appendAudits appends entries to the trail inside tx as appendAudit does
// each, with two statements per chain whatever the number of entries: the
// chain's head row is locked once (chains in sorted order, so that two
// batches cannot deadlock), its entries are chained in memory in the order
// given and inserted with the head's advance in one statement. Call it as
// the last audit step of the transaction, as appendAudit.
func (db *DB) appendAudits(ctx context.Context, tx *gorm.DB, entries []audit.Entry) error {
	byChain := map[string][]audit.Entry{}
	for _, e := range entries {
		e, err := completeEntry(ctx, e)
		if err != nil {
			return err
		}
		byChain[e.Chain] = append(byChain[e.Chain], e)
	}
	chains := make([]string, 0, len(byChain))
	for c := range byChain {
		chains = append(chains, c)
	}
	slices.Sort(chains)
	tx = tx.WithContext(ctx)
	for _, chain := range chains {
		head, err := lockChain(tx, chain, "")
		if err != nil {
			return err
		}
		if err := db.appendChained(tx, head, byChain[chain]); err != nil {
			return err
		}
	}
	return nil
}

// lockChain creates chain's head row if needed and locks it until tx ends,
// in one statement (DO UPDATE locks the row like FOR UPDATE), and returns
// the head: concurrent writers of one chain queue here, so the chain never
// forks. with, if not "", is a data-modifying common table expression
// ("name AS (INSERT ...)", its parameters in args) run in the same
// statement, so that a change written just before its audit entries costs
// no round trip of its own.
func lockChain(tx *gorm.DB, chain, with string, args ...any) (chainHeadRow, error) {
	q := `INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (?, 0, ?)
		ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_heads.seq RETURNING chain, seq, hash`
	if with != "" {
		q = "WITH " + with + " " + q
	}
	var head chainHeadRow
	err := tx.Raw(q, append(args, chain, audit.GenesisHash)...).Scan(&head).Error
	if err != nil {
		return chainHeadRow{}, translate(err, "append audit entries: lock chain")
	}
	return head, nil
}

// appendChained appends es, complete (completeEntry) and all of head's
// chain, whose head row tx has locked (lockChain), after head: chained in
// memory in the order given, inserted with the head's advance in one
// statement.
func (db *DB) appendChained(tx *gorm.DB, head chainHeadRow, es []audit.Entry) error {
	chain := head.Chain
	at := audit.Truncate(db.now()) // after the lock, as appendAudit
	k := len(es)
	var (
		seqs                           = make([]int64, k)
		actors, devices                = make([]*string, k), make([]*string, k)
		requests, actions, types, ids  = make([]string, k), make([]string, k), make([]string, k), make([]string, k)
		befores, afters, prevs, hashes = make([]string, k), make([]string, k), make([]string, k), make([]string, k)
	)
	for i := range es {
		es[i].At, es[i].Seq, es[i].PrevHash = at, head.Seq+1, head.Hash
		es[i].Hash = es[i].ComputeHash()
		head.Seq, head.Hash = es[i].Seq, es[i].Hash
		e := es[i]
		if e.ActorUserID != "" {
			actors[i] = &es[i].ActorUserID
		}
		if e.DeviceID != "" {
			devices[i] = &es[i].DeviceID
		}
		seqs[i], requests[i], actions[i], types[i], ids[i] = e.Seq, e.RequestID, e.Action, e.EntityType, e.EntityID
		befores[i], afters[i], prevs[i], hashes[i] = e.BeforeDigest, e.AfterDigest, e.PrevHash, e.Hash
	}
	var n []int64
	err := tx.Raw(`WITH entries AS (
			INSERT INTO audit_entries (chain, seq, at, actor_user_id, device_id, request_id, action, entity_type, entity_id,
				before_digest, after_digest, prev_hash, hash)
			SELECT ?, seq, ?::timestamptz, actor::uuid, device::uuid, request, action, entity_type, entity_id, before, after, prev, hash
			FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
				AS u(seq, actor, device, request, action, entity_type, entity_id, before, after, prev, hash)
			ORDER BY seq
			RETURNING id)
		UPDATE audit_chain_heads SET seq = ?, hash = ? WHERE chain = ? RETURNING (SELECT count(*) FROM entries)`,
		chain, at, pgArray[int64](seqs), pgArray[*string](actors), pgArray[*string](devices), pgArray[string](requests),
		pgArray[string](actions), pgArray[string](types), pgArray[string](ids), pgArray[string](befores), pgArray[string](afters),
		pgArray[string](prevs), pgArray[string](hashes), head.Seq, head.Hash, chain).Scan(&n).Error
	if err != nil {
		return translate(err, "append audit entries")
	}
	if len(n) != 1 || n[0] != int64(len(es)) {
		return derrors.New(derrors.Internal, "append audit entries: the chain head of %q did not advance", chain)
	}
	return nil
}

// Append appends e to the trail in a transaction of its own and returns it
// complete (see appendAudit for what is filled in). It is for records that
// accompany no change in this database, such as a read of evidence; a change
// records itself in its own transaction. It returns derrors.Invalid for an
// entry without chain, action or entity type, or with malformed ids or
// digests.
func (s *AuditStore) Append(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	var out audit.Entry
	err := s.db.begin(ctx, nil, func(ctx context.Context, tx *gorm.DB) error {
		var err error
		out, err = s.db.appendAudit(ctx, tx, e)
		return err
	})
	if err != nil {
		return audit.Entry{}, translate(err, "append audit entry")
	}
	return out, nil
}

// auditWhere applies the filter's conditions, including the cursor, to q.
func auditWhere(q *gorm.DB, f audit.Filter) (*gorm.DB, error) {
	if f.Chain != "" {
		q = q.Where("chain = ?", f.Chain)
	}
	if f.EntityType != "" {
		q = q.Where("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if f.ActorUserID != "" {
		u, err := uuid.Parse(f.ActorUserID)
		if err != nil {
			return nil, derrors.Invalidf("actor_user_id", "actor_user_id %q is not a UUID", f.ActorUserID)
		}
		q = q.Where("actor_user_id = ?", u)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To)
	}
	if f.After > 0 {
		q = q.Where("id > ?", f.After)
	}
	return q, nil
}

// auditPageAfter reads up to limit entries matching f in id order.
func auditPageAfter(tx *gorm.DB, f audit.Filter, limit int) ([]auditRow, error) {
	q, err := auditWhere(tx.Model(&auditRow{}), f)
	if err != nil {
		return nil, err
	}
	var rows []auditRow
	if err := q.Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err, "query audit trail")
	}
	return rows, nil
}

// Query returns one page of the entries matching f in the order they were
// appended, and the cursor of the next page (0 after the last page). It
// returns derrors.Invalid for a bad filter or an actor that is not a UUID.
func (s *AuditStore) Query(ctx context.Context, f audit.Filter) ([]audit.Entry, int64, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	limit := f.PageSize()
	rows, err := auditPageAfter(s.db.Gorm.WithContext(ctx), f, limit+1)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	entries := make([]audit.Entry, len(rows))
	for i, r := range rows {
		entries[i] = entryFromAuditRow(r)
	}
	return entries, next, nil
}

// snapshot runs fn in a read-only REPEATABLE READ transaction, so that reads
// spread over many pages see the trail as of one moment.
func (s *AuditStore) snapshot(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.begin(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		func(_ context.Context, tx *gorm.DB) error { return fn(tx) })
}

// Export writes every entry matching f, from f.After on and ignoring
// f.Limit, to w as JSON lines (one audit.Entry per line), reading pages of
// 1000 entries from one snapshot. It returns derrors.Invalid for a bad
// filter; an error writing to w is returned wrapped, with its code.
func (s *AuditStore) Export(ctx context.Context, f audit.Filter, w io.Writer) error {
	f.Limit = 0
	if err := f.Validate(); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	err := s.snapshot(ctx, func(tx *gorm.DB) error {
		for {
			rows, err := auditPageAfter(tx, f, auditPage)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := enc.Encode(entryFromAuditRow(r)); err != nil {
					return err
				}
			}
			if len(rows) < auditPage {
				return nil
			}
			f.After = rows[len(rows)-1].ID
		}
	})
	return translate(err, "export audit trail")
}

// Verify recomputes chain ("" for every chain, in chain order) from its first
// entry, reading pages of 1000 entries from one snapshot, and returns the
// heads it reached and the first broken link (nil when intact). It stops at
// the first break; the heads are then those of the chains verified before
// and the broken chain's entries up to the break. The chain-head rows are not
// trusted for any link: they only reveal a chain whose last entries were
// deleted (audit.ReasonTruncated). The anchored heads, read from the
// evidence bucket, reveal it even when the head row was set back too
// (audit.ReasonAnchorMissing, audit.ReasonAnchorHash). A chain with no entries verifies as
// intact, with no head. The error reports a failure to read, never a break.
func (s *AuditStore) Verify(ctx context.Context, chain string, anchored ...audit.Head) ([]audit.Head, *audit.Break, error) {
	var (
		heads []audit.Head
		brk   *audit.Break
	)
	err := s.snapshot(ctx, func(tx *gorm.DB) error {
		v := audit.NewVerifier()
		var known []chainHeadRow
		q := tx.Table("audit_chain_heads").Where("seq > 0")
		if chain != "" {
			q = q.Where("chain = ?", chain)
		}
		if err := q.Find(&known).Error; err != nil {
			return translate(err, "verify audit trail: read chain heads")
		}
		for _, h := range known {
			v.Expect(audit.Head{Chain: h.Chain, Seq: h.Seq, Hash: h.Hash})
		}
		for _, h := range anchored {
			if chain == "" || h.Chain == chain {
				v.ExpectAnchored(h)
			}
		}

		lastChain, lastSeq := "", int64(0)
		for {
			q := tx.Model(&auditRow{})
			if chain != "" {
				q = q.Where("chain = ? AND seq > ?", chain, lastSeq).Order("seq")
			} else {
				q = q.Where("(chain, seq) > (?, ?)", lastChain, lastSeq).Order("chain, seq")
			}
			var rows []auditRow
			if err := q.Limit(auditPage).Find(&rows).Error; err != nil {
				return translate(err, "verify audit trail")
			}
			for _, r := range rows {
				if brk = v.Add(entryFromAuditRow(r)); brk != nil {
					heads = v.Heads()
					return nil
				}
			}
			if len(rows) < auditPage {
				break
			}
			lastChain, lastSeq = rows[len(rows)-1].Chain, rows[len(rows)-1].Seq
		}
		brk = v.Finish()
		heads = v.Heads()
		return nil
	})
	if err != nil {
		return nil, nil, translate(err, "verify audit trail")
	}
	return heads, brk, nil
}

// Heads returns the last entry of every chain as a head, by chain, as stored:
// it does not verify the chains (Verify does, and returns the same heads).
func (s *AuditStore) Heads(ctx context.Context) ([]audit.Head, error) {
	var rows []auditRow
	// The head rows list the chains; each head is read from audit_entries,
	// the record itself.
	err := s.db.Gorm.WithContext(ctx).Raw(`
		SELECT e.* FROM audit_chain_heads h
		CROSS JOIN LATERAL (
			SELECT * FROM audit_entries e WHERE e.chain = h.chain ORDER BY e.seq DESC LIMIT 1
		) e
		ORDER BY h.chain`).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "read audit chain heads")
	}
	heads := make([]audit.Head, len(rows))
	for i, r := range rows {
		heads[i] = audit.HeadOf(entryFromAuditRow(r))
	}
	return heads, nil
}

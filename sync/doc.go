// Package sync is the offline-sync protocol of Whistle: devices push the acts
// they recorded offline and pull what changed in their scopes.
//
// Push. A device numbers its mutations 1, 2, 3, ... and signs each with its
// Ed25519 key over a canonical encoding (SigningMessage), so an act stays
// attributable even when the login expired while offline. The server applies
// them in order, each in its own transaction that also records the outcome
// and the device's last applied number: a number already applied returns the
// stored outcome and changes nothing (exactly once, after any crash); the
// same number with another payload is a conflict, never applied; a gap stops
// the batch. Every mutation gets a verdict (applied, duplicate,
// accepted_with_exceptions, rejected, retry); nothing is dropped silently.
// With a Batcher (Service.SetWise) a push is first applied set-wise, in one
// transaction: one read of what the batch needs, every act judged in memory
// by the same commands, each table written once (batch.go); what it cannot
// judge in memory, and the whole batch when its write fails, goes act by
// act, so the guarantees never depend on it.
// Mutations are applied by the same command handlers as the online API,
// each in a savepoint: a handler that fails for good has its writes undone
// and is recorded as rejected with a stable code, and the batch goes on; one
// that fails for a transient reason (a deadlock, a serialization failure,
// the database unreachable, a timeout) answers retry, never rejected.
//
// Pull. Every change is published to a scope (a team, the district's
// reference data, an officer's cases) with a per-scope version taken inside
// the writing transaction from a row that stays locked until commit, so
// versions of a scope become visible in commit order: a reader that has seen
// version n has seen every version below it, and a cursor never skips a
// change. A scope keeps the latest state of each entity (not a replay of
// operations) and tombstones for deletions until their retention ends; a
// cursor older than that gets 410 and re-bootstraps the scope. A bootstrap
// is a pull from cursor 0.
//
// Who syncs. A device syncs only while it is not revoked and is bound to the
// user of the session (AdmitDevice); it pulls the district's reference data,
// its team's scope (officers and team leaders), its officer's cases and its
// own scope (ScopesFor); an app older than the configured minimum may push
// but not pull (CheckAppVersion).
package sync

package postgres

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
)

var _ identity.SessionStore = (*SessionStore)(nil)

// SessionStore stores devices, sessions (refresh-token families) and refresh
// tokens in the devices, refresh_families and refresh_tokens tables.
//
// Lock order, to keep concurrent changes free of deadlocks: a device or user
// row first, then families in id order, then refresh tokens.
type SessionStore struct{ db *DB }

// NewSessionStore returns a SessionStore over db.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

type deviceRow struct {
	ID            uuid.UUID `gorm:"primaryKey"`
	UserID        uuid.UUID
	PublicKey     []byte
	Name          string
	RegisteredAt  time.Time `gorm:"default:now()"`
	RevokedAt     *time.Time
	RevokedReason *string
}

func (deviceRow) TableName() string { return "devices" }

func deviceFromRow(r deviceRow) identity.Device {
	return identity.Device{
		ID:            r.ID.String(),
		UserID:        r.UserID.String(),
		PublicKey:     ed25519.PublicKey(r.PublicKey),
		Name:          r.Name,
		RegisteredAt:  r.RegisteredAt,
		RevokedAt:     r.RevokedAt,
		RevokedReason: textOrEmpty(r.RevokedReason),
	}
}

type familyRow struct {
	ID            uuid.UUID `gorm:"primaryKey"`
	UserID        uuid.UUID
	DeviceID      *uuid.UUID
	CreatedAt     time.Time
	RevokedAt     *time.Time
	RevokedReason *string
}

func (familyRow) TableName() string { return "refresh_families" }

func familyFromRow(r familyRow) identity.Family {
	f := identity.Family{
		ID:            r.ID.String(),
		UserID:        r.UserID.String(),
		CreatedAt:     r.CreatedAt,
		RevokedAt:     r.RevokedAt,
		RevokedReason: textOrEmpty(r.RevokedReason),
	}
	if r.DeviceID != nil {
		f.DeviceID = r.DeviceID.String()
	}
	return f
}

type refreshRow struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	FamilyID  uuid.UUID
	DeviceID  uuid.UUID
	UserID    uuid.UUID
	TokenHash []byte
	IssuedAt  time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time
	RevokedAt *time.Time
}

func (refreshRow) TableName() string { return "refresh_tokens" }

// textOrEmpty reads a nullable text column.
func textOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseIDs parses UUIDs; ok is false when any of them is not one.
func parseIDs(ids ...string) (out []uuid.UUID, ok bool) {
	out = make([]uuid.UUID, len(ids))
	for i, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			return nil, false
		}
		out[i] = u
	}
	return out, true
}

// optionalID parses id, "" being NULL.
func optionalID(id string) (*uuid.UUID, bool) {
	if id == "" {
		return nil, true
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return nil, false
	}
	return &u, true
}

// RegisterDevice stores d with a new id. It returns derrors.Conflict when the
// public key is already registered and derrors.Invalid for a key that is not
// 32 bytes, an unknown user or a user id that is not a UUID.
func (s *SessionStore) RegisterDevice(ctx context.Context, d identity.Device) (identity.Device, error) {
	uid, err := uuid.Parse(d.UserID)
	if err != nil {
		return identity.Device{}, derrors.Invalidf("user_id", "register device: user id %q is not a UUID", d.UserID)
	}
	r := deviceRow{
		ID:           uuid.New(),
		UserID:       uid,
		PublicKey:    []byte(d.PublicKey),
		Name:         d.Name,
		RegisteredAt: d.RegisteredAt,
	}
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, audit.DistrictChain, "device.register", "device", r.ID.String(), nil, deviceFromRow(r))
	})
	if err != nil {
		return identity.Device{}, translate(err, "register device")
	}
	return deviceFromRow(r), nil
}

// DeviceByID returns the device or a derrors.NotFound error (also for an id
// that is not a UUID).
func (s *SessionStore) DeviceByID(ctx context.Context, id string) (identity.Device, error) {
	ids, ok := parseIDs(id)
	if !ok {
		return identity.Device{}, translate(errNotFound, "load device")
	}
	var r deviceRow
	if err := s.db.Gorm.WithContext(ctx).Where("id = ?", ids[0]).Take(&r).Error; err != nil {
		return identity.Device{}, translate(err, "load device")
	}
	return deviceFromRow(r), nil
}

// RevokeDevice marks the device revoked at now for reason, unless it already
// is, and revokes every family of the device, in one transaction. It returns
// the device or a derrors.NotFound error.
func (s *SessionStore) RevokeDevice(ctx context.Context, id, reason string, now time.Time) (identity.Device, error) {
	ids, ok := parseIDs(id)
	if !ok {
		return identity.Device{}, translate(errNotFound, "revoke device")
	}
	var r deviceRow
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Raw(`UPDATE devices
			SET revoked_at = COALESCE(revoked_at, @now),
			    revoked_reason = CASE WHEN revoked_at IS NULL THEN @reason ELSE revoked_reason END
			WHERE id = @id RETURNING *`,
			map[string]any{"now": now, "reason": reason, "id": ids[0]}).Scan(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errNotFound
		}
		if err := revokeFamilies(tx, "device_id = ?", ids[0], identity.ReasonDeviceRevoked, now); err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, audit.DistrictChain, "device.revoke", "device", r.ID.String(), nil, deviceFromRow(r))
	})
	if err != nil {
		return identity.Device{}, translate(err, "revoke device")
	}
	return deviceFromRow(r), nil
}

// revokeFamilies revokes, at now for reason, the live families matching
// where (with its one argument) and the refresh tokens of all families
// matching it. It locks the families in id order, so that two revocations
// over overlapping sets cannot deadlock.
func revokeFamilies(tx *gorm.DB, where string, arg any, reason string, now time.Time) error {
	err := tx.Exec(`UPDATE refresh_families SET revoked_at = ?, revoked_reason = ?
		WHERE id IN (SELECT id FROM refresh_families WHERE `+where+` AND revoked_at IS NULL ORDER BY id FOR UPDATE)`,
		now, reason, arg).Error
	if err != nil {
		return err
	}
	return tx.Exec(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND family_id IN (SELECT id FROM refresh_families WHERE `+where+`)`,
		now, arg).Error
}

// CreateFamily stores f with a new id and, when first is not nil, first as
// its first refresh token (with a new id, and f's user and device), in one
// transaction. It returns derrors.Invalid for an unknown user or device or a
// device of another user.
func (s *SessionStore) CreateFamily(ctx context.Context, f identity.Family, first *identity.RefreshToken) (identity.Family, error) {
	ids, ok := parseIDs(f.UserID)
	dev, devOK := optionalID(f.DeviceID)
	if !ok || !devOK {
		return identity.Family{}, derrors.New(derrors.Invalid, "create session: user or device id is not a UUID")
	}
	r := familyRow{ID: uuid.New(), UserID: ids[0], DeviceID: dev, CreatedAt: f.CreatedAt}
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		// The one logging in is the actor, even before any token exists.
		devID := ""
		if dev != nil {
			devID = dev.String()
		}
		if _, err := s.db.appendAudit(ctx, tx, audit.Entry{Chain: audit.DistrictChain, Action: "session.open", EntityType: "session",
			EntityID: r.ID.String(), ActorUserID: r.UserID.String(), DeviceID: devID, AfterDigest: mustDigest(familyFromRow(r))}); err != nil {
			return err
		}
		if first == nil {
			return nil
		}
		if dev == nil {
			return derrors.New(derrors.Invalid, "create session: a refresh token needs a device")
		}
		return tx.Create(&refreshRow{
			ID:        uuid.New(),
			FamilyID:  r.ID,
			DeviceID:  *dev,
			UserID:    r.UserID,
			TokenHash: first.Hash,
			IssuedAt:  first.IssuedAt,
			ExpiresAt: first.ExpiresAt,
		}).Error
	})
	if err != nil {
		return identity.Family{}, translate(err, "create session")
	}
	return familyFromRow(r), nil
}

// familyState is a family with what decides whether it is live.
type familyState struct {
	ID              uuid.UUID
	UserID          uuid.UUID
	DeviceID        *uuid.UUID
	CreatedAt       time.Time
	RevokedAt       *time.Time
	RevokedReason   *string
	DeviceRevokedAt *time.Time
	UserDisabledAt  *time.Time
}

func (f familyState) family() identity.Family {
	return familyFromRow(familyRow{
		ID: f.ID, UserID: f.UserID, DeviceID: f.DeviceID, CreatedAt: f.CreatedAt,
		RevokedAt: f.RevokedAt, RevokedReason: f.RevokedReason,
	})
}

// RotateRefresh spends the refresh token whose hash is oldHash and stores
// next in its place, as identity.SessionStore describes, in one transaction.
// The family row is locked before the token is read, so of two concurrent
// rotations of one token the second sees it spent and revokes the family.
// It returns derrors.NotFound when no token has oldHash.
func (s *SessionStore) RotateRefresh(ctx context.Context, oldHash []byte, next identity.RefreshToken, now time.Time) (identity.Rotation, error) {
	var rot identity.Rotation
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var ref struct{ FamilyID uuid.UUID }
		if err := tx.Model(&refreshRow{}).Select("family_id").Where("token_hash = ?", oldHash).Take(&ref).Error; err != nil {
			return err
		}
		familyID := ref.FamilyID
		var fam familyState
		res := tx.Raw(`SELECT f.id, f.user_id, f.device_id, f.created_at, f.revoked_at, f.revoked_reason,
			d.revoked_at AS device_revoked_at, u.disabled_at AS user_disabled_at
			FROM refresh_families f
			JOIN users u ON u.id = f.user_id
			LEFT JOIN devices d ON d.id = f.device_id
			WHERE f.id = ?
			FOR UPDATE OF f`, familyID).Scan(&fam)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errNotFound
		}
		// Read the token only now that its family is locked: a rotation that
		// committed meanwhile is visible.
		var old refreshRow
		if err := tx.Where("token_hash = ?", oldHash).Take(&old).Error; err != nil {
			return err
		}
		rot.Family = fam.family()
		switch {
		case old.RotatedAt != nil:
			rot.Outcome = identity.Reused
			if fam.RevokedAt == nil {
				rot.Family.RevokedAt, rot.Family.RevokedReason = &now, identity.ReasonRefreshReused
			}
			if err := revokeFamilies(tx, "id = ?", familyID, identity.ReasonRefreshReused, now); err != nil {
				return err
			}
			return s.auditSession(ctx, tx, fam, "session.revoke."+identity.ReasonRefreshReused, rot.Family)
		case old.RevokedAt != nil || fam.RevokedAt != nil || fam.DeviceRevokedAt != nil || fam.UserDisabledAt != nil:
			rot.Outcome = identity.Ended
			return nil
		case !now.Before(old.ExpiresAt):
			rot.Outcome = identity.Expired
			return nil
		}
		if err := tx.Model(&refreshRow{}).Where("id = ?", old.ID).Update("rotated_at", now).Error; err != nil {
			return err
		}
		rot.Outcome = identity.Rotated
		if err := tx.Create(&refreshRow{
			ID:        uuid.New(),
			FamilyID:  old.FamilyID,
			DeviceID:  old.DeviceID,
			UserID:    old.UserID,
			TokenHash: next.Hash,
			IssuedAt:  next.IssuedAt,
			ExpiresAt: next.ExpiresAt,
		}).Error; err != nil {
			return err
		}
		return s.auditSession(ctx, tx, fam, "session.refresh", rot.Family)
	})
	if err != nil {
		return identity.Rotation{}, translate(err, "rotate refresh token")
	}
	return rot, nil
}

// RevokeFamily revokes the family and its refresh tokens at now for reason,
// unless it already is revoked, in one transaction. It returns
// derrors.NotFound for an unknown family.
func (s *SessionStore) RevokeFamily(ctx context.Context, id, reason string, now time.Time) error {
	ids, ok := parseIDs(id)
	if !ok {
		return translate(errNotFound, "revoke session")
	}
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&familyRow{}).Where("id = ?", ids[0]).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return errNotFound
		}
		if err := revokeFamilies(tx, "id = ?", ids[0], reason, now); err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, audit.DistrictChain, "session.revoke."+reason, "session", ids[0].String(), nil, map[string]any{"revoked_at": now.UTC(), "reason": reason})
	})
	return translate(err, "revoke session")
}

// DisableUser marks the account disabled at now, unless it already is, and
// revokes all its families, in one transaction. It returns the user or a
// derrors.NotFound error.
func (s *SessionStore) DisableUser(ctx context.Context, userID string, now time.Time) (identity.User, error) {
	ids, ok := parseIDs(userID)
	if !ok {
		return identity.User{}, translate(errNotFound, "disable user")
	}
	var r userRow
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Raw(`UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ? RETURNING *`, now, ids[0]).Scan(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errNotFound
		}
		if err := revokeFamilies(tx, "user_id = ?", ids[0], identity.ReasonUserDisabled, now); err != nil {
			return err
		}
		after := userFromRow(r)
		after.PasswordHash = "" // the trail never carries a password hash, not even in a digest
		return s.db.auditChange(ctx, tx, audit.DistrictChain, "user.disable", "user", r.ID.String(), nil, after)
	})
	if err != nil {
		return identity.User{}, translate(err, "disable user")
	}
	return userFromRow(r), nil
}

// SessionActive reports, in one query by primary key, whether the family is
// the user's on this device ("" for none), not revoked, its device not
// revoked and its user not disabled. Ids that are not UUIDs give false.
func (s *SessionStore) SessionActive(ctx context.Context, userID, deviceID, familyID string) (bool, error) {
	ids, ok := parseIDs(userID, familyID)
	dev, devOK := optionalID(deviceID)
	if !ok || !devOK {
		return false, nil
	}
	var live bool
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT EXISTS (
		SELECT 1 FROM refresh_families f
		JOIN users u ON u.id = f.user_id
		LEFT JOIN devices d ON d.id = f.device_id
		WHERE f.id = @family AND f.user_id = @user AND f.device_id IS NOT DISTINCT FROM @device
		  AND f.revoked_at IS NULL AND d.revoked_at IS NULL AND u.disabled_at IS NULL)`,
		map[string]any{"family": ids[1], "user": ids[0], "device": dev}).Scan(&live).Error
	if err != nil {
		return false, translate(err, "check session")
	}
	return live, nil
}

// auditSession appends the trail entry of a change to session fam, made by
// its own user on its own device (refreshes happen before any access token).
func (s *SessionStore) auditSession(ctx context.Context, tx *gorm.DB, fam familyState, action string, after identity.Family) error {
	dev := ""
	if fam.DeviceID != nil {
		dev = fam.DeviceID.String()
	}
	_, err := s.db.appendAudit(ctx, tx, audit.Entry{Chain: audit.DistrictChain, Action: action, EntityType: "session",
		EntityID: fam.ID.String(), ActorUserID: fam.UserID.String(), DeviceID: dev, AfterDigest: mustDigest(after)})
	return err
}

// mustDigest is audit.Digest of a value that always encodes (plain structs).
func mustDigest(v any) string {
	d, err := audit.Digest(v)
	if err != nil {
		panic(err)
	}
	return d
}

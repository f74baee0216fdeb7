package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
)

var _ identity.UserStore = (*UserStore)(nil)

// UserStore stores accounts in the users table.
type UserStore struct{ db *DB }

// NewUserStore returns a UserStore over db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

type userRow struct {
	ID           uuid.UUID `gorm:"primaryKey"`
	Username     string
	DisplayName  string
	Role         string
	PasswordHash string
	DisabledAt   *time.Time
	CreatedAt    time.Time `gorm:"default:now()"`
}

func (userRow) TableName() string { return "users" }

func userFromRow(r userRow) identity.User {
	return identity.User{
		ID:           r.ID.String(),
		Username:     r.Username,
		DisplayName:  r.DisplayName,
		Role:         org.Role(r.Role),
		PasswordHash: r.PasswordHash,
		DisabledAt:   r.DisabledAt,
		CreatedAt:    r.CreatedAt,
	}
}

// UserByUsername returns the user or a derrors.NotFound error.
func (s *UserStore) UserByUsername(ctx context.Context, username string) (identity.User, error) {
	var r userRow
	err := s.db.Gorm.WithContext(ctx).Where("username = ?", username).Take(&r).Error
	if err != nil {
		return identity.User{}, translate(err, "load user")
	}
	return userFromRow(r), nil
}

// UserByID returns the user or a derrors.NotFound error (also for an id that
// is not a UUID: no such user can exist).
func (s *UserStore) UserByID(ctx context.Context, id string) (identity.User, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return identity.User{}, translate(errNotFound, "load user")
	}
	var r userRow
	if err := s.db.Gorm.WithContext(ctx).Where("id = ?", uid).Take(&r).Error; err != nil {
		return identity.User{}, translate(err, "load user")
	}
	return userFromRow(r), nil
}

// PutUser creates u, or updates the display name, role, password and
// disabled time of the user with the same username. A new user gets a fresh id.
func (s *UserStore) PutUser(ctx context.Context, u identity.User) (identity.User, error) {
	r := userRow{
		ID:           uuid.New(),
		Username:     u.Username,
		DisplayName:  u.DisplayName,
		Role:         string(u.Role),
		PasswordHash: u.PasswordHash,
		DisabledAt:   u.DisabledAt,
	}
	err := s.db.Gorm.WithContext(ctx).Clauses(
		clause.OnConflict{
			Columns:   []clause.Column{{Name: "username"}},
			DoUpdates: clause.AssignmentColumns([]string{"display_name", "role", "password_hash", "disabled_at"}),
		},
		clause.Returning{},
	).Create(&r).Error
	if err != nil {
		return identity.User{}, translate(err, "save user")
	}
	return userFromRow(r), nil
}

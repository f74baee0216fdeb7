package console

import (
	"slices"
	"testing"
	"time"

	wsync "github.com/whistle/whistle/sync"
)

func TestSpan(t *testing.T) {
	tests := []struct {
		d      time.Duration
		zh, en string
	}{
		{-time.Second, "0 秒", "0 s"},
		{42 * time.Second, "42 秒", "42 s"},
		{7*time.Minute + 30*time.Second, "7 分钟", "7 min"},
		{2*time.Hour + 5*time.Minute, "2 小时 5 分钟", "2 h 5 min"},
		{3 * time.Hour, "3 小时", "3 h"},
		{24 * time.Hour, "1 天", "1 d"},
		{50*time.Hour + 59*time.Minute, "2 天 2 小时", "2 d 2 h"},
	}
	for _, tt := range tests {
		if got := span(tt.d, false); got != tt.zh {
			t.Errorf("span(%v) = %q, want %q", tt.d, got, tt.zh)
		}
		if got := span(tt.d, true); got != tt.en {
			t.Errorf("span(%v, en) = %q, want %q", tt.d, got, tt.en)
		}
	}
}

// TestJudgeDevice: a device is marked when it never synced, has not synced
// for longer than the policy allows, keeps an act unsent that long, or has a
// clock off by more than the policy's skew, either way; a revoked device is
// not judged.
func TestJudgeDevice(t *testing.T) {
	c := &Console{cfg: Config{Team: TeamConfig{StaleAfter: DefaultStaleAfter, MaxSkew: DefaultMaxSkew}}}
	now := time.Unix(1_800_000_000, 0)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	ms := func(d time.Duration) *int64 { n := d.Milliseconds(); return &n }
	depth := func(n int) *int { return &n }
	tests := []struct {
		name string
		d    wsync.DeviceStatus
		want []string
	}{
		{"OK", wsync.DeviceStatus{LastPushAt: at(time.Hour), LastPullAt: at(25 * time.Hour), ClockSkewMS: ms(-4 * time.Minute)}, nil},
		{"Never", wsync.DeviceStatus{}, []string{"team.stale.never"}},
		{"NoSync", wsync.DeviceStatus{LastPullAt: at(25 * time.Hour)}, []string{"team.stale.sync"}},
		{"Queue", wsync.DeviceStatus{LastPushAt: at(time.Hour), QueueDepth: depth(3), OldestUnsentAt: at(30 * time.Hour)}, []string{"team.stale.queue"}},
		{"Drained", wsync.DeviceStatus{LastPushAt: at(time.Hour), QueueDepth: depth(0), OldestUnsentAt: at(30 * time.Hour)}, nil},
		{"SlowClock", wsync.DeviceStatus{LastPushAt: at(time.Hour), ClockSkewMS: ms(-6 * time.Minute)}, []string{"team.stale.skew"}},
		{"Revoked", wsync.DeviceStatus{RevokedAt: at(time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.judgeDevice(tt.d, now, false).Stale; !slices.Equal(got, tt.want) {
				t.Errorf("marked %v, want %v", got, tt.want)
			}
		})
	}
}

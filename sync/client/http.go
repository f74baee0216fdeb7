package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// ProblemError is an RFC 9457 problem answered by the server.
type ProblemError struct {
	Status int      `json:"status"`
	Code   string   `json:"code"`
	Title  string   `json:"title"`
	Detail string   `json:"detail"`
	Scopes []string `json:"scopes,omitempty"` // of a 410 resync_required
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors,omitempty"`
}

// Error says the status, the code and the server's detail.
func (e *ProblemError) Error() string {
	msg := fmt.Sprintf("server answered %d %s", e.Status, e.Code)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	for _, f := range e.Errors {
		msg += fmt.Sprintf(" [%s: %s]", f.Field, f.Message)
	}
	return msg
}

// retryable reports whether the request may succeed if sent again later.
func (e *ProblemError) retryable() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Errors of the client.
var (
	// ErrLoginRequired: the session ended (refresh token expired, spent or
	// revoked, device revoked). Call Login with the password.
	ErrLoginRequired = errors.New("the device session ended: log in again")
	// ErrLocked: another process uses the device directory.
	ErrLocked = errors.New("the device directory is in use by another process")
)

// transportError is a request that got no answer from the server (or an
// unreadable one): it may or may not have been processed.
type transportError struct{ err error }

// Error says that no answer came, and why.
func (e *transportError) Error() string { return "no answer from the server: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// isRetryable reports whether err is worth another attempt after a pause.
func isRetryable(err error) bool {
	var te *transportError
	var pe *ProblemError
	return errors.As(err, &te) || (errors.As(err, &pe) && pe.retryable())
}

// sendRaw posts body and decodes a 2xx JSON answer into out. A non-2xx
// answer is a *ProblemError; no answer is a *transportError.
func (c *Client) sendRaw(ctx context.Context, path, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.id.Server, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{err}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		p := &ProblemError{}
		if json.Unmarshal(b, p) != nil || p.Code == "" {
			p.Detail = strings.TrimSpace(string(b))
		}
		p.Status = res.StatusCode
		return p
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &transportError{fmt.Errorf("unreadable answer to %s: %w", path, err)}
	}
	return nil
}

// call makes an authenticated request, refreshing the session once on a
// 401, and retries with backoff while the failure is transient.
func (c *Client) call(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.retry(ctx, func(ctx context.Context) error { return c.authorized(ctx, path, body, out) })
}

// authorized sends body with the access token, and once more with a new
// one if the server answers 401.
func (c *Client) authorized(ctx context.Context, path string, body []byte, out any) error {
	token := c.accessToken()
	err := c.sendRaw(ctx, path, token, body, out)
	var pe *ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
		return err
	}
	if err := c.refresh(ctx, token); err != nil {
		return err
	}
	return c.sendRaw(ctx, path, c.accessToken(), body, out)
}

// retry runs attempt until it succeeds, fails for good, or MaxAttempts
// transient failures in a row have happened, pausing between attempts with
// exponential backoff and full jitter.
func (c *Client) retry(ctx context.Context, attempt func(ctx context.Context) error) error {
	var err error
	for n := 0; n < c.opts.MaxAttempts; n++ {
		if n > 0 {
			if werr := c.pause(ctx, n); werr != nil {
				return fmt.Errorf("%w (last failure: %v)", werr, err)
			}
		}
		err = attempt(ctx)
		if err == nil || !isRetryable(err) {
			return err
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", c.opts.MaxAttempts, err)
}

// pause waits before attempt n (1, 2, ...): a random time up to
// BaseBackoff*2^(n-1), at most MaxBackoff, and at least half of it.
func (c *Client) pause(ctx context.Context, n int) error {
	d := c.opts.BaseBackoff << min(n-1, 30)
	if d <= 0 || d > c.opts.MaxBackoff {
		d = c.opts.MaxBackoff
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// wireSession is the server's Session.
type wireSession struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

func (w wireSession) state(now time.Time) sessionState {
	s := sessionState{AccessToken: w.AccessToken, AccessExpiresAt: now.Add(time.Duration(w.ExpiresIn) * time.Second)}
	if w.RefreshToken != "" {
		s.RefreshToken = w.RefreshToken
		s.RefreshExpiresAt = now.Add(time.Duration(w.RefreshExpiresIn) * time.Second)
	}
	return s
}

func (c *Client) accessToken() string {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	return c.sess.AccessToken
}

// refresh rotates the refresh token for a new session, unless another call
// already did since stale was used. The new session is written to disk
// before it is used: a refresh token works once, so losing the new one
// would end the session.
func (c *Client) refresh(ctx context.Context, stale string) error {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	if c.sess.AccessToken != stale {
		return nil
	}
	if c.sess.RefreshToken == "" {
		return ErrLoginRequired
	}
	var w wireSession
	err := c.sendRaw(ctx, "/v1/auth/refresh", "", mustJSON(map[string]string{"refresh_token": c.sess.RefreshToken}), &w)
	var pe *ProblemError
	if errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Status == http.StatusBadRequest) {
		return fmt.Errorf("%w (%v)", ErrLoginRequired, pe)
	}
	if err != nil {
		return err
	}
	s := w.state(c.opts.Now())
	if err := writeJSON(c.write, c.path(sessionFile), s, 0o600); err != nil {
		return err
	}
	c.sess = s
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

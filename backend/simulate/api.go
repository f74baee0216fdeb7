package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// session is one login's calls to the API beside its device's sync: what an
// officer's phone does over plain HTTP (uploads, the authority decision) and
// what an operator reads to check the day. A 401 logs in again once.
type session struct {
	server, username, password, deviceID string
	http                                 *http.Client

	mu    sync.Mutex
	token string
}

// apiError is an answer with a status the caller did not want.
type apiError struct {
	method, path string
	status       int
	body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %.300s", e.method, e.path, e.status, e.body)
}

// statusOf is the HTTP status of err, if it is an answer.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status
	}
	return 0
}

func (s *session) login(ctx context.Context) error {
	in := map[string]string{"username": s.username, "password": s.password}
	if s.deviceID != "" {
		in["device_id"] = s.deviceID
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	b, _ := json.Marshal(in)
	if _, _, err := s.send(ctx, "", http.MethodPost, "/v1/auth/login", bytes.NewReader(b), "application/json", nil, &out); err != nil {
		return fmt.Errorf("log in as %s: %w", s.username, err)
	}
	s.mu.Lock()
	s.token = out.AccessToken
	s.mu.Unlock()
	return nil
}

// call sends body (JSON; nil for none) and decodes a 2xx answer into out.
func (s *session) call(ctx context.Context, method, path string, body, out any) (http.Header, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	_, h, err := s.authorized(ctx, method, path, raw, "application/json", nil, out)
	return h, err
}

// authorized sends the request with the session's token, logging in first
// when there is none and again after a 401.
func (s *session) authorized(ctx context.Context, method, path string, body []byte, contentType string, header http.Header, out any) (int, http.Header, error) {
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		tok := s.token
		s.mu.Unlock()
		if tok == "" {
			if err := s.login(ctx); err != nil {
				return 0, nil, err
			}
			continue
		}
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		status, h, err := s.send(ctx, tok, method, path, r, contentType, header, out)
		if status == http.StatusUnauthorized && attempt == 0 {
			s.mu.Lock()
			s.token = ""
			s.mu.Unlock()
			continue
		}
		return status, h, err
	}
}

func (s *session) send(ctx context.Context, token, method, path string, body io.Reader, contentType string, header http.Header, out any) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(s.server, "/")+path, body)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	got, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return res.StatusCode, res.Header, err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, res.Header, &apiError{method: method, path: path, status: res.StatusCode, body: string(got)}
	}
	if out != nil && len(got) > 0 {
		if err := json.Unmarshal(got, out); err != nil {
			return res.StatusCode, res.Header, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return res.StatusCode, res.Header, nil
}

// transient reports whether a failed call may succeed if sent again: no
// answer, 429, or a 5xx.
func transient(err error) bool {
	st := statusOf(err)
	return st == 0 || st == http.StatusTooManyRequests || st >= 500
}

// withRetries runs attempt until it succeeds, fails for good, or has failed
// five times, pausing longer after each transient failure: a phone that
// lost its connection tries again.
func withRetries(ctx context.Context, attempt func() error) error {
	var err error
	for n := range 5 {
		if err = attempt(); err == nil || !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(100<<n) * time.Millisecond):
		}
	}
	return err
}

// nextPage is the path of the rel="next" link of a list answer, or "".
func nextPage(h http.Header) string {
	for _, link := range h.Values("Link") {
		for _, part := range strings.Split(link, ",") {
			part = strings.TrimSpace(part)
			if !strings.Contains(part, `rel="next"`) {
				continue
			}
			if i, j := strings.Index(part, "<"), strings.Index(part, ">"); i >= 0 && j > i {
				u := part[i+1 : j]
				if k := strings.Index(u, "/v1/"); k > 0 {
					u = u[k:] // an absolute link: keep the path
				}
				return u
			}
		}
	}
	return ""
}

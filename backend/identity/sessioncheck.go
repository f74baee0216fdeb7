package identity

import (
	"sync"
	"time"
)

// DefaultSessionCheckTTL is how long serve lets one instance reuse a
// verified access token's session check (Options.SessionCheckTTL): the
// bound on how late another instance notices a session ended there (logout,
// device revoked, account disabled, refresh token reused) or an account
// disabled in the database directly. The instance that ends a session
// forgets every reused check at once.
const DefaultSessionCheckTTL = 2 * time.Second

// maxSessionChecks bounds the checks kept: a busy instance forgets them all
// rather than grow (they are re-made by the next request of each token).
const maxSessionChecks = 16384

// sessionChecks remembers, per access token, the outcome of a successful
// AuthenticateClaims (signature, expiry, account, session, device) until
// ttl has passed, so that a burst of requests with one token asks the
// database once. Only successes are kept: a refused token is checked again
// on every request.
type sessionChecks struct {
	ttl time.Duration // 0: nothing is kept
	mu  sync.Mutex
	ok  map[string]sessionCheck
}

// sessionCheck is what a token proved, and until when that may be reused.
type sessionCheck struct {
	user   User
	claims Claims
	until  time.Time
}

// get returns the reusable check of token at now, if any.
func (c *sessionChecks) get(token string, now time.Time) (sessionCheck, bool) {
	if c.ttl <= 0 {
		return sessionCheck{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	chk, ok := c.ok[token]
	if !ok || !now.Before(chk.until) {
		return sessionCheck{}, false
	}
	return chk, true
}

// put keeps a successful check of token made at now, reusable until ttl has
// passed or the token expires, whichever comes first.
func (c *sessionChecks) put(token string, u User, cl Claims, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if cl.ExpiresAt.Before(until) {
		until = cl.ExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok == nil || len(c.ok) >= maxSessionChecks {
		c.ok = map[string]sessionCheck{}
	}
	c.ok[token] = sessionCheck{user: u, claims: cl, until: until}
}

// forget drops every kept check: called when this instance ends a session
// or disables an account, so that here the change holds at once.
func (c *sessionChecks) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ok = nil
}

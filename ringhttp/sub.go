package ringhttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ringcache/ring"
)

// Response is a stored response, as Get and Update return it.
type Response struct {
	// Status is the status code.
	Status int
	// Header is the header a client receives (without Age and
	// Cache-Status, which are set when it is served).
	Header http.Header
	// Body is the body.
	Body []byte
	// Stored is when the response was rendered.
	Stored time.Time
	// Expires is when it stops being fresh (it is then gone).
	Expires time.Time
}

func (e *entry) response() *Response {
	return &Response{Status: e.status, Header: e.header.Clone(), Body: append([]byte(nil), e.body...),
		Stored: e.stored, Expires: e.expires}
}

// ErrNotStored is returned by Update when the rendered response may not be
// stored (its Cache-Control, status or size, or a DeletePath during the
// render); errors.Is matches it.
var ErrNotStored = errors.New("ringhttp: response not stored")

func checkRequest(r *http.Request) error {
	if r == nil || r.URL == nil {
		return errors.New("ringhttp: nil request or URL")
	}
	return nil
}

// Key returns the backend key of the vary spec of r's URL: the entry that
// names the request fields its responses vary on and the generation that
// the key of every variant includes. It does no I/O.
func (h *Handler) Key(r *http.Request) (string, error) {
	if err := checkRequest(r); err != nil {
		return "", err
	}
	return h.store.Key(specKey(urlKey(r.URL))), nil
}

// variant returns the key of the stored response that would answer r, ""
// when r's URL has no vary spec.
func (h *Handler) variant(r *http.Request) (string, error) {
	if err := checkRequest(r); err != nil {
		return "", err
	}
	uk := urlKey(r.URL)
	sp, err := h.loadSpec(r.Context(), uk)
	if err != nil || sp == nil || !sp.learned {
		return "", err
	}
	return variantKey(uk, r.Host, sp.gen, sp.vary, r.Header), nil
}

// Get returns the stored response that would answer r, without rendering;
// found is false when there is none.
func (h *Handler) Get(r *http.Request) (resp *Response, found bool, err error) {
	vk, err := h.variant(r)
	if err != nil || vk == "" {
		return nil, false, err
	}
	e, err := h.loadEntry(r.Context(), vk)
	if err != nil || e == nil {
		return nil, false, err
	}
	return e.response(), true, nil
}

// Has reports whether a stored response would answer r.
func (h *Handler) Has(r *http.Request) (bool, error) {
	_, found, err := h.Get(r)
	return found, err
}

// Update renders r again now with the wrapped handler and stores the
// response, whatever is stored; it returns the response, and an error
// wrapping ErrNotStored (with the reason) when the response may not be
// stored. r is rendered as a GET without its conditional fields.
func (h *Handler) Update(r *http.Request) (*Response, error) {
	if err := checkRequest(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	uk := urlKey(r.URL)
	sp, err := h.loadSpec(ctx, uk)
	if err == nil && sp == nil {
		sp, err = h.createSpec(ctx, uk)
	}
	if err != nil {
		return nil, err
	}
	e, reason := h.render(nil, r, uk, sp, "request", "", nil, nil)
	if reason != "" {
		if e == nil {
			return nil, fmt.Errorf("%w: %s: %s (MaxBody %d)", ErrNotStored, uk, reason, h.opts.MaxBody)
		}
		return e.response(), fmt.Errorf("%w: %s: %s", ErrNotStored, uk, reason)
	}
	return e.response(), nil
}

// Delete removes the stored response that would answer r (only that
// variant: DeletePath removes them all). An absent entry is not an error,
// as with a ring's Delete.
func (h *Handler) Delete(r *http.Request) error {
	vk, err := h.variant(r)
	if err != nil || vk == "" {
		return err
	}
	octx, cancel := h.bound(r.Context())
	defer cancel()
	if err := h.del(r.Context(), octx, vk); err != nil {
		return fmt.Errorf("ringhttp: delete %s: %w", vk, err)
	}
	return nil
}

// Touch makes the stored response that would answer r fresh again for its
// whole lifetime, as if rendered now (its Date and Age restart). An absent
// entry is not an error, as with a ring's Touch.
func (h *Handler) Touch(r *http.Request) error {
	vk, err := h.variant(r)
	if err != nil || vk == "" {
		return err
	}
	old, err := h.loadEntry(r.Context(), vk)
	if err != nil || old == nil {
		return err
	}
	e := &entry{status: old.status, authOK: old.authOK, header: old.header.Clone(), body: old.body}
	now := time.Now()
	life := old.expires.Sub(old.stored)
	e.stored, e.expires = now, now.Add(life)
	e.header.Set("Date", now.UTC().Format(http.TimeFormat))
	octx, cancel := h.bound(r.Context())
	defer cancel()
	keep := life + h.staleKeep(parseCacheControl(e.header))
	if _, err := h.set(r.Context(), octx, vk, e.encode(), ring.SetOptions{TTL: keep}); err != nil {
		return fmt.Errorf("ringhttp: touch %s: %w", vk, err)
	}
	return nil
}

// DeletePath removes every stored response of a URL, whatever its
// responses varied on, in one write: it deletes the URL's vary spec, so
// the variant keys of its generation are never read again (they expire
// with their time-to-live). target is a path with an optional query, as
// in a request line ("/articles", "/articles?page=2"), or an absolute URL
// (its host is ignored): the URL's responses for every host are removed,
// since the host is part of each response's key but not of the vary spec. A render of the URL in flight in this process
// does not store its response afterwards.
func (h *Handler) DeletePath(ctx context.Context, target string) error {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return fmt.Errorf("ringhttp: DeletePath(%q): %w", target, err)
	}
	return h.deleteURL(ctx, urlKey(u))
}

package publish

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/cutover-dev/cutover/render"
)

// httpsTarget PUTs each file to base/<name> on a provisioning server (a
// WebDAV share or any server accepting PUT), then base/manifest.json.
type httpsTarget struct {
	base   *url.URL
	client *http.Client
	auth   func(*http.Request)
	opts   *options
	mu     sync.Mutex
}

func newHTTPSTarget(spec string, o *options) (*httpsTarget, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", redactURL(spec), err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("target %q: credentials in the URL; set %s, or %s and %s", redactURL(spec), EnvToken, EnvUser, EnvPassword)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("target %q: expected https://HOST[:PORT]/PATH", spec)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("reading CA file %s: no PEM certificate in it", o.caFile)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	tr.MaxIdleConnsPerHost = o.jobs
	t := &httpsTarget{base: u, client: &http.Client{Transport: tr, Timeout: o.timeout}, opts: o}
	token, user, pass := o.getenv(EnvToken), o.getenv(EnvUser), o.getenv(EnvPassword)
	switch {
	case token != "":
		t.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	case user != "" || pass != "":
		if user == "" || pass == "" {
			return nil, fmt.Errorf("target %q: %s and %s go together", spec, EnvUser, EnvPassword)
		}
		t.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
	default:
		t.auth = func(*http.Request) {}
	}
	return t, nil
}

// Publish reads the server's manifest (absent is empty), PUTs every file
// whose SHA-256 differs, then PUTs the merged manifest. Requests that fail
// with a timeout, a connection error, 429 or 5xx are retried with exponential
// backoff and jitter (Retry-After honoured) for up to WithMaxElapsed; other
// statuses fail at once. Errors carry the method, URL and status, never the
// credentials or response body.
func (t *httpsTarget) Publish(ctx context.Context, files []render.File) (Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := checkFiles(files); err != nil {
		return Result{}, fmt.Errorf("publishing to %s: %w", t.base, err)
	}
	man, err := t.manifest(ctx)
	if err != nil {
		return Result{}, err
	}
	put := func(ctx context.Context, f render.File) error { return t.put(ctx, f.Name, f.Data) }
	res, werr := publishChanged(ctx, t.opts.jobs, files, man, nil, put)
	// The manifest records what did land, even when something failed.
	if res.Written > 0 {
		if err := t.put(ctx, ManifestName, man.marshal()); err != nil {
			return res, errors.Join(werr, err)
		}
	}
	if werr != nil {
		return res, werr
	}
	t.opts.logger.Debug("published", "target", t.base.String(), "written", res.Written, "skipped", res.Skipped)
	return res, nil
}

func (t *httpsTarget) url(name string) string {
	u := *t.base
	u.Path = path.Join(t.base.Path, name)
	return u.String()
}

func (t *httpsTarget) manifest(ctx context.Context) (*Manifest, error) {
	var m *Manifest
	err := t.retry(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url(ManifestName), nil)
		if err != nil {
			return backoff.Permanent(err)
		}
		t.auth(req)
		resp, err := t.client.Do(req)
		if err != nil {
			return t.transient(ctx, "GET", err)
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			m = newManifest()
			return nil
		case resp.StatusCode == http.StatusOK:
			b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
			if err != nil {
				return fmt.Errorf("GET %s: %w", req.URL, err)
			}
			if m, err = ParseManifest(b); err != nil {
				return backoff.Permanent(fmt.Errorf("GET %s: %w", req.URL, err))
			}
			return nil
		}
		return statusError("GET", req.URL.String(), resp)
	})
	if err != nil {
		return nil, fmt.Errorf("publishing: reading the target's manifest: %w", err)
	}
	return m, nil
}

func (t *httpsTarget) put(ctx context.Context, name string, data []byte) error {
	err := t.retry(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, t.url(name), bytes.NewReader(data))
		if err != nil {
			return backoff.Permanent(err)
		}
		req.Header.Set("Content-Type", contentType(name))
		t.auth(req)
		resp, err := t.client.Do(req)
		if err != nil {
			return t.transient(ctx, "PUT", err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		return statusError("PUT", req.URL.String(), resp)
	})
	if err != nil {
		return fmt.Errorf("publishing %s: %w", name, err)
	}
	return nil
}

func (t *httpsTarget) retry(ctx context.Context, op func() error) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 100 * time.Millisecond
	b.MaxInterval = 5 * time.Second
	_, err := backoff.Retry(ctx, func() (struct{}, error) { return struct{}{}, op() },
		backoff.WithBackOff(b), backoff.WithMaxElapsedTime(t.opts.maxElapsed))
	return err
}

// transient classifies a transport error: timeouts and connection failures
// are retried; certificate errors and a cancelled context are not.
func (t *httpsTarget) transient(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil {
		return backoff.Permanent(ctx.Err())
	}
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	if errors.As(err, &cert) || errors.As(err, &unknown) || errors.As(err, &host) {
		return backoff.Permanent(err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return err
	}
	return backoff.Permanent(err)
}

// statusError turns a non-2xx response into an error, retryable for 429 and
// 5xx. The body is not included: servers echo requests, credentials and all.
func statusError(method, u string, resp *http.Response) error {
	err := fmt.Errorf("%s %s: %s", method, u, resp.Status)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 && s <= 300 {
			return errors.Join(err, backoff.RetryAfter(s))
		}
		return err
	}
	return backoff.Permanent(err)
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".xml"), strings.HasSuffix(name, "-phone.cfg"):
		return "application/xml"
	case strings.HasSuffix(name, ".json"):
		return "application/json"
	case strings.HasSuffix(name, ".pem"):
		return "application/x-pem-file"
	}
	return "text/plain; charset=utf-8"
}

// redactURL drops any user information from a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			if j := strings.Index(s, "://"); j >= 0 && j < i {
				return s[:j+3] + "[redacted]@" + s[i+1:]
			}
		}
		return s
	}
	u.User = url.User("[redacted]")
	return u.String()
}

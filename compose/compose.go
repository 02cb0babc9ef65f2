// Package compose builds what a migration and its certification are made
// of (the Webex client, the renderer, the publisher with its batching, the
// certification's trust store and resolver) from options, in one place. The
// CLI (cmd/cutover) and the demo both call it, so that the demo runs the
// pieces the CLI runs, configured the same way.
package compose

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/webex"
)

// ClientOptions configures the Webex client.
type ClientOptions struct {
	BaseURL    string             // e.g. https://webexapis.com/v1
	Token      oauth2.TokenSource // required
	OrgID      string             // added as orgId to every call when set
	UserAgent  string             // "cutover/<version>"
	HTTPClient *http.Client       // nil: the client's default transport
	Logger     *slog.Logger
	// Options come after the defaults (the request rate, tests' backoff).
	Options []webex.Option
}

// Client builds the Webex client.
func Client(o ClientOptions) (*webex.Client, error) {
	var opts []webex.Option
	if o.Logger != nil {
		opts = append(opts, webex.WithLogger(o.Logger))
	}
	if o.UserAgent != "" {
		opts = append(opts, webex.WithUserAgent(o.UserAgent))
	}
	if o.OrgID != "" {
		opts = append(opts, webex.WithOrgID(o.OrgID))
	}
	if o.HTTPClient != nil {
		opts = append(opts, webex.WithHTTPClient(o.HTTPClient))
	}
	return webex.New(o.BaseURL, o.Token, append(opts, o.Options...)...)
}

// Renderer builds the config renderer: the embedded templates, with the
// partner's overrides from templates when it is not empty; more options
// follow (render.WithProvisioningURL, render.WithTrustRoot).
func Renderer(templates string, more ...render.Option) (*render.Renderer, error) {
	var opts []render.Option
	if templates != "" {
		opts = append(opts, render.WithTemplatesDir(templates))
	}
	return render.New(append(opts, more...)...)
}

// PublisherOptions configures a publish target.
type PublisherOptions struct {
	Spec   string // dir://PATH or https://HOST/PATH
	CAFile string // extra roots for an https target
	Jobs   int    // concurrent uploads (0: the target's default)
	Logger *slog.Logger
	// Source is the directory the published files are read from (the
	// run's configs): a dir:// target on that same directory keeps the
	// files the renderer already wrote there.
	Source string
}

// Publisher opens the publish target.
func Publisher(o PublisherOptions) (publish.Target, error) {
	var opts []publish.Option
	if o.Logger != nil {
		opts = append(opts, publish.WithLogger(o.Logger))
	}
	if o.Jobs > 0 {
		opts = append(opts, publish.WithJobs(o.Jobs))
	}
	if o.CAFile != "" {
		opts = append(opts, publish.WithCAFile(o.CAFile))
	}
	if o.Source != "" {
		opts = append(opts, publish.WithSourceDir(o.Source))
	}
	return publish.Open(o.Spec, opts...)
}

// publishBatch is how many files a publish batch holds at most: a
// directory target then writes its manifest a few times a second, not once
// per device.
const publishBatch = 2000

// RenderStep is the migration's render step: each device's configs are
// rendered into DIR/configs right after its device info is saved.
func RenderStep(r *render.Renderer) migrate.ExtraStep { return migrate.RenderStep(r) }

// PublishStep is the migration's publish step onto t, batched. The
// returned stop ends the batcher once the run is over (requests already
// taken are published first).
func PublishStep(t publish.Target) (migrate.ExtraStep, func()) {
	b := publish.NewBatcher(t, publishBatch)
	return migrate.PublishStep(b), b.Close
}

// CertifyOptions is what a certification needs from outside; Options turns
// it into certify.Options.
type CertifyOptions struct {
	SBC string
	// ExtraRoots are trusted beside the IdenTrust roots (--ca, a lab CA).
	ExtraRoots []*x509.Certificate
	// DNS is a resolver address (host:port) for SRV and A lookups; Resolver,
	// when set, is used instead. Neither: the system resolver.
	DNS      string
	Resolver device.Resolver
	// Only certifies just these devices.
	Only    []string
	Cases   []string
	Sample  int
	Jobs    int
	Timeout time.Duration
	// FailoverLimit and FailbackInterval: zero keeps certify's defaults.
	FailoverLimit    time.Duration
	FailbackInterval time.Duration
	PrimaryDown      func(context.Context) error
	PrimaryUp        func(context.Context) error
	Observer         certify.UserAgentObserver
	Out              io.Writer
	OnResult         func(certify.Result)
	Logger           *slog.Logger
	// SourceIPs are the local addresses the devices dial from, in turn
	// (empty: the kernel's choice).
	SourceIPs []net.IP
}

// Certify builds the certification's options: the trust store (IdenTrust
// plus ExtraRoots), the CA names a config may install (theirs), and the
// resolver are made here and nowhere else.
func Certify(o CertifyOptions) (certify.Options, error) {
	if (o.PrimaryDown == nil) != (o.PrimaryUp == nil) {
		return certify.Options{}, fmt.Errorf("composing certification: primary down and up go together")
	}
	res := o.Resolver
	if res == nil && o.DNS != "" {
		res = device.NewResolver(o.DNS)
	}
	var names []string
	certs := append(device.EmbeddedRoots(), o.ExtraRoots...)
	for _, r := range certs {
		names = append(names, r.Subject.CommonName)
	}
	return certify.Options{
		SBC:              o.SBC,
		Resolver:         res,
		Roots:            device.TrustStore(o.ExtraRoots...),
		TrustRoots:       names,
		TrustCerts:       certs,
		Only:             o.Only,
		Cases:            o.Cases,
		Sample:           o.Sample,
		Jobs:             o.Jobs,
		Timeout:          o.Timeout,
		FailoverLimit:    o.FailoverLimit,
		FailbackInterval: o.FailbackInterval,
		PrimaryDown:      o.PrimaryDown,
		PrimaryUp:        o.PrimaryUp,
		Observer:         o.Observer,
		Out:              o.Out,
		OnResult:         o.OnResult,
		Log:              o.Logger,
		SourceIPs:        o.SourceIPs,
	}, nil
}

package dns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// SRVSpec is one SRV record read from the command line.
type SRVSpec struct {
	Name string
	SRV
}

// ParseSRVSpecs reads a comma-separated list of SRV records in the form
// NAME=PRIORITY WEIGHT PORT TARGET, for example
// "_sips._tcp.example.test=10 60 5061 sbc1.example.test".
func ParseSRVSpecs(spec string) ([]SRVSpec, error) {
	var out []SRVSpec
	for i, item := range splitList(spec) {
		name, rdata, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("SRV record %d %q: expected NAME=PRIORITY WEIGHT PORT TARGET", i+1, item)
		}
		f := strings.Fields(rdata)
		if len(f) != 4 {
			return nil, fmt.Errorf("SRV record %d %q: expected 4 fields after '=' (PRIORITY WEIGHT PORT TARGET), got %d", i+1, item, len(f))
		}
		var nums [3]uint16
		for j, label := range []string{"priority", "weight", "port"} {
			n, err := strconv.ParseUint(f[j], 10, 16)
			if err != nil {
				return nil, fmt.Errorf("SRV record %d %q: %s %q: expected 0 to 65535", i+1, item, label, f[j])
			}
			nums[j] = uint16(n)
		}
		if nums[2] == 0 {
			return nil, fmt.Errorf("SRV record %d %q: port 0", i+1, item)
		}
		if err := checkName(f[3]); err != nil {
			return nil, fmt.Errorf("SRV record %d %q: target: %w", i+1, item, err)
		}
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("SRV record %d %q: name: %w", i+1, item, err)
		}
		out = append(out, SRVSpec{Name: name, SRV: SRV{Priority: nums[0], Weight: nums[1], Port: nums[2], Target: f[3]}})
	}
	return out, nil
}

// ASpec is one A record read from the command line.
type ASpec struct {
	Name, IP string
}

// ParseASpecs reads a comma-separated list of NAME=IPV4 records.
func ParseASpecs(spec string) ([]ASpec, error) {
	var out []ASpec
	for i, item := range splitList(spec) {
		name, ip, ok := strings.Cut(item, "=")
		name, ip = strings.TrimSpace(name), strings.TrimSpace(ip)
		if !ok || name == "" {
			return nil, fmt.Errorf("parsing A record %d %q: expected NAME=IPV4", i+1, item)
		}
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("parsing A record %d %q: %w", i+1, item, err)
		}
		if _, err := parseA(ip); err != nil {
			return nil, fmt.Errorf("parsing A record %d %q: %w", i+1, item, err)
		}
		out = append(out, ASpec{Name: name, IP: ip})
	}
	return out, nil
}

func splitList(spec string) []string {
	var out []string
	for item := range strings.SplitSeq(spec, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// checkName accepts a DNS name of letters, digits, '-', '_' and dots with
// labels of 1 to 63 characters.
func checkName(name string) error {
	n := strings.TrimSuffix(name, ".")
	if n == "" || len(n) > 253 {
		return fmt.Errorf("%q is not a domain name", name)
	}
	for label := range strings.SplitSeq(n, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q is not a domain name (empty or long label)", name)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("%q is not a domain name (character %q)", name, r)
			}
		}
	}
	return nil
}

// StandaloneOptions configure RunStandalone, the `cutover emulate dns` job.
type StandaloneOptions struct {
	Listen string
	SRV    []SRVSpec
	A      []ASpec
	Logger *slog.Logger
	// Ready is called with the bound address once serving.
	Ready func(addr string)
}

// RunStandalone serves the given records on Listen until ctx ends.
func RunStandalone(ctx context.Context, o StandaloneOptions) error {
	if len(o.SRV) == 0 && len(o.A) == 0 {
		return errors.New("no records to serve: give at least one SRV or A record")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := NewServer(WithLogger(log))
	for _, r := range o.SRV {
		s.AddSRV(r.Name, r.Priority, r.Weight, r.Port, r.Target)
	}
	for _, r := range o.A {
		if err := s.AddA(r.Name, r.IP); err != nil {
			return err
		}
	}
	if err := s.Start(ctx, o.Listen); err != nil {
		return err
	}
	defer s.Close()
	if o.Ready != nil {
		o.Ready(s.Addr())
	}
	<-ctx.Done()
	return nil
}

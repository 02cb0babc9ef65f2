package reports

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/cutover-dev/cutover/certify"
	secrets "github.com/cutover-dev/cutover/internal/redact"
	"github.com/cutover-dev/cutover/migrate"
)

// Failure sources.
const (
	SourcePlan    = "plan"
	SourceMigrate = "migrate"
	SourceCertify = "certify"
)

// redact masks the values that look like credentials in s: reports are
// handed to customers.
func redact(s string) string { return secrets.String(s) }

// remedyRule maps a failure to advice: the first rule whose where and pattern
// both match wins. An empty where matches any step or case.
type remedyRule struct {
	source string
	where  string
	re     *regexp.Regexp
	advice string
}

var remedyRules = []remedyRule{
	// Webex API answers, whatever the step.
	{SourceMigrate, "", regexp.MustCompile(`(?i)\b409\b.*\bmac\b|\bmac\b.*(in use|already|exists|another org)`),
		"Release the MAC from the other organisation or remove the device there, then run migrate again (it resumes)."},
	{SourceMigrate, "", regexp.MustCompile(`\b401\b|(?i)unauthori[sz]ed|invalid_grant`),
		"The token was refused: renew it (or the refresh token) and run migrate again; completed steps are not repeated."},
	{SourceMigrate, "", regexp.MustCompile(`\b403\b|(?i)forbidden`),
		"The token lacks a scope or admin role for this org: use a full or device admin of the customer org (or --org-id as a partner)."},
	{SourceMigrate, "", regexp.MustCompile(`\b404\b|(?i)not found`),
		"Something this device refers to does not exist in Webex: check the owner's e-mail or workspace name and the location in the inventory."},
	{SourceMigrate, "", regexp.MustCompile(`\b429\b|(?i)rate limit|too many requests`),
		"Webex rate-limited the run: lower --rate or --jobs and run migrate again."},
	{SourceMigrate, "", regexp.MustCompile(`\b5\d\d\b|(?i)timeout|timed out|connection reset|EOF`),
		"A transient Webex or network error: run migrate again with the same --run directory; it resumes where it stopped."},
	{SourceMigrate, string(migrate.StepPassword), nil,
		"Setting the SIP password was refused: check that it meets the Webex password policy (length, character classes, no reuse)."},
	{SourceMigrate, string(migrate.StepMembers), nil,
		"Assigning lines or ports was refused: check each line owner exists and the port count fits the model."},
	{SourceMigrate, string(migrate.StepRender), nil,
		"Rendering the configuration failed: check that a template exists for this make and model (or --templates) and its variables are in the inventory."},
	{SourceMigrate, string(migrate.StepPublish), nil,
		"Publishing the configuration failed: check the provisioning target is reachable and writable, then run cutover publish --run DIR."},
	{SourceMigrate, string(migrate.StepInfo), nil,
		"Reading the device info failed: run migrate again; if it persists, check the device exists in Control Hub."},
	{SourceMigrate, "", nil,
		"Run migrate again with the same --run directory (it resumes); if the error repeats, check the detail against the Webex API answer."},

	{SourcePlan, string(migrate.ActionConflict), nil,
		"The MAC belongs to another owner or organisation: release the MAC from the other org or remove the device there, then plan again."},
	{SourcePlan, string(migrate.ActionInvalid), nil,
		"Fix the inventory row at the given position (cutover validate shows every problem), then plan again."},

	{SourceCertify, certify.CaseTLSVersion, nil,
		"Configure the device and SBC for TLS 1.2 (Webex Calling refuses older versions and expects 1.2)."},
	{SourceCertify, certify.CaseTLSChain, nil,
		"Install the IdenTrust root in the device's trust store, and check the SBC certificate's host name matches the SRV target."},
	{SourceCertify, certify.CaseDNSSRV, nil,
		"Check the _sips._tcp SRV records (priority and weight order) and that every target resolves; point the device at a resolver that has them."},
	{SourceCertify, certify.CaseRegister, regexp.MustCompile(`(?i)\b(401|403)\b|auth|password|credential`),
		"Registration was refused: re-publish the configuration so the device has its current SIP user name and password, then certify again."},
	{SourceCertify, certify.CaseRegister, nil,
		"The device did not register: check it reaches the SBC (firewall, TLS 5061, outbound proxy) and that the line is assigned in Webex."},
	{SourceCertify, certify.CaseRegisterBadPassword, nil,
		"The SBC accepted a wrong password: check digest authentication is enforced on the registrar."},
	{SourceCertify, certify.CaseReregister, nil,
		"The registration was not refreshed before it expired: check the device's registration expiry and refresh settings in the template."},
	{SourceCertify, certify.CaseFailover, nil,
		"The device did not reach the secondary SBC in time: check the secondary SRV target and shorten the device's failover timers in the template."},
	{SourceCertify, certify.CaseFailback, nil,
		"The device did not return to the primary SBC: enable failback (primary re-check interval) in the template."},
	{SourceCertify, certify.CaseOptions, nil,
		"SIP OPTIONS keepalives were not answered: check keepalive settings and that the SBC answers OPTIONS."},
	{SourceCertify, certify.CaseUserAgent, nil,
		"The User-Agent header lacks the make and model: update the firmware or set the User-Agent in the template."},
	{SourceCertify, certify.CasePasswordPolicy, nil,
		"The SIP password does not meet the policy: generate a new one (leave sip_password empty in the inventory) and migrate again."},
	{SourceCertify, certify.CaseCall, nil,
		"A call through the SBC failed: check the line is assigned and the SBC routes between the two registered devices."},
	{SourceCertify, certify.CaseUnregister, nil,
		"The de-registration (Expires 0) was not accepted: check the registrar honours Expires 0."},
	{SourceCertify, "", nil,
		"Look at the reason, fix the device template or the SBC, then certify again."},
}

// Remedy returns advice for a failure from source (plan, migrate, certify)
// at where (a plan action, step or case) with the given reason.
func Remedy(source, where, reason string) string {
	for _, r := range remedyRules {
		if r.source != source || (r.where != "" && r.where != where) {
			continue
		}
		if r.re != nil && !r.re.MatchString(reason) {
			continue
		}
		return r.advice
	}
	return ""
}

func collectFailures(d *Data) []Failure {
	var out []Failure
	byMAC := make(map[string]*Device, len(d.Devices))
	for i := range d.Devices {
		byMAC[d.Devices[i].MAC] = &d.Devices[i]
	}
	for i := range d.Devices {
		dev := &d.Devices[i]
		var src, where string
		switch dev.Status {
		case StatusConflict, StatusInvalid:
			src, where = SourcePlan, dev.Action
		case StatusFailed:
			src, where = SourceMigrate, string(dev.Step)
		default:
			continue
		}
		out = append(out, Failure{
			Source: src, MAC: dev.MAC, Make: dev.Make, Model: dev.Model, Where: where,
			Reason: dev.Reason, Remedy: Remedy(src, where, dev.Reason), Pos: dev.Pos,
		})
	}
	for _, f := range d.certFails {
		if dev := byMAC[f.MAC]; dev != nil {
			f.Make, f.Model, f.Pos = dev.Make, dev.Model, dev.Pos
		}
		out = append(out, f)
	}
	d.certFails = nil
	caseOrder := func(f Failure) int {
		if f.Source != SourceCertify {
			return -1
		}
		return slices.Index(d.Cases, f.Where)
	}
	slices.SortFunc(out, func(a, b Failure) int {
		return cmp.Or(cmp.Compare(a.MAC, b.MAC), cmp.Compare(sourceRank(a.Source), sourceRank(b.Source)),
			cmp.Compare(caseOrder(a), caseOrder(b)), strings.Compare(a.Where, b.Where))
	})
	return out
}

func sourceRank(s string) int {
	switch s {
	case SourcePlan:
		return 0
	case SourceMigrate:
		return 1
	}
	return 2
}

// groupFailures groups failures by cause: the same source and the same
// remedy is the same fix on the same target (a certificate remedy names
// its SBC), whichever case or step showed it. One expired SBC certificate
// fails tls-chain, register and register-bad-password on every device: one
// cause, not three. Groups are ranked by the devices they affect.
func groupFailures(fs []Failure) []FailGroup {
	type key struct{ s, r string }
	type acc struct {
		g     FailGroup
		where []string
		macs  map[string]bool
	}
	idx := make(map[key]*acc)
	var order []*acc
	for _, f := range fs {
		k := key{f.Source, f.Remedy}
		a := idx[k]
		if a == nil {
			a = &acc{g: FailGroup{Source: f.Source, Remedy: f.Remedy, Example: f.MAC + ": " + f.Reason}, macs: map[string]bool{}}
			idx[k] = a
			order = append(order, a)
		}
		a.g.Count++
		if !slices.Contains(a.where, f.Where) {
			a.where = append(a.where, f.Where)
		}
		if !a.macs[f.MAC] {
			a.macs[f.MAC] = true
			a.g.MACs = append(a.g.MACs, f.MAC) // failures come sorted by MAC
		}
	}
	gs := make([]FailGroup, len(order))
	for i, a := range order {
		slices.SortStableFunc(a.where, func(x, y string) int { return cmp.Compare(whereRank(x), whereRank(y)) })
		a.g.Where = strings.Join(a.where, ", ")
		gs[i] = a.g
	}
	slices.SortStableFunc(gs, func(a, b FailGroup) int {
		return cmp.Or(cmp.Compare(b.Devices(), a.Devices()), cmp.Compare(b.Count, a.Count),
			cmp.Compare(sourceRank(a.Source), sourceRank(b.Source)), strings.Compare(a.Where, b.Where), strings.Compare(a.Remedy, b.Remedy))
	})
	for i := range gs {
		gs[i].Rank = i + 1
	}
	return gs
}

// whereRank orders steps and cases as they run: the pipeline, then the
// certification plan; anything else last.
func whereRank(w string) int {
	if i := pipelineIndex(migrate.Step(w)); i >= 0 {
		return i
	}
	if i := slices.Index(certify.AllCases, w); i >= 0 {
		return len(Pipeline) + i
	}
	return len(Pipeline) + len(certify.AllCases)
}

// firstCauses gives every failing device its first failure (failures are
// sorted plan, migrate, then certification in case order) and its group.
func firstCauses(d *Data) {
	rank := make(map[[2]string]int, len(d.Groups))
	for _, g := range d.Groups {
		rank[[2]string{g.Source, g.Remedy}] = g.Rank
	}
	j := 0
	for i := range d.Devices {
		dev := &d.Devices[i]
		for j < len(d.Failures) && d.Failures[j].MAC < dev.MAC {
			j++
		}
		if j < len(d.Failures) && d.Failures[j].MAC == dev.MAC {
			f := &d.Failures[j]
			dev.Cause, dev.CauseGroup = f.Reason, rank[[2]string{f.Source, f.Remedy}]
		}
	}
}

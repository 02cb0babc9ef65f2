// Package certify is the certification test plan: the cases a device must pass
// before a real phone is touched, run per device with bounded concurrency
// against SBCs through the SIP device simulator.
package certify

import "time"

// The cases of the certification plan (DESIGN.md), in the order they run.
const (
	CaseTLSVersion          = "tls-version"
	CaseTLSChain            = "tls-chain"
	CaseDNSSRV              = "dns-srv"
	CaseRegister            = "register"
	CaseRegisterBadPassword = "register-bad-password"
	CaseReregister          = "reregister"
	CaseFailover            = "failover"
	CaseFailback            = "failback"
	CaseOptions             = "options"
	CaseUserAgent           = "user-agent"
	CasePasswordPolicy      = "password-policy"
	CaseCall                = "call"
	CaseUnregister          = "unregister"
)

// AllCases lists every case in run order.
var AllCases = []string{
	CaseTLSVersion, CaseTLSChain, CaseDNSSRV, CaseRegister, CaseRegisterBadPassword,
	CaseReregister, CaseFailover, CaseFailback, CaseOptions, CaseUserAgent,
	CasePasswordPolicy, CaseCall, CaseUnregister,
}

// Outcome is a case's verdict.
type Outcome string

// Outcomes.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	Skip Outcome = "skip"
	// Blocked is a case that could not run because register, which it
	// needs, failed on the same device: it says nothing about the case
	// itself, so it is neither a pass nor a second failure to fix.
	Blocked Outcome = "blocked"
)

// needsRegister lists the cases that need the device registered on the
// primary: after a failed register they are Blocked instead of failing
// again for the same cause. Failover and failback register on their own
// (a second device of the same line) and still run.
var needsRegister = map[string]bool{
	CaseReregister: true, CaseOptions: true, CaseUserAgent: true, CaseCall: true, CaseUnregister: true,
}

// NeedsRegister says whether a case is blocked by a failed register.
func NeedsRegister(name string) bool { return needsRegister[name] }

// Result is one line of DIR/certify.jsonl: one case run on one device.
type Result struct {
	MAC     string    `json:"mac"`
	Make    string    `json:"make,omitempty"`
	Model   string    `json:"model,omitempty"`
	Case    string    `json:"case"`
	Outcome Outcome   `json:"outcome"`
	Reason  string    `json:"reason,omitempty"` // why it failed or was skipped, e.g. "failover: secondary sbc2.example:5061 answered after 34.2 s, limit 32 s"
	Remedy  string    `json:"remedy,omitempty"` // what to do about a failure
	Target  string    `json:"target,omitempty"` // the SBC host:port the case ended on
	Started time.Time `json:"started"`
	// DurationMS is the case's wall time; Timings holds named measurements in
	// milliseconds (e.g. "register", "failover").
	DurationMS int64              `json:"ms"`
	Timings    map[string]float64 `json:"timings,omitempty"`
	// Outage is set on the failover and failback results of a live outage
	// (PrimaryDown/PrimaryUp) for every device that took part: when the
	// primary was stopped (failover: the devices registered on it) or
	// started again (failback: the devices then on a secondary). The
	// case's timing (Timings["failover"] or ["failback"]) is then counted
	// from this moment and is present only if the device got there: on a
	// secondary, or back on the primary, late or not. Fleet reads them.
	Outage time.Time `json:"outage,omitzero"`
}

// Package lab runs real SIP peers from Debian packages for integration
// tests and lab dry runs: Kamailio 5.6 as a TLS 1.2 registrar with digest
// authentication, two of which stand in for a primary and a secondary SBC.
//
// Everything runs on loopback from a private run directory; nothing touches
// /etc or the system's Kamailio service.
package lab

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"
)

// DefaultModulesDir is where Debian's kamailio package puts its modules.
const DefaultModulesDir = "/usr/lib/x86_64-linux-gnu/kamailio/modules"

// modulesDirs are where distributions put Kamailio's modules, Debian's first.
var modulesDirs = []string{
	DefaultModulesDir,
	"/usr/lib/aarch64-linux-gnu/kamailio/modules",
	"/usr/lib64/kamailio/modules",
	"/usr/lib/kamailio/modules",
	"/usr/local/lib64/kamailio/modules",
	"/usr/local/lib/kamailio/modules",
}

// ModulesDir returns the first known module directory holding tls.so, or
// DefaultModulesDir when none does.
func ModulesDir() string {
	for _, d := range modulesDirs {
		if _, err := os.Stat(filepath.Join(d, "tls.so")); err == nil {
			return d
		}
	}
	return DefaultModulesDir
}

// KamailioOptions configure one Kamailio instance.
type KamailioOptions struct {
	// Addr is the TLS listen address, host:port on loopback (for example
	// 127.0.0.11:5061). Port 0 picks a free port.
	Addr string
	// CertFile and KeyFile are the server certificate chain and key (PEM).
	CertFile, KeyFile string
	// CAFile, when set, is used to verify Kamailio's certificate in the
	// readiness probe, which then proves the chain as a device would see it.
	CAFile string
	// Users maps digest user names to plain-text passwords; they go to a
	// db_text subscriber table (0600) and Kamailio computes HA1 itself.
	Users map[string]string
	// Realm is the digest realm (default "cutover.lab").
	Realm string
	// Dir is the parent directory; the instance gets a unique run directory
	// under it holding kamailio.cfg, tls.cfg, the db_text tables and
	// kamailio.log.
	Dir string
	// Binary is the kamailio executable (default: "kamailio" on PATH).
	Binary string
	// ModulesDir is Kamailio's module path (default: ModulesDir()).
	ModulesDir string
	// MinExpires and MaxExpires bound registrations (defaults 60 s, 3600 s).
	MinExpires, MaxExpires time.Duration
	// StartTimeout bounds waiting for the listener (default 20 s).
	StartTimeout time.Duration
	// SharedMemoryMB and PrivateMemoryMB size Kamailio's memory pools
	// (-m, -M). PrivateMemoryMB defaults to 8. SharedMemoryMB defaults to
	// SharedMemoryFor(MaxConnections): every TLS connection keeps its
	// OpenSSL state in shared memory, and Kamailio's usual 64 MB runs out
	// before a thousand connections.
	SharedMemoryMB, PrivateMemoryMB int
	// Children is Kamailio's worker count for datagram listeners (default
	// 2; the lab listens on TLS only, so they mostly idle).
	Children int
	// TCPChildren is the number of TCP/TLS worker processes (default 1).
	// Debian 12's Kamailio 5.6.3 linked with OpenSSL 3 corrupts its shared
	// memory when two or more TCP workers run TLS at the same time: double
	// frees, "bad record mac" alerts and crashed workers under concurrent
	// handshakes. Later releases added a tls module setting for it
	// (tls_threads_mode); 5.6 has none, so a single worker, which
	// serialises OpenSSL, is the only safe default there. Raise it only
	// with a Kamailio known not to do this.
	TCPChildren int
	// MaxConnections caps TCP/TLS connections (default 4096); the open
	// files limit follows it.
	MaxConnections int
	// TCPAddr, when set, adds a plain SIP over TCP listener (host:port on
	// loopback; port 0 picks a free port) next to the TLS one, for tools
	// without TLS such as Debian's SIPp.
	TCPAddr string
}

// SharedMemoryFor returns the shared memory (MB) the lab gives Kamailio for
// up to conns TLS connections: a 64 MB base for the registrar, transactions
// and the location table, plus 128 KB per connection, and never less than
// 256 MB. Kamailio's tls module keeps each connection's OpenSSL state in
// shared memory: Debian's 5.6.3 with OpenSSL 3 took about 72 KB per idle
// TLS 1.2 connection (64 MB held 808 connections, 128 MB 1,720), and more
// with transactions in flight, hence the margin. Shared memory is mapped,
// not touched, up front: a large pool costs little until it is used.
func SharedMemoryFor(conns int) int {
	mb := 64 + (conns*128+1023)/1024
	return max(mb, 256)
}

// Kamailio is a running (or stopped) Kamailio instance.
type Kamailio struct {
	opts    KamailioOptions
	addr    string
	tcpAddr string
	runDir  string
	cfgPath string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exits
	err  error         // cmd's exit error, written before done closes
}

// StartKamailio writes the instance's configuration and starts it, and
// returns once it accepts TLS on Addr. Stop it with Stop; Start runs it
// again with the same configuration (failback tests).
func StartKamailio(ctx context.Context, opts KamailioOptions) (*Kamailio, error) {
	opts = opts.withDefaults()
	if opts.CertFile == "" || opts.KeyFile == "" {
		return nil, errors.New("starting kamailio: CertFile and KeyFile are required")
	}
	if opts.Dir == "" {
		return nil, errors.New("starting kamailio: Dir is required")
	}
	addr, err := resolveAddr(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("starting kamailio on %s: %w", opts.Addr, err)
	}
	tcpAddr := ""
	if opts.TCPAddr != "" {
		if tcpAddr, err = resolveAddr(opts.TCPAddr); err != nil {
			return nil, fmt.Errorf("starting kamailio on %s: TCP listener %s: %w", addr, opts.TCPAddr, err)
		}
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("starting kamailio on %s: %w", addr, err)
	}
	runDir, err := os.MkdirTemp(opts.Dir, "kamailio-"+strings.NewReplacer(":", "-", ".", "_").Replace(addr)+"-")
	if err != nil {
		return nil, fmt.Errorf("starting kamailio on %s: %w", addr, err)
	}
	k := &Kamailio{
		opts:    opts,
		addr:    addr,
		tcpAddr: tcpAddr,
		runDir:  runDir,
		cfgPath: filepath.Join(runDir, "kamailio.cfg"),
		logPath: filepath.Join(runDir, "kamailio.log"),
	}
	ephemeral := strings.HasSuffix(opts.Addr, ":0")
	tcpEphemeral := strings.HasSuffix(opts.TCPAddr, ":0")
	for attempt := 1; ; attempt++ {
		if err := k.writeConfig(); err != nil {
			return nil, fmt.Errorf("starting kamailio on %s: %w", k.addr, err)
		}
		err := k.Start(ctx)
		if err == nil {
			return k, nil
		}
		// A port free a moment ago may be taken before Kamailio binds it:
		// pick other ones (only ports the caller left to us).
		if !errors.Is(err, errAddrInUse) || !(ephemeral || tcpEphemeral) || attempt == 3 {
			return nil, err
		}
		if ephemeral {
			if k.addr, err = resolveAddr(opts.Addr); err != nil {
				return nil, fmt.Errorf("starting kamailio on %s: %w", opts.Addr, err)
			}
		}
		if tcpEphemeral {
			if k.tcpAddr, err = resolveAddr(opts.TCPAddr); err != nil {
				return nil, fmt.Errorf("starting kamailio on %s: %w", opts.TCPAddr, err)
			}
		}
	}
}

// errAddrInUse marks a start that failed because a listen address was
// taken (Kamailio logged EADDRINUSE).
var errAddrInUse = errors.New("listen address in use")

// withDefaults fills in every unset field that has a default.
func (opts KamailioOptions) withDefaults() KamailioOptions {
	if opts.Realm == "" {
		opts.Realm = "cutover.lab"
	}
	if opts.Binary == "" {
		opts.Binary = "kamailio"
	}
	if opts.ModulesDir == "" {
		opts.ModulesDir = ModulesDir()
	}
	if opts.MinExpires <= 0 {
		opts.MinExpires = 60 * time.Second
	}
	if opts.MaxExpires <= 0 {
		opts.MaxExpires = time.Hour
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	if opts.PrivateMemoryMB <= 0 {
		opts.PrivateMemoryMB = 8
	}
	if opts.Children <= 0 {
		opts.Children = 2
	}
	if opts.TCPChildren <= 0 {
		opts.TCPChildren = 1
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 4096
	}
	if opts.SharedMemoryMB <= 0 {
		opts.SharedMemoryMB = SharedMemoryFor(opts.MaxConnections)
	}
	return opts
}

// resolveAddr checks addr is loopback and replaces port 0 by a free port.
func resolveAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
		return "", fmt.Errorf("host %q: expected an IPv4 loopback address (127.0.0.0/8)", host)
	}
	if port != "0" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", fmt.Errorf("port %q: %w", port, err)
		}
		return addr, nil
	}
	p, err := FreePort(host)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// FreePort returns a TCP port free on host right now. Another process may
// take it before it is used; tests retry on "address in use".
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is the TLS listen address.
func (k *Kamailio) Addr() string { return k.addr }

// TCPAddr is the plain TCP listen address, "" without one (see
// KamailioOptions.TCPAddr).
func (k *Kamailio) TCPAddr() string { return k.tcpAddr }

// RunDir is the instance's directory (configuration, tables, log).
func (k *Kamailio) RunDir() string { return k.runDir }

// LogPath is Kamailio's log file.
func (k *Kamailio) LogPath() string { return k.logPath }

// Pid is the main process id, 0 when not running.
func (k *Kamailio) Pid() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil || k.cmd.Process == nil || k.exited() {
		return 0
	}
	return k.cmd.Process.Pid
}

func (k *Kamailio) exited() bool {
	select {
	case <-k.done:
		return true
	default:
		return false
	}
}

// Start runs Kamailio (again) and waits until it accepts TLS. It is an
// error to Start a running instance.
func (k *Kamailio) Start(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd != nil && !k.exited() {
		return fmt.Errorf("starting kamailio on %s: already running (pid %d)", k.addr, k.cmd.Process.Pid)
	}
	logf, err := os.OpenFile(k.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("starting kamailio on %s: %w", k.addr, err)
	}
	logStart, _ := logf.Seek(0, io.SeekEnd)
	fmt.Fprintf(logf, "--- cutover: starting kamailio at %s\n", time.Now().UTC().Format(time.RFC3339))
	// -DD: the main process stays in the foreground (we own its pid) and
	// forks its workers; -E logs to stderr, which goes to the log file; -Y
	// keeps runtime files in the run directory so two instances never share
	// /run/kamailio.
	cmd := exec.Command(k.opts.Binary,
		"-f", k.cfgPath, "-DD", "-E",
		"-Y", k.runDir, "-P", filepath.Join(k.runDir, "kamailio.pid"),
		"-w", k.runDir,
		"-m", strconv.Itoa(k.opts.SharedMemoryMB), "-M", strconv.Itoa(k.opts.PrivateMemoryMB))
	cmd.Dir = k.runDir
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Own process group: Stop can take the workers down with the main
	// process. Pdeathsig covers a caller that dies without calling Stop (a
	// test binary killed by -timeout): Kamailio's main process answers
	// SIGTERM by stopping every process of its group. (Linux sends it when
	// the forking OS thread ends; Go ends threads only for goroutines that
	// exit while locked to one, which nothing here does.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting kamailio on %s: %w", k.addr, err)
	}
	done := make(chan struct{})
	k.cmd, k.done = cmd, done
	go func() {
		// No lock here: Start holds k.mu while it waits for readiness, and
		// must see the exit. The channel close publishes k.err.
		k.err = cmd.Wait()
		logf.Close()
		close(done)
	}()
	if err := k.waitReady(ctx, done); err != nil {
		k.killLocked()
		// Only this attempt's log: an earlier run's lines would mislead.
		tail := k.logTailSince(logStart, 20)
		if strings.Contains(tail, "Address already in use") {
			err = fmt.Errorf("%w (%w)", err, errAddrInUse)
		}
		return fmt.Errorf("starting kamailio on %s: %w\n%s", k.addr, err, tail)
	}
	return nil
}

// waitReady polls for a TLS 1.2 handshake until it succeeds, the process
// exits, ctx ends or StartTimeout passes.
func (k *Kamailio) waitReady(ctx context.Context, done chan struct{}) error {
	conf, err := k.probeTLS()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(k.opts.StartTimeout)
	var last error
	for {
		select {
		case <-done:
			return fmt.Errorf("kamailio exited during startup: %v", k.err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting TLS after %s: %v", k.opts.StartTimeout, last)
		}
		d := &net.Dialer{Timeout: time.Second}
		c, err := tls.DialWithDialer(d, "tcp", k.addr, conf)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
}

// probeTLS is the readiness probe's client config: TLS 1.2, verifying the
// chain against CAFile when given. Without a CA the probe only proves the
// handshake completes (the caller checks the chain its own way).
func (k *Kamailio) probeTLS() (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}
	if k.opts.CAFile == "" {
		conf.InsecureSkipVerify = true //nolint:gosec // readiness probe only; see doc comment
		return conf, nil
	}
	pem, err := os.ReadFile(k.opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("reading CA file %s: no PEM certificate", k.opts.CAFile)
	}
	host, _, _ := net.SplitHostPort(k.addr)
	conf.RootCAs = pool
	conf.ServerName = host
	// The certificate may name a host rather than the IP: verify the chain
	// and validity here, and leave the name check to the tests that own it.
	conf.InsecureSkipVerify = true //nolint:gosec // chain verified in VerifyPeerCertificate
	conf.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("no certificate presented")
		}
		leaf, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		inter := x509.NewCertPool()
		for _, r := range raw[1:] {
			if c, err := x509.ParseCertificate(r); err == nil {
				inter.AddCert(c)
			}
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
		return err
	}
	return conf, nil
}

// Stop terminates Kamailio (SIGTERM, then SIGKILL to its process group
// after 5 s) and waits for it. Stopping a stopped instance is a no-op.
func (k *Kamailio) Stop() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil || k.exited() {
		return nil
	}
	k.killLocked()
	return nil
}

// killLocked ends the running process; caller holds k.mu. It releases the
// lock while waiting, since the reaper goroutine needs it.
func (k *Kamailio) killLocked() {
	cmd, done := k.cmd, k.done
	pid := cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	k.mu.Unlock()
	defer k.mu.Lock()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-done
	}
	// Workers normally die with the main process; make sure of it, and
	// only within the group this instance created.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// LogTail returns the last n lines of Kamailio's log.
func (k *Kamailio) LogTail(n int) string { return k.logTailSince(0, n) }

// logTailSince is LogTail limited to what was written from byte off on.
func (k *Kamailio) logTailSince(off int64, n int) string {
	data, err := os.ReadFile(k.logPath)
	if err != nil {
		return ""
	}
	if off > 0 && off <= int64(len(data)) {
		data = data[off:]
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (k *Kamailio) writeConfig() error {
	dbDir := filepath.Join(k.runDir, "db")
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return err
	}
	cfg := k.templateData()
	var buf bytes.Buffer
	if err := kamailioCfg.Execute(&buf, cfg); err != nil {
		return fmt.Errorf("rendering kamailio.cfg: %w", err)
	}
	if err := os.WriteFile(k.cfgPath, buf.Bytes(), 0o600); err != nil {
		return err
	}
	buf.Reset()
	if err := tlsCfg.Execute(&buf, map[string]string{"Cert": k.opts.CertFile, "Key": k.opts.KeyFile}); err != nil {
		return fmt.Errorf("rendering tls.cfg: %w", err)
	}
	if err := os.WriteFile(cfg.TLSConfig, buf.Bytes(), 0o600); err != nil {
		return err
	}
	version := "id(int,auto) table_name(string) table_version(int) \n0:version:1\n0:subscriber:7\n0:location:9\n0:location_attrs:1\n"
	if err := os.WriteFile(filepath.Join(dbDir, "version"), []byte(version), 0o600); err != nil {
		return err
	}
	sub, err := subscriberTable(k.opts.Users, k.opts.Realm)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dbDir, "subscriber"), sub, 0o600)
}

// templateData is what kamailio.cfg is rendered from.
func (k *Kamailio) templateData() kamailioTemplateData {
	host, port, _ := net.SplitHostPort(k.addr)
	return kamailioTemplateData{
		Listen:         "tls:" + k.addr,
		TCPListen:      tcpListen(k.tcpAddr),
		Host:           host,
		Port:           port,
		ModulesDir:     k.opts.ModulesDir,
		TLSConfig:      filepath.Join(k.runDir, "tls.cfg"),
		DBURL:          "text://" + filepath.Join(k.runDir, "db"),
		Realm:          k.opts.Realm,
		MinExpires:     int(k.opts.MinExpires / time.Second),
		MaxExpires:     int(k.opts.MaxExpires / time.Second),
		Children:       k.opts.Children,
		TCPChildren:    k.opts.TCPChildren,
		MaxConnections: k.opts.MaxConnections,
		OpenFiles:      k.opts.MaxConnections + 1024,
		SharedMemoryMB: k.opts.SharedMemoryMB,
		PrivMemoryMB:   k.opts.PrivateMemoryMB,
	}
}

// SubscriberTable renders users as the db_text subscriber table a lab
// Kamailio reads (the file "subscriber" of its db_text directory), for the
// digest realm (default "cutover.lab", as KamailioOptions).
func SubscriberTable(users map[string]string, realm string) ([]byte, error) {
	if realm == "" {
		realm = "cutover.lab"
	}
	return subscriberTable(users, realm)
}

// subscriberTable renders the db_text subscriber table. db_text separates
// columns with ':' and escapes ':', '\\' and line breaks with a backslash.
func subscriberTable(users map[string]string, realm string) ([]byte, error) {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) \n")
	for i, u := range names {
		p := users[u]
		if u == "" || p == "" {
			return nil, fmt.Errorf("subscriber %d: empty user name or password", i+1)
		}
		if strings.ContainsAny(u+p, "\r\n\x00") {
			return nil, fmt.Errorf("subscriber %q: user name or password holds a line break or NUL", u)
		}
		fmt.Fprintf(&b, "%d:%s:%s:%s::\n", i+1, dbtextEscape(u), dbtextEscape(realm), dbtextEscape(p))
	}
	return []byte(b.String()), nil
}

// dbtext escapes a backslash and the column separator.
var dbtext = strings.NewReplacer(`\`, `\\`, ":", `\:`)

func dbtextEscape(s string) string { return dbtext.Replace(s) }

func tcpListen(addr string) string {
	if addr == "" {
		return ""
	}
	return "tcp:" + addr
}

type kamailioTemplateData struct {
	Listen, TCPListen, Host, Port, ModulesDir, TLSConfig string
	DBURL, Realm                                         string
	MinExpires, MaxExpires                               int
	Children, TCPChildren, MaxConnections, OpenFiles     int
	SharedMemoryMB, PrivMemoryMB                         int
}

var tlsCfg = template.Must(template.New("tls.cfg").Parse(`# Generated by cutover's lab package.
[server:default]
method = TLSv1.2
verify_certificate = no
require_certificate = no
certificate = {{.Cert}}
private_key = {{.Key}}

[client:default]
method = TLSv1.2
verify_certificate = no
require_certificate = no
`))

// The script: OPTIONS answered statelessly; REGISTER digest-checked
// against the subscriber table (a wrong password gets a fresh 401, Kamailio's
// usual answer) and saved in memory with the source address, so that an
// INVITE to a registered user is routed back over that device's own TLS
// connection. Devices listen on nothing, so the Contacts of INVITEs and their
// answers get an alias of the connection they came on, and in-dialog requests
// (which follow the Record-Route) are sent over that connection.
var kamailioCfg = template.Must(template.New("kamailio.cfg").Parse(`#!KAMAILIO
# Generated by cutover's lab package.
# Run with -m {{.SharedMemoryMB}} -M {{.PrivMemoryMB}} (shared and private memory, MB).
# One TCP worker is the safe setting for Kamailio 5.6 with OpenSSL 3, which corrupts
# shared memory when several workers run TLS at once (see KamailioOptions.TCPChildren).
debug=2
log_stderror=yes
children={{.Children}}
tcp_children={{.TCPChildren}}
tcp_max_connections={{.MaxConnections}}
tls_max_connections={{.MaxConnections}}
open_files_limit={{.OpenFiles}}
auto_aliases=no
listen={{.Listen}}
{{- if .TCPListen}}
listen={{.TCPListen}}
{{- end}}
alias="{{.Realm}}"
enable_tls=yes
tcp_connection_lifetime=3605
tcp_accept_no_cl=yes
dns=no
rev_dns=no
use_dns_cache=no

mpath="{{.ModulesDir}}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "nathelper.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "tls.so"

modparam("tls", "config", "{{.TLSConfig}}")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", {{.MinExpires}})
modparam("registrar", "max_expires", {{.MaxExpires}})
modparam("registrar", "received_avp", "$avp(RECEIVED)")
modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("auth_db", "db_url", "{{.DBURL}}")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")
modparam("rr", "enable_full_lr", 1)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("OPTIONS") && !has_totag()) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			# Devices' Contacts carry ;alias=ip~port~proto (set_contact_alias
			# below): send in-dialog requests back over their own connection.
			handle_ruri_alias();
			if (is_method("INVITE")) {
				set_contact_alias();
				t_on_reply("MANAGE_REPLY");
			}
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				t_relay();
			}
			exit;
		}
		sl_send_reply("404", "Not Here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	if (is_method("REGISTER")) {
		if (!auth_check("{{.Realm}}", "subscriber", "0")) {
			auth_challenge("{{.Realm}}", "1");
			exit;
		}
		consume_credentials();
		fix_nated_register();
		if (!save("location")) {
			sl_reply_error();
		}
		exit;
	}
	if (is_method("INVITE")) {
		record_route();
		set_contact_alias();
		t_on_reply("MANAGE_REPLY");
		if (!lookup("location")) {
			sl_send_reply("404", "Not Found");
			exit;
		}
		if (!t_relay()) {
			sl_reply_error();
		}
		exit;
	}
	sl_send_reply("405", "Method Not Allowed");
	exit;
}

onreply_route[MANAGE_REPLY] {
	if (status =~ "^(18[0-9]|2[0-9][0-9])$") {
		set_contact_alias();
	}
}
`))

package webex_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// contractConfig tells the suite what the org holds and what it may do.
type contractConfig struct {
	Email     string // a calling-licensed person
	Workspace string // a workspace display name ("" skips L2 checks)
	// Writes allows creating, changing and deleting a device. Off against
	// real Webex: the suite then makes read-only calls only.
	Writes bool
	// Strict expects the emulator's exact status codes where real Webex may
	// answer a neighbouring one (a malformed id: 400 or 404).
	Strict bool
	// Model is a third-party model for the write checks.
	Model string
	Opts  []webex.Option
}

// contractSuite checks every call of the client, success and error paths,
// against the API at baseURL authorised by ts. It runs against the emulator
// and, read-only, against real Webex (TestContractRealWebex).
func contractSuite(t *testing.T, baseURL string, ts oauth2.TokenSource, cc contractConfig) {
	ctx := context.Background()
	opts := append([]webex.Option{webex.WithMaxElapsed(20 * time.Second)}, cc.Opts...)
	c, err := webex.New(baseURL, ts, opts...)
	if err != nil {
		t.Fatal(err)
	}

	var loc webex.Location
	t.Run("L3 locations", func(t *testing.T) {
		locs, err := c.FindLocations(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(locs) == 0 || locs[0].ID == "" || locs[0].Name == "" {
			t.Fatalf("locations %+v", locs)
		}
		loc = locs[0]
		named, err := c.FindLocations(ctx, loc.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !containsFunc(named, func(l webex.Location) bool { return l.ID == loc.ID }) {
			t.Errorf("FindLocations(%q) misses %s", loc.Name, loc.ID)
		}
		lc, err := c.GetLocationCalling(ctx, loc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if lc.DefaultDomain == "" {
			t.Errorf("location %s has no defaultDomain", loc.ID)
		}
		_, err = c.GetLocationCalling(ctx, "no-such-location")
		wantErr(t, err, cc.Strict, webex.ErrNotFound, "GET /telephony/config/locations/no-such-location: 404")
	})

	var person webex.Person
	t.Run("L1 people", func(t *testing.T) {
		people, err := c.FindPeopleByEmail(ctx, cc.Email)
		if err != nil {
			t.Fatal(err)
		}
		if len(people) != 1 || !containsFunc(people[0].Emails, func(e string) bool { return strings.EqualFold(e, cc.Email) }) {
			t.Fatalf("people for %s: %+v", cc.Email, people)
		}
		person = people[0]
		if person.LocationID == "" {
			t.Errorf("callingData=true but no locationId: %+v", person)
		}
		all, err := c.ListPeople(ctx)
		if err != nil || !containsFunc(all, func(p webex.Person) bool { return p.ID == person.ID && p.LocationID != "" }) {
			t.Errorf("ListPeople misses %s or its calling data: %d people, %v", person.ID, len(all), err)
		}
		// The directory shows the person without calling data; by ID the
		// calling data comes back.
		var listed *webex.Person
		err = c.ListDirectoryPages(ctx, func(page []webex.Person) bool {
			for i := range page {
				if page[i].ID == person.ID {
					listed = &page[i]
				}
			}
			return listed == nil
		})
		if err != nil || listed == nil || listed.Extension != "" || listed.LocationID != "" {
			t.Errorf("directory entry for %s: %+v, %v", person.ID, listed, err)
		}
		byID, err := c.GetPeopleByID(ctx, []string{person.ID})
		if err != nil || len(byID) != 1 || byID[0].LocationID != person.LocationID || byID[0].Extension != person.Extension {
			t.Errorf("GetPeopleByID(%s) = %+v, %v", person.ID, byID, err)
		}
		if _, err := c.GetPeopleByID(ctx, make([]string, webex.MaxPeopleIDs+1)); err == nil {
			t.Errorf("GetPeopleByID took %d IDs", webex.MaxPeopleIDs+1)
		}
		none, err := c.FindPeopleByEmail(ctx, "nobody-cutover-contract@example.invalid")
		if err != nil || len(none) != 0 {
			t.Errorf("unknown email: %v %v", none, err)
		}
	})

	t.Run("L2 workspaces", func(t *testing.T) {
		if cc.Workspace == "" {
			t.Skip("no workspace named for this org")
		}
		ws, err := c.FindWorkspaces(ctx, cc.Workspace)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) == 0 || ws[0].DisplayName != cc.Workspace || ws[0].ID == "" {
			t.Fatalf("workspaces %+v", ws)
		}
	})

	var models []webex.SupportedDevice
	t.Run("S1 supported devices", func(t *testing.T) {
		models, err = c.SupportedDevices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(models) == 0 || models[0].Model == "" || models[0].NumberOfLinePorts == 0 {
			t.Fatalf("models %+v", models)
		}
	})

	t.Run("M1 validate MACs", func(t *testing.T) {
		macs := []string{"0004f2ffee01", "00:04:F2:FF:EE:02", "0004F2FFEE01", "not-a-mac"}
		st, err := c.ValidateMACs(ctx, macs)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != len(macs) {
			t.Fatalf("statuses %+v", st)
		}
		if st[2].State != webex.MACDuplicateInList || st[3].State != webex.MACInvalid {
			t.Errorf("states %+v", st)
		}
	})

	t.Run("P1 generate password", func(t *testing.T) {
		pw, err := c.GeneratePassword(ctx, loc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) < 8 {
			t.Errorf("generated password too short (%d characters)", len(pw))
		}
		_, err = c.GeneratePassword(ctx, "no-such-location")
		wantErr(t, err, cc.Strict, webex.ErrNotFound, "POST /telephony/config/locations/no-such-location/actions/generatePassword/invoke: 404")
	})

	t.Run("D2 D3 reads", func(t *testing.T) {
		if _, err := c.ListDevices(ctx, webex.DeviceQuery{PersonID: person.ID}); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetDevice(ctx, "no-such-device")
		wantErr(t, err, cc.Strict, webex.ErrNotFound, "GET /devices/no-such-device: 404")
		_, err = c.GetTelephonyDevice(ctx, "no-such-device")
		wantErr(t, err, cc.Strict, webex.ErrNotFound, "GET /telephony/config/devices/no-such-device: 404")
		_, err = c.GetMembers(ctx, "no-such-device")
		wantErr(t, err, cc.Strict, webex.ErrNotFound, "")
	})

	t.Run("401 bad token", func(t *testing.T) {
		bad, err := webex.New(baseURL, webex.StaticToken("cutover-contract-invalid-token"), opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.FindLocations(ctx, "")
		if !errors.Is(err, webex.ErrUnauthorized) || !webex.IsFatal(err) {
			t.Fatalf("err %v, want fatal ErrUnauthorized", err)
		}
		if !strings.Contains(err.Error(), "renew --token/WEBEX_TOKEN") || strings.Contains(err.Error(), "cutover-contract-invalid-token") {
			t.Errorf("error %q", err)
		}
	})

	if !cc.Writes {
		return
	}

	mac := "0004F2C0FFEE"
	var dev *webex.Device
	t.Run("D1 create", func(t *testing.T) {
		_, err := c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: mac, Model: "No Such Model", PersonID: person.ID, Password: "Xy7!kLm9#qRt"})
		wantErr(t, err, true, webex.ErrInvalid, "POST /devices: 400 Bad Request: Unsupported device model")
		_, err = c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: mac, Model: cc.Model, PersonID: person.ID})
		wantErr(t, err, true, webex.ErrInvalid, "password is required")
		_, err = c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: mac, Model: cc.Model, PersonID: "no-such-person", Password: "Xy7!kLm9#qRt"})
		wantErr(t, err, true, webex.ErrNotFound, "POST /devices: 404")
		dev, err = c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: strings.ToLower(mac), Model: cc.Model, PersonID: person.ID, Password: "Xy7!kLm9#qRt"})
		if err != nil {
			t.Fatal(err)
		}
		if dev.ID == "" || dev.MAC != mac || dev.PersonID != person.ID {
			t.Fatalf("device %+v", dev)
		}
		_, err = c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: mac, Model: cc.Model, PersonID: person.ID, Password: "Xy7!kLm9#qRt"})
		if !errors.Is(err, webex.ErrConflict) || !errors.Is(err, webex.ErrMACInUse) || webex.IsFatal(err) {
			t.Fatalf("duplicate MAC: %v", err)
		}
		st, err := c.ValidateMACs(ctx, []string{mac})
		if err != nil || st[0].State != webex.MACUnavailable {
			t.Errorf("validate after create: %+v %v", st, err)
		}
	})
	if dev == nil {
		t.Fatal("no device to go on with")
	}

	t.Run("D2 D3 device", func(t *testing.T) {
		got, err := c.GetDevice(ctx, dev.ID)
		if err != nil || got.ID != dev.ID || got.MAC != mac {
			t.Fatalf("get %+v %v", got, err)
		}
		list, err := c.ListDevices(ctx, webex.DeviceQuery{MAC: mac})
		if err != nil || len(list) != 1 || list[0].ID != dev.ID {
			t.Fatalf("list by MAC %+v %v", list, err)
		}
		list, err = c.ListDevices(ctx, webex.DeviceQuery{PersonID: person.ID})
		if err != nil || !containsFunc(list, func(d webex.Device) bool { return d.ID == dev.ID }) {
			t.Fatalf("list by person %+v %v", list, err)
		}
	})

	var td *webex.TelephonyDevice
	t.Run("T1 telephony device", func(t *testing.T) {
		for _, id := range []string{dev.ID, dev.CallingDeviceID} {
			td, err = c.GetTelephonyDevice(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if td.Owner.SIPUserName == "" || td.Owner.LinePort == "" || td.Proxy.OutboundProxy == "" || td.MAC != mac {
				t.Errorf("telephony device %+v", td)
			}
		}
	})

	t.Run("T2 SIP password", func(t *testing.T) {
		if err := c.SetSIPPassword(ctx, dev.ID, "Nw8#pQz!2Lmv"); err != nil {
			t.Fatal(err)
		}
		err := c.SetSIPPassword(ctx, dev.ID, "short")
		wantErr(t, err, true, webex.ErrInvalid, "PUT /telephony/config/devices/")
		if err != nil && strings.Contains(err.Error(), "short") && !strings.Contains(err.Error(), "at least 8") {
			t.Errorf("error quotes the password: %v", err)
		}
	})

	t.Run("T3 T4 members", func(t *testing.T) {
		m, err := c.GetMembers(ctx, dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.MaxLineCount == 0 {
			t.Fatalf("members %+v", m)
		}
		put := []webex.MemberPut{{Port: 1, ID: person.ID, PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 2}}
		if err := c.PutMembers(ctx, dev.ID, put); err != nil {
			t.Fatal(err)
		}
		m, err = c.GetMembers(ctx, dev.ID)
		if err != nil || len(m.Members) != 1 || m.Members[0].LineWeight != 2 || m.Members[0].LinePort == "" {
			t.Fatalf("members after put %+v %v", m, err)
		}
		bad := []webex.MemberPut{{Port: m.MaxLineCount + 1, ID: person.ID, PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 1}}
		wantErr(t, c.PutMembers(ctx, dev.ID, bad), true, webex.ErrInvalid, "port")
	})

	t.Run("T5 apply changes", func(t *testing.T) {
		if err := c.ApplyChanges(ctx, dev.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("D3 delete", func(t *testing.T) {
		if err := c.DeleteDevice(ctx, dev.ID); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetDevice(ctx, dev.ID)
		wantErr(t, err, true, webex.ErrNotFound, "")
		wantErr(t, c.DeleteDevice(ctx, dev.ID), true, webex.ErrNotFound, "DELETE /devices/")
	})
}

// wantErr checks err matches sentinel (or, not strict, ErrInvalid as real
// Webex answers some malformed ids) and holds text.
func wantErr(t *testing.T, err error, strict bool, sentinel error, text string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want %v", sentinel)
		return
	}
	if !errors.Is(err, sentinel) && (strict || !errors.Is(err, webex.ErrInvalid)) {
		t.Errorf("err %v, want %v", err, sentinel)
	}
	if strict && text != "" && !strings.Contains(err.Error(), text) {
		t.Errorf("err %q, want it to hold %q", err, text)
	}
	var ae *webex.APIError
	if !errors.As(err, &ae) || ae.TrackingID == "" {
		t.Errorf("err %v: want an *APIError with a tracking id", err)
	}
	if webex.IsFatal(err) {
		t.Errorf("err %v must not be fatal", err)
	}
}

func containsFunc[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}

// newEmulator serves a fresh emulator on loopback and returns it with the
// API base URL.
func newEmulator(t testing.TB, opts ...webexapi.Option) (*webexapi.Server, string) {
	t.Helper()
	emu := webexapi.New(opts...)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv.URL + "/v1"
}

var defaultEmail = strings.ToLower("ada.lovelace@acme.example")

func emulatorConfig() contractConfig {
	return contractConfig{Email: defaultEmail, Workspace: "Lobby", Writes: true, Strict: true, Model: "Yealink T57W Partner Managed",
		Opts: []webex.Option{webex.WithBackoff(5*time.Millisecond, 50*time.Millisecond), webex.WithRate(500, 50)}}
}

func TestContractEmulatorStaticToken(t *testing.T) {
	t.Parallel()
	emu, base := newEmulator(t)
	contractSuite(t, base, webex.StaticToken(emu.AdminToken()), emulatorConfig())
}

func TestContractEmulatorRefreshToken(t *testing.T) {
	t.Parallel()
	for name, policy := range map[string]webexapi.RefreshPolicy{
		"keep": webexapi.RefreshKeep, "rotate": webexapi.RefreshRotate, "omit": webexapi.RefreshOmit,
	} {
		t.Run(name, func(t *testing.T) {
			emu, base := newEmulator(t, webexapi.WithRefreshPolicy(policy))
			rt := emu.RegisterIntegration("cid-contract", "csecret-contract", webexapi.AdminScopes()...)
			var mu sync.Mutex
			var rotated []string
			ts := webex.RefreshTokenSource(context.Background(), base, "cid-contract", "csecret-contract", rt,
				webex.WithRotated(func(r string) { mu.Lock(); rotated = append(rotated, r); mu.Unlock() }))
			contractSuite(t, base, ts, emulatorConfig())
			mu.Lock()
			defer mu.Unlock()
			if (policy == webexapi.RefreshRotate) != (len(rotated) > 0) {
				t.Errorf("policy %s: rotated %d times", name, len(rotated))
			}
		})
	}
}

func TestContractEmulatorServiceApp(t *testing.T) {
	t.Parallel()
	emu, base := newEmulator(t)
	emu.RegisterServiceApp("app-contract", "sa-cid", "sa-secret", emu.OrgID())
	ts := webex.ServiceAppTokenSource(context.Background(), base, webex.StaticToken(emu.AdminToken()),
		"app-contract", "sa-cid", "sa-secret", emu.OrgID())
	cc := emulatorConfig()
	cc.Opts = append(cc.Opts, webex.WithOrgID(emu.OrgID()))
	contractSuite(t, base, ts, cc)
}

func TestContractRealWebex(t *testing.T) {
	tok := os.Getenv("WEBEX_TEST_TOKEN")
	if tok == "" {
		t.Skip("WEBEX_TEST_TOKEN is not set: the read-only contract run against real Webex is skipped (set WEBEX_TEST_TOKEN and WEBEX_TEST_EMAIL; optional WEBEX_TEST_URL, WEBEX_TEST_WORKSPACE, WEBEX_TEST_ORG_ID)")
	}
	email := os.Getenv("WEBEX_TEST_EMAIL")
	if email == "" {
		t.Fatal("WEBEX_TEST_TOKEN is set but WEBEX_TEST_EMAIL (a calling-licensed user of the org) is not")
	}
	base := os.Getenv("WEBEX_TEST_URL")
	if base == "" {
		base = "https://webexapis.com/v1"
	}
	cc := contractConfig{Email: email, Workspace: os.Getenv("WEBEX_TEST_WORKSPACE"),
		Opts: []webex.Option{webex.WithRate(2, 2)}}
	if org := os.Getenv("WEBEX_TEST_ORG_ID"); org != "" {
		cc.Opts = append(cc.Opts, webex.WithOrgID(org))
	}
	contractSuite(t, base, webex.StaticToken(tok), cc)
}

func TestEmulatorAuthErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emu, base := newEmulator(t, webexapi.WithRefreshPolicy(webexapi.RefreshKeep))
	rt := emu.RegisterIntegration("cid-auth", "csecret-auth-XYZ", webexapi.AdminScopes()...)
	emu.RegisterServiceApp("app-auth", "sa-cid", "sa-secret-XYZ", emu.OrgID())
	opts := []webex.Option{webex.WithBackoff(5*time.Millisecond, 50*time.Millisecond), webex.WithMaxElapsed(5 * time.Second)}
	secrets := []string{"csecret-auth-XYZ", "sa-secret-XYZ", rt, emu.AdminToken()}

	for _, tc := range []struct {
		name     string
		ts       oauth2.TokenSource
		sentinel error
		text     string
	}{
		{"revoked refresh token", webex.RefreshTokenSource(ctx, base, "cid-auth", "csecret-auth-XYZ", "revoked-refresh-token"),
			webex.ErrUnauthorized, "renew --refresh-token/WEBEX_REFRESH_TOKEN"},
		{"wrong client secret", webex.RefreshTokenSource(ctx, base, "cid-auth", "wrong-secret", rt),
			webex.ErrUnauthorized, "check --client-id/WEBEX_CLIENT_ID and --client-secret"},
		{"missing scope", webex.StaticToken(emu.IssueToken(webexapi.ScopePeopleRead)),
			webex.ErrForbidden, "403 Forbidden"},
		{"service app not authorised", webex.ServiceAppTokenSource(ctx, base, webex.StaticToken(emu.AdminToken()), "app-auth", "sa-cid", "sa-secret-XYZ", "other-org"),
			webex.ErrForbidden, "authorise"},
		{"service app parent refused", webex.ServiceAppTokenSource(ctx, base, webex.StaticToken("bad-parent"), "app-auth", "sa-cid", "sa-secret-XYZ", emu.OrgID()),
			webex.ErrUnauthorized, "renew --token/WEBEX_TOKEN"},
		{"service app parent lacks scope", webex.ServiceAppTokenSource(ctx, base, webex.StaticToken(emu.IssueToken(webexapi.AdminScopes()...)), "app-auth", "sa-cid", "sa-secret-XYZ", emu.OrgID()),
			webex.ErrForbidden, "spark:applications_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &strings.Builder{}
			var mu sync.Mutex
			lw := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
			c, err := webex.New(base, tc.ts, append(opts, webex.WithLogger(slog.New(slog.NewTextHandler(lw, &slog.HandlerOptions{Level: slog.LevelDebug}))))...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: "0004F2AAAA01", Model: "Yealink T57W Partner Managed", PersonID: "x", Password: "Xy7!kLm9#qRt"})
			if !errors.Is(err, tc.sentinel) || !webex.IsFatal(err) {
				t.Fatalf("err %v, want fatal %v", err, tc.sentinel)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err %q, want it to say %q", err, tc.text)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range append(secrets, "Xy7!kLm9#qRt") {
				if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
					t.Errorf("a secret leaked into the error or the log: %q\n%s", err, logs)
				}
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestEmulatorExpiredTokenRefreshed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emu, base := newEmulator(t)
	rt := emu.RegisterIntegration("cid-ttl", "csecret-ttl", webexapi.AdminScopes()...)
	c, err := webex.New(base, webex.RefreshTokenSource(ctx, base, "cid-ttl", "csecret-ttl", rt))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SupportedDevices(ctx); err != nil {
		t.Fatal(err)
	}
	// Tokens issued before the fault expire with it too: the next call gets a
	// 401, refreshes once and replays.
	emu.SetFaults(webexapi.Faults{TokenTTL: time.Second})
	time.Sleep(1100 * time.Millisecond)
	if _, err := c.SupportedDevices(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Refreshes != 1 {
		t.Errorf("stats %+v, want one refresh", st)
	}
}

func TestEmulatorRateLimitAndServerErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emu, base := newEmulator(t)
	tok := webex.StaticToken(emu.AdminToken())

	t.Run("429 honoured", func(t *testing.T) {
		emu.SetFaults(webexapi.Faults{Rate: 5, Burst: 1})
		defer emu.SetFaults(webexapi.Faults{})
		c, err := webex.New(base, tok, webex.WithRate(rate.Inf, 1))
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if _, err := c.SupportedDevices(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if st := c.Stats(); st.RateLimited == 0 {
			t.Errorf("stats %+v: expected 429s at 5 req/s burst 1", st)
		}
	})
	t.Run("429 beyond budget", func(t *testing.T) {
		emu.SetFaults(webexapi.Faults{Rate: 0.01, Burst: 1})
		defer emu.SetFaults(webexapi.Faults{})
		c, err := webex.New(base, tok, webex.WithRate(rate.Inf, 1), webex.WithMaxElapsed(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		var last error
		for range 3 {
			_, last = c.SupportedDevices(ctx)
		}
		if !errors.Is(last, webex.ErrRateLimited) || webex.IsFatal(last) {
			t.Fatalf("err %v, want ErrRateLimited", last)
		}
	})
	t.Run("5xx retried then given up", func(t *testing.T) {
		emu.SetFaults(webexapi.Faults{ErrorRatio: 1})
		defer emu.SetFaults(webexapi.Faults{})
		c, err := webex.New(base, tok, webex.WithBackoff(time.Millisecond, 5*time.Millisecond), webex.WithMaxElapsed(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetDevice(ctx, "x")
		if !errors.Is(err, webex.ErrUnavailable) {
			t.Fatalf("err %v, want ErrUnavailable", err)
		}
		if st := c.Stats(); st.Retries == 0 {
			t.Errorf("stats %+v: no retries", st)
		}
	})
}

func TestEmulatorLinkPaging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emu, base := newEmulator(t, webexapi.WithSeed(faultSeed(48)))
	c, err := webex.New(base, webex.StaticToken(emu.AdminToken()), webex.WithPageSize(7), webex.WithOrgID(emu.OrgID()))
	if err != nil {
		t.Fatal(err)
	}
	people, err := c.ListPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range people {
		seen[p.ID] = true
	}
	if len(people) != 60 || len(seen) != 60 {
		t.Errorf("%d people, %d distinct, want 60", len(people), len(seen))
	}
	// 9 pages of 7 for 60 people; every page carried orgId (the emulator
	// refuses a call for another org, and next links keep the query).
	if st := c.Stats(); st.Requests != 9 {
		t.Errorf("%d requests, want 9 pages", st.Requests)
	}
	// The directory (no calling data) pages the same way; a caller that
	// stops after the second page costs two more requests and sees the
	// same first people in the same order.
	var got []webex.Person
	err = c.ListDirectoryPages(ctx, func(page []webex.Person) bool {
		got = append(got, page...)
		return len(got) < 14
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Requests != 11 || len(got) != 14 || got[13].ID != people[13].ID || got[13].LocationID != "" {
		t.Errorf("stopping after 2 pages: %d requests in all, %d people, %+v", st.Requests, len(got), got[13])
	}
}

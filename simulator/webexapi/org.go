package webexapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/webex"
)

// org is the emulated customer org; every field is guarded by Server.mu.
type org struct {
	locations  map[string]*location // by ID
	locByName  map[string]*location // by lower-case name
	locOrder   []*location
	owners     map[string]*owner // people and workspaces by ID
	byEmail    map[string]*owner
	people     []*owner
	wsByName   map[string]*owner
	workspaces []*owner
	models     map[string]*webex.SupportedDevice
	modelOrder []*webex.SupportedDevice

	devices   map[string]*device // by ID and by callingDeviceId
	byMAC     map[string]*device
	bySIPUser map[string]*device
	byOwner   map[*owner][]*device
	order     []*device        // creation order, for listing
	creating  map[*owner]bool  // owners with a create in flight
	reserved  map[string]bool  // MACs of creates in flight
	busy      map[*device]bool // devices with a write in flight
}

type location struct {
	id, name, domain string
}

type owner struct {
	id          string
	kind        string // webex.MemberPeople or webex.MemberPlace
	email       string
	first, last string
	name        string // display name
	ext         string
	phone       string
	loc         *location
	callingType string
	// supportedDevices is a workspace's "phones" or "collaborationDevices".
	supportedDevices string
	userPart         string // line port user part
}

func (o *owner) linePort() string { return o.userPart + "@" + o.loc.domain }

type device struct {
	id, callingID string
	mac           string
	model         *webex.SupportedDevice
	owner         *owner
	sipUser       string
	password      string
	members       []member
	created       time.Time
	applied       int
	conn          connection
}

type member struct {
	t38          *bool // gateway (ATA) ports only
	owner        *owner
	port, weight int
	primary      bool
	lineType     string
	hotline      bool
	hotlineDest  string
	allowDecline bool
	label        string
}

// maxLineCount is the device's usable ports: the model's numberOfLinePorts,
// capped at 20 lines for a phone and 100 ports for a gateway (ATA).
func (d *device) maxLineCount() int { return maxLines(d.model) }

func maxLines(m *webex.SupportedDevice) int {
	limit := 20
	if m.Type == "ATA" {
		limit = 100
	}
	return min(limit, m.NumberOfLinePorts)
}

func (s *Server) load(seed *Seed) error {
	o := &org{
		locations: map[string]*location{}, locByName: map[string]*location{},
		owners: map[string]*owner{}, byEmail: map[string]*owner{}, wsByName: map[string]*owner{},
		models: map[string]*webex.SupportedDevice{}, devices: map[string]*device{},
		byMAC: map[string]*device{}, bySIPUser: map[string]*device{}, byOwner: map[*owner][]*device{},
		creating: map[*owner]bool{}, reserved: map[string]bool{}, busy: map[*device]bool{},
	}
	s.org = o
	for _, l := range seed.Locations {
		s.addLocation(l.Name, l.DefaultDomain)
	}
	loc := func(name string) *location {
		if name = strings.TrimSpace(name); name != "" {
			if l := o.locByName[strings.ToLower(name)]; l != nil {
				return l
			}
			return s.addLocation(name, "")
		}
		if len(o.locOrder) == 0 {
			return s.addLocation("Main", "")
		}
		return o.locOrder[0]
	}
	for _, p := range seed.People {
		email := strings.TrimSpace(p.Email)
		first, last := p.FirstName, p.LastName
		if first == "" && last == "" {
			first, last = namesFromEmail(email)
		}
		ow := &owner{
			id:   EncodeID(typePeople, nameUUID(typePeople, email)),
			kind: webex.MemberPeople, email: email, first: first, last: last,
			name: strings.TrimSpace(first + " " + last), ext: p.Extension, phone: p.PhoneNumber, loc: loc(p.Location),
		}
		ow.userPart = userPart(typePeople, email)
		o.owners[ow.id] = ow
		o.byEmail[strings.ToLower(email)] = ow
		o.people = append(o.people, ow)
	}
	for _, w := range seed.Workspaces {
		name := strings.TrimSpace(w.Name)
		ct := w.CallingType
		if ct == "" {
			ct = webex.CallingWebex
		}
		sd := w.SupportedDevices
		if sd == "" {
			sd = webex.WorkspaceTakesPhones
		}
		ow := &owner{
			id:   EncodeID(typePlaces, nameUUID(typePlaces, name)),
			kind: webex.MemberPlace, name: name, first: name, ext: w.Extension, loc: loc(w.Location), callingType: ct,
			supportedDevices: sd,
		}
		ow.userPart = userPart(typePlaces, name)
		o.owners[ow.id] = ow
		o.wsByName[strings.ToLower(name)] = ow
		o.workspaces = append(o.workspaces, ow)
	}
	models := seed.Models
	if len(models) == 0 {
		models = DefaultModels()
	}
	for i := range models {
		m := models[i]
		if m.DisplayName == "" {
			m.DisplayName = m.Model
		}
		o.models[strings.ToLower(m.Model)] = &m
		o.modelOrder = append(o.modelOrder, &m)
	}
	for i, sd := range seed.Devices {
		var ow *owner
		if sd.OwnerType == string(inventory.Workspace) {
			ow = o.wsByName[strings.ToLower(strings.TrimSpace(sd.Owner))]
		} else {
			ow = o.byEmail[strings.ToLower(strings.TrimSpace(sd.Owner))]
		}
		if ow == nil {
			return fmt.Errorf("devices[%d]: owner %q is not in the seed", i, sd.Owner)
		}
		m := o.models[strings.ToLower(sd.Model)]
		if m == nil {
			return fmt.Errorf("devices[%d]: model %q is not in the catalog", i, sd.Model)
		}
		mac, _ := normalizeMAC(sd.MAC)
		if o.byMAC[mac] != nil {
			return fmt.Errorf("devices[%d]: duplicate mac %s", i, mac)
		}
		s.storeDevice(mac, m, ow, sd.Password, "")
	}
	return nil
}

// userPart is the line port's user part. Webex generates it (the spec's
// example: evypzco5ds@55552222.int10.bcld.webex.com): ten lower-case
// letters and digits, starting with a letter. It is derived from the owner's
// natural key (kind and e-mail or name) so a seed always gives the same.
func userPart(kind, key string) string {
	u := nameUUID(kind+"/lineport", strings.ToLower(key))
	h := strings.ReplaceAll(u, "-", "")
	b := make([]byte, 10)
	for i := range b {
		v := hexVal(h[2*i])<<4 | hexVal(h[2*i+1])
		if i == 0 {
			b[i] = sipUserAlphabet[int(v)%26]
		} else {
			b[i] = sipUserAlphabet[int(v)%len(sipUserAlphabet)]
		}
	}
	return string(b)
}

func hexVal(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

func (s *Server) addLocation(name, domain string) *location {
	name = strings.TrimSpace(name)
	if domain == "" {
		domain = DomainFor(name)
	}
	l := &location{id: EncodeID(typeLocation, nameUUID(typeLocation, name)), name: name, domain: domain}
	s.org.locations[l.id] = l
	s.org.locByName[strings.ToLower(name)] = l
	s.org.locOrder = append(s.org.locOrder, l)
	return l
}

// storeDevice creates a device with its owner on port 1; callers hold s.mu.
// An empty sipUser draws a new one.
func (s *Server) storeDevice(mac string, m *webex.SupportedDevice, ow *owner, password, sipUser string) *device {
	o := s.org
	if sipUser == "" || o.bySIPUser[sipUser] != nil {
		sipUser = s.newSIPUser()
	}
	uuid := s.seededUUID()
	d := &device{
		id:        EncodeID(typeDevice, uuid),
		callingID: EncodeID(typeCallingDevice, uuid),
		mac:       mac, model: m, owner: ow, password: password,
		sipUser: sipUser,
		created: s.now().UTC().Truncate(time.Millisecond),
		members: []member{{owner: ow, port: 1, weight: 1, primary: true, lineType: webex.LinePrimary, allowDecline: true}},
	}
	o.devices[d.id] = d
	o.devices[d.callingID] = d
	o.byMAC[mac] = d
	o.bySIPUser[d.sipUser] = d
	o.byOwner[ow] = append(o.byOwner[ow], d)
	o.order = append(o.order, d)
	return d
}

// removeDevice deletes d from every index; callers hold s.mu.
func (s *Server) removeDevice(d *device) {
	o := s.org
	delete(o.devices, d.id)
	delete(o.devices, d.callingID)
	delete(o.byMAC, d.mac)
	delete(o.bySIPUser, d.sipUser)
	list := o.byOwner[d.owner]
	for i, x := range list {
		if x == d {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(o.byOwner, d.owner)
	} else {
		o.byOwner[d.owner] = list
	}
	for i, x := range o.order {
		if x == d {
			o.order = append(o.order[:i], o.order[i+1:]...)
			break
		}
	}
}

const sipUserAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newSIPUser draws a SIP user name: digits, as the spec's example
// ("392829") shows them; callers hold s.mu.
func (s *Server) newSIPUser() string {
	for {
		u := strconv.Itoa(10_000_000 + s.rnd.IntN(90_000_000))
		if s.org.bySIPUser[u] == nil {
			return u
		}
	}
}

// normalizeMAC accepts 12 hex digits with optional ':', '-' or '.'
// separators and returns them upper-case.
func normalizeMAC(in string) (string, bool) {
	var b [12]byte
	n := 0
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == ':' || c == '-' || c == '.':
			continue
		case c >= '0' && c <= '9', c >= 'A' && c <= 'F':
		case c >= 'a' && c <= 'f':
			c -= 'a' - 'A'
		default:
			return "", false
		}
		if n == 12 {
			return "", false
		}
		b[n] = c
		n++
	}
	if n != 12 {
		return "", false
	}
	return string(b[:]), true
}

package inventory

// DeviceRules are the rules a device's vendor firmware imposes on what can
// be rendered for it: a model without TLS 1.2, more lines than the model
// holds, a label with a line break, a password the vendor's field cannot
// hold. render's profiles know them (render.Rules); they are injected
// through Options.Rules so that inventory does not depend on render, which
// migrate drives.
type DeviceRules interface {
	// CheckDevice calls report once per broken rule: port is the line's
	// port (0 for the device), rule a short name ("lines", "label",
	// "password", "tls-1.2"), detail what is wrong. It never reports a
	// password itself.
	CheckDevice(vendor, model string, ports []int, labels map[int]string, password string,
		report func(port int, rule, detail string))
}

// checkRender applies Options.Rules to a device whose model the catalog
// knows, locating each problem at the line's cell, the password cell or the
// model cell.
func (p *parser) checkRender(d *draft) {
	if p.opts.Rules == nil || d.model == nil {
		return
	}
	dev := &d.dev
	ports := make([]int, 0, len(dev.Lines))
	labels := map[int]string{}
	linePos := map[int]Pos{}
	for _, l := range dev.Lines {
		ports = append(ports, l.Port)
		linePos[l.Port] = l.Pos
		if l.Label != "" {
			labels[l.Port] = l.Label
		}
	}
	cellPos := func(key string) Pos {
		if c, ok := p.h.col[key]; ok {
			return p.pos(p.sheet, &p.h, dev.Pos.Row, c)
		}
		return dev.Pos
	}
	p.opts.Rules.CheckDevice(d.model.Vendor, dev.Model, ports, labels, dev.SIPPassword, func(port int, rule, detail string) {
		switch {
		case rule == "lines" && len(ports) > 0 && ports[len(ports)-1] > d.model.MaxLines:
			return // checkLineLimits reported it at the same cell
		case rule == "password":
			pos := cellPos(keySIPPassword)
			p.add(d, pos, "a SIP password the device's config can carry", "%s: %s", pos.Header, detail)
		case port > 0 && linePos[port].Row > 0:
			pos := linePos[port]
			p.add(d, pos, "what the device's firmware can take", "%s: port %d: %s", pos.Header, port, detail)
		default:
			pos := cellPos(keyModel)
			p.add(d, pos, "a model whose firmware meets Webex's requirements", "%s: %s", pos.Header, detail)
		}
	})
}

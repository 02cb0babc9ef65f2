package certify

// reusedPasswords maps each password used by more than one device to those
// devices' MACs (the password itself never leaves this function's callers).
func reusedPasswords(targets []Target) map[string][]string {
	by := map[string][]string{}
	for _, t := range targets {
		if t.Config.Password != "" {
			by[t.Config.Password] = append(by[t.Config.Password], t.MAC)
		}
	}
	out := map[string][]string{}
	for pw, macs := range by {
		if len(macs) > 1 {
			out[pw] = macs
		}
	}
	return out
}

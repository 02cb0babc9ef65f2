package render

import (
	"testing"
)

// fuzzSeeds adds every golden config as a seed, so the fuzzer starts from
// real files of each format.
func fuzzSeeds(f *testing.F, vendor string) {
	r, err := New()
	if err != nil {
		f.Fatal(err)
	}
	for v, d := range samples() {
		files, err := r.Render(d)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			if v == vendor || vendor == "" {
				f.Add(file.Name, file.Data)
			}
		}
	}
	f.Add("x.cfg", []byte("#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.outbound_proxy_enable = 1\naccount.1.outbound_proxy.1.port = -1\n"))
	f.Add("X.ini", []byte("[ ProxyIp ]\nFORMAT ProxyIp_Index = ProxyIp_IpAddress;\nProxyIp 0 = \"a:b\";\n[ \\ProxyIp ]\n"))
}

// Each reader must return a registration or an error, never panic, for any
// input: configs come from provisioning servers people edit by hand.
func fuzzReader(f *testing.F, vendor string) {
	fuzzSeeds(f, vendor)
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		reg, err := Read(vendor, name, data)
		if err == nil && len(reg.Lines) == 0 {
			t.Fatal("a registration without lines")
		}
	})
}

func FuzzReadYealink(f *testing.F)     { fuzzReader(f, VendorYealink) }
func FuzzReadPoly(f *testing.F)        { fuzzReader(f, VendorPoly) }
func FuzzReadGrandstream(f *testing.F) { fuzzReader(f, VendorGrandstream) }
func FuzzReadAudioCodes(f *testing.F)  { fuzzReader(f, VendorAudioCodes) }
func FuzzReadGeneric(f *testing.F)     { fuzzReader(f, VendorGeneric) }
func FuzzReadDetect(f *testing.F)      { fuzzReader(f, "") }

package webexapi

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Resource types of the ciscospark URNs that Webex IDs encode.
const (
	typePeople        = "PEOPLE"
	typeLocation      = "LOCATION"
	typePlaces        = "PLACES"
	typeDevice        = "DEVICE"
	typeCallingDevice = "CALLING_DEVICE"
	typeOrganization  = "ORGANIZATION"
)

// EncodeID returns the Webex ID of a resource: base64 of
// "ciscospark://us/<TYPE>/<uuid>". Webex's IDs are standard base64 without
// padding; clients treat them as opaque.
func EncodeID(typ, uuid string) string {
	return base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/" + typ + "/" + uuid))
}

// DecodeID returns the type and UUID an ID encodes, or ok false when id is
// not a ciscospark URN.
func DecodeID(id string) (typ, uuid string, ok bool) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(id, "="))
	if err != nil {
		return "", "", false
	}
	rest, found := strings.CutPrefix(string(raw), "ciscospark://")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// formatUUID renders 16 bytes as a version-4 style UUID.
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// nameUUID derives a stable UUID from a resource type and a natural key, so
// that a seeded person or location keeps its ID whatever the seed's order.
func nameUUID(typ, key string) string {
	sum := sha1.Sum([]byte(typ + "\x00" + strings.ToLower(key)))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatUUID(b)
}

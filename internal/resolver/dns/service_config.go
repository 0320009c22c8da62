package dns

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"google.golang.org/grpc/serviceconfig"
)

const (
	// txtNamePrefix is prepended to the target host to form the name whose
	// TXT records carry the service config.
	txtNamePrefix = "_grpc_config."
	// txtAttrPrefix marks the record content as a service config, using the
	// RFC 1464 attribute=value convention.
	txtAttrPrefix = "grpc_config="
	// clientLanguage is how choices select Go clients.
	clientLanguage = "GO"
)

// Overridable by tests, to make canary selection deterministic.
var (
	randIntN = rand.IntN
	hostname = os.Hostname
)

// serviceConfigChoice is one entry of the JSON array published in DNS. A
// choice applies when every selector present matches this client; absent
// selectors match everyone.
type serviceConfigChoice struct {
	ClientLanguage *[]string        `json:"clientLanguage,omitempty"`
	Percentage     *int             `json:"percentage,omitempty"`
	ClientHostname *[]string        `json:"clientHostname,omitempty"`
	ServiceConfig  *json.RawMessage `json:"serviceConfig,omitempty"`
}

func (c *serviceConfigChoice) applies(host string) bool {
	if c.ServiceConfig == nil {
		return false
	}
	if c.ClientLanguage != nil && !slices.Contains(*c.ClientLanguage, clientLanguage) {
		return false
	}
	if c.ClientHostname != nil && !slices.Contains(*c.ClientHostname, host) {
		return false
	}
	// Percentage p selects p% of clients: draw 1..100 and keep the choice
	// if the draw is at most p.
	if c.Percentage != nil && randIntN(100)+1 > *c.Percentage {
		return false
	}
	return true
}

// selectServiceConfig picks the service config JSON meant for this client
// from the published list of choices, or "" if none applies or the list
// cannot be decoded.
func selectServiceConfig(choicesJSON string) string {
	if choicesJSON == "" {
		return ""
	}
	var choices []serviceConfigChoice
	if err := json.Unmarshal([]byte(choicesJSON), &choices); err != nil {
		logger.Warningf("dns: error parsing service config json: %v", err)
		return ""
	}
	host, err := hostname()
	if err != nil {
		logger.Warningf("dns: error getting client hostname: %v", err)
		return ""
	}
	for i := range choices {
		if choices[i].applies(host) {
			return string(*choices[i].ServiceConfig)
		}
	}
	return ""
}

// lookupServiceConfig fetches and parses the service config published in
// TXT records. It returns nil when none is published or when lookup errors
// are to be ignored.
func (r *dnsResolver) lookupServiceConfig(ctx context.Context) *serviceconfig.ParseResult {
	records, err := r.netResolver.LookupTXT(ctx, txtNamePrefix+r.host)
	if err != nil {
		if ignoreTXTErrors {
			return nil
		}
		if err := filterDNSError(err, "TXT"); err != nil {
			return &serviceconfig.ParseResult{Err: err}
		}
		return nil
	}
	// Long configs are split over several character strings, which are
	// simply concatenated.
	content := strings.Join(records, "")
	if !strings.HasPrefix(content, txtAttrPrefix) {
		// A TXT record for some other purpose just means "no config".
		logger.Warningf("dns: TXT record %v missing %v attribute", content, txtAttrPrefix)
		return nil
	}
	return r.cc.ParseServiceConfig(selectServiceConfig(strings.TrimPrefix(content, txtAttrPrefix)))
}

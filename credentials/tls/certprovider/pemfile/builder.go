package pemfile

import (
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/grpc/credentials/tls/certprovider"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
)

// PluginName is the name this provider is registered under with
// certprovider, as used by xDS bootstrap files ("file_watcher").
const PluginName = "file_watcher"

// configRefresh is the refresh interval for providers configured through
// ParseConfig without one; it differs from Options' default on purpose, to
// match what xDS bootstrap configurations expect.
const configRefresh = 10 * time.Minute

func init() {
	certprovider.Register(builder{})
}

// builder parses the JSON form of Options found in xDS bootstrap files.
type builder struct{}

func (builder) Name() string { return PluginName }

func (builder) ParseConfig(c any) (*certprovider.BuildableConfig, error) {
	raw, ok := c.(json.RawMessage)
	if !ok {
		return nil, fmt.Errorf("pemfile: unsupported config type: %T", c)
	}
	opts, err := optionsFromJSON(raw)
	if err != nil {
		return nil, err
	}
	return certprovider.NewBuildableConfig(PluginName, opts.canonical(), func(certprovider.BuildOptions) certprovider.Provider {
		return start(opts)
	}), nil
}

func optionsFromJSON(raw json.RawMessage) (Options, error) {
	var cfg struct {
		CertificateFile   string          `json:"certificate_file"`
		PrivateKeyFile    string          `json:"private_key_file"`
		CACertificateFile string          `json:"ca_certificate_file"`
		RefreshInterval   json.RawMessage `json:"refresh_interval"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return Options{}, fmt.Errorf("pemfile: bad config %s: %v", raw, err)
	}
	o := Options{
		CertFile:        cfg.CertificateFile,
		KeyFile:         cfg.PrivateKeyFile,
		RootFile:        cfg.CACertificateFile,
		RefreshDuration: configRefresh,
	}
	// The interval is a google.protobuf.Duration in its JSON form ("600s").
	if cfg.RefreshInterval != nil {
		d := &durationpb.Duration{}
		if err := protojson.Unmarshal(cfg.RefreshInterval, d); err != nil {
			return Options{}, fmt.Errorf("pemfile: bad refresh_interval %s: %v", cfg.RefreshInterval, err)
		}
		o.RefreshDuration = d.AsDuration()
	}
	if err := o.validate(); err != nil {
		return Options{}, err
	}
	return o, nil
}

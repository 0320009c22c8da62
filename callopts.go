package grpc

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/internal"
	"google.golang.org/grpc/internal/grpcutil"
	"google.golang.org/grpc/status"
	"math"
	"slices"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

const (
	defaultClientMaxReceiveMessageSize = 4 * 1024 * 1024
	defaultClientMaxSendMessageSize    = math.MaxInt32
)

// callInfo is the configuration CallOptions build up for one RPC.
type callInfo struct {
	failFast       bool
	maxRecvSize    int
	maxSendSize    int
	maxRecvSet     bool // set by a call option: the service config may only lower it
	maxSendSet     bool
	maxRetryBuffer int
	creds          credentials.PerRPCCredentials
	contentSubtype string
	codec          encoding.CodecV2
	compressorName string
	authority      string
	// acceptCompressors limits grpc-accept-encoding (nil: no limit).
	acceptCompressors []string
	onFinish          []func(error)
}

func defaultCallInfo() *callInfo {
	return &callInfo{
		failFast:    true,
		maxRecvSize: defaultClientMaxReceiveMessageSize,
		maxSendSize: defaultClientMaxSendMessageSize,
		// gRFC A6 suggests bounding what one RPC buffers for replay.
		maxRetryBuffer: 256 * 1024,
	}
}

// callResult is what the "after" half of a CallOption reads once the RPC is
// over. Fields are nil/zero when the RPC never reached a transport.
type callResult struct {
	header  metadata.MD
	trailer metadata.MD
	peer    *peer.Peer
}

// CallOption adjusts a single RPC: some options act before the RPC is sent,
// others copy out results (headers, trailers, peer) once it has finished.
type CallOption interface {
	// configure runs while the RPC is being set up, ahead of any network
	// traffic; a non-nil result aborts the RPC with that error.
	configure(*callInfo) error
	// collect runs when the RPC has ended, with what it produced.
	collect(*callInfo, *callResult)
}

// EmptyCallOption is a CallOption with no effect. Embed it in your own type
// to pass extra data through to interceptors.
type EmptyCallOption struct{}

func (EmptyCallOption) configure(*callInfo) error      { return nil }
func (EmptyCallOption) collect(*callInfo, *callResult) {}

// StaticMethodCallOption is the CallOption built by StaticMethod.
type StaticMethodCallOption struct {
	EmptyCallOption
}

// StaticMethod marks the RPC's method name as fixed at compile time, telling
// stats plugins it is safe to use as a metric label. Generated stubs pass it.
func StaticMethod() CallOption {
	return StaticMethodCallOption{}
}

// HeaderCallOption is the CallOption built by Header; HeaderAddr is filled
// in once the RPC is over.
//
// Experimental: grpc-go may change or remove this API.
type HeaderCallOption struct {
	HeaderAddr *metadata.MD
}

func (o HeaderCallOption) configure(*callInfo) error { return nil }
func (o HeaderCallOption) collect(_ *callInfo, r *callResult) {
	if r.header != nil {
		*o.HeaderAddr = r.header
	}
}

// Header stores the response header metadata of a unary RPC in *md when the
// RPC finishes.
func Header(md *metadata.MD) CallOption {
	return HeaderCallOption{HeaderAddr: md}
}

// TrailerCallOption is the CallOption built by Trailer; TrailerAddr is
// filled in once the RPC is over.
//
// Experimental: grpc-go may change or remove this API.
type TrailerCallOption struct {
	TrailerAddr *metadata.MD
}

func (o TrailerCallOption) configure(*callInfo) error { return nil }
func (o TrailerCallOption) collect(_ *callInfo, r *callResult) {
	if r.trailer != nil {
		*o.TrailerAddr = r.trailer
	}
}

// Trailer stores the response trailer metadata of a unary RPC in *md when the
// RPC finishes.
func Trailer(md *metadata.MD) CallOption {
	return TrailerCallOption{TrailerAddr: md}
}

// PeerCallOption is the CallOption built by Peer; PeerAddr is filled in once
// the RPC is over.
//
// Experimental: grpc-go may change or remove this API.
type PeerCallOption struct {
	PeerAddr *peer.Peer
}

func (o PeerCallOption) configure(*callInfo) error { return nil }
func (o PeerCallOption) collect(_ *callInfo, r *callResult) {
	if r.peer != nil {
		*o.PeerAddr = *r.peer
	}
}

// Peer stores the server's address and auth details for a unary RPC in *p
// when the RPC finishes.
func Peer(p *peer.Peer) CallOption {
	return PeerCallOption{PeerAddr: p}
}

// FailFastCallOption is the CallOption built by WaitForReady and FailFast.
//
// Experimental: grpc-go may change or remove this API.
type FailFastCallOption struct {
	FailFast bool
}

func (o FailFastCallOption) configure(c *callInfo) error {
	c.failFast = o.FailFast
	return nil
}
func (o FailFastCallOption) collect(*callInfo, *callResult) {}

// WaitForReady chooses what an RPC does while the channel is in
// TRANSIENT_FAILURE (every address failed to connect). With true it waits
// for a usable connection or its deadline; with false, the default, it
// fails at once with codes.Unavailable.
func WaitForReady(waitForReady bool) CallOption {
	return FailFastCallOption{FailFast: !waitForReady}
}

// FailFast(b) equals WaitForReady(!b).
//
// Deprecated: use WaitForReady.
func FailFast(failFast bool) CallOption {
	return FailFastCallOption{FailFast: failFast}
}

// MaxRecvMsgSizeCallOption is the CallOption built by MaxCallRecvMsgSize.
//
// Experimental: grpc-go may change or remove this API.
type MaxRecvMsgSizeCallOption struct {
	MaxRecvMsgSize int
}

func (o MaxRecvMsgSizeCallOption) configure(c *callInfo) error {
	c.maxRecvSize, c.maxRecvSet = o.MaxRecvMsgSize, true
	return nil
}
func (o MaxRecvMsgSizeCallOption) collect(*callInfo, *callResult) {}

// MaxCallRecvMsgSize limits the size in bytes of each response message; the
// default is 4 MiB. A larger message fails the RPC with
// codes.ResourceExhausted.
func MaxCallRecvMsgSize(bytes int) CallOption {
	return MaxRecvMsgSizeCallOption{MaxRecvMsgSize: bytes}
}

// MaxSendMsgSizeCallOption is the CallOption built by MaxCallSendMsgSize.
//
// Experimental: grpc-go may change or remove this API.
type MaxSendMsgSizeCallOption struct {
	MaxSendMsgSize int
}

func (o MaxSendMsgSizeCallOption) configure(c *callInfo) error {
	c.maxSendSize, c.maxSendSet = o.MaxSendMsgSize, true
	return nil
}
func (o MaxSendMsgSizeCallOption) collect(*callInfo, *callResult) {}

// MaxCallSendMsgSize limits the size in bytes of each request message; the
// default is math.MaxInt32. A larger message fails the RPC with
// codes.ResourceExhausted.
func MaxCallSendMsgSize(bytes int) CallOption {
	return MaxSendMsgSizeCallOption{MaxSendMsgSize: bytes}
}

// PerRPCCredsCallOption is the CallOption built by PerRPCCredentials.
//
// Experimental: grpc-go may change or remove this API.
type PerRPCCredsCallOption struct {
	Creds credentials.PerRPCCredentials
}

func (o PerRPCCredsCallOption) configure(c *callInfo) error {
	c.creds = o.Creds
	return nil
}
func (o PerRPCCredsCallOption) collect(*callInfo, *callResult) {}

// PerRPCCredentials attaches creds to this RPC only, in addition to any
// channel-level per-RPC credentials.
func PerRPCCredentials(creds credentials.PerRPCCredentials) CallOption {
	return PerRPCCredsCallOption{Creds: creds}
}

// CompressorCallOption is the CallOption built by UseCompressor.
//
// Experimental: grpc-go may change or remove this API.
type CompressorCallOption struct {
	CompressorType string
}

func (o CompressorCallOption) configure(c *callInfo) error {
	c.compressorName = o.CompressorType
	return nil
}
func (o CompressorCallOption) collect(*callInfo, *callResult) {}

// acceptCompressorsOption is experimental.AcceptCompressors: the response
// may only be compressed with the named compressors.
type acceptCompressorsOption struct{ names []string }

func (o acceptCompressorsOption) configure(c *callInfo) error {
	var allowed []string
	for _, name := range o.names {
		name = strings.TrimSpace(name)
		if name == "" || name == encoding.Identity || slices.Contains(allowed, name) {
			continue
		}
		if !grpcutil.IsCompressorNameRegistered(name) {
			return status.Errorf(codes.InvalidArgument, "grpc: compressor %q is not registered", name)
		}
		allowed = append(allowed, name)
	}
	// As in grpc-go, a list naming no compressor leaves the default.
	c.acceptCompressors = allowed
	return nil
}

func (acceptCompressorsOption) collect(*callInfo, *callResult) {}

// compressorAllowed reports whether a response compressed with name is
// acceptable under allowed (nil: anything).
func compressorAllowed(allowed []string, name string) bool {
	return allowed == nil || name == "" || name == encoding.Identity || slices.Contains(allowed, name)
}

func init() {
	internal.AcceptCompressors = func(names ...string) CallOption {
		return acceptCompressorsOption{names: slices.Clone(names)}
	}
}

// UseCompressor compresses the RPC's request messages with the compressor
// registered under name, taking precedence over WithCompressor.
//
// Experimental: grpc-go may change or remove this API.
func UseCompressor(name string) CallOption {
	return CompressorCallOption{CompressorType: name}
}

// ContentSubtypeCallOption is the CallOption built by CallContentSubtype.
//
// Experimental: grpc-go may change or remove this API.
type ContentSubtypeCallOption struct {
	ContentSubtype string
}

func (o ContentSubtypeCallOption) configure(c *callInfo) error {
	c.contentSubtype = strings.ToLower(o.ContentSubtype)
	return nil
}
func (o ContentSubtypeCallOption) collect(*callInfo, *callResult) {}

// CallContentSubtype sets the RPC's content-subtype, lowercased, so that
// "json" gives Content-Type "application/grpc+json".
//
// On its own it also selects the codec registered under that name with
// encoding.RegisterCodec; the RPC fails with codes.Internal if there is none.
// Combined with ForceCodec, the forced codec encodes the messages and this
// option only decides the Content-Type.
func CallContentSubtype(contentSubtype string) CallOption {
	return ContentSubtypeCallOption{ContentSubtype: contentSubtype}
}

// ForceCodecCallOption is the CallOption built by ForceCodec.
//
// Experimental: grpc-go may change or remove this API.
type ForceCodecCallOption struct {
	Codec encoding.Codec
}

func (o ForceCodecCallOption) configure(c *callInfo) error {
	c.codec = newCodecV1Bridge(o.Codec)
	return nil
}
func (o ForceCodecCallOption) collect(*callInfo, *callResult) {}

// ForceCodec encodes and decodes the RPC's messages with codec, ignoring the
// codec registry. Unless CallContentSubtype is given too, the lowercased
// codec.Name() becomes the content-subtype.
//
// Experimental: grpc-go may change or remove this API.
func ForceCodec(codec encoding.Codec) CallOption {
	return ForceCodecCallOption{Codec: codec}
}

// ForceCodecV2CallOption is the CallOption built by ForceCodecV2.
//
// Experimental: grpc-go may change or remove this API.
type ForceCodecV2CallOption struct {
	CodecV2 encoding.CodecV2
}

func (o ForceCodecV2CallOption) configure(c *callInfo) error {
	c.codec = o.CodecV2
	return nil
}
func (o ForceCodecV2CallOption) collect(*callInfo, *callResult) {}

// ForceCodecV2 is ForceCodec for an encoding.CodecV2.
//
// Experimental: grpc-go may change or remove this API.
func ForceCodecV2(codec encoding.CodecV2) CallOption {
	return ForceCodecV2CallOption{CodecV2: codec}
}

// CustomCodecCallOption is the CallOption built by CallCustomCodec.
//
// Experimental: grpc-go may change or remove this API.
type CustomCodecCallOption struct {
	Codec Codec
}

func (o CustomCodecCallOption) configure(c *callInfo) error {
	c.codec = newCodecV0Bridge(o.Codec)
	return nil
}
func (o CustomCodecCallOption) collect(*callInfo, *callResult) {}

// CallCustomCodec is ForceCodec for the older grpc.Codec interface.
//
// Deprecated: use ForceCodec.
func CallCustomCodec(codec Codec) CallOption {
	return CustomCodecCallOption{Codec: codec}
}

// AuthorityOverrideCallOption is the CallOption built by CallAuthority.
//
// Experimental: grpc-go may change or remove this API.
type AuthorityOverrideCallOption struct {
	Authority string
}

func (o AuthorityOverrideCallOption) configure(c *callInfo) error {
	c.authority = o.Authority
	return nil
}
func (o AuthorityOverrideCallOption) collect(*callInfo, *callResult) {}

// CallAuthority sends authority as the RPC's :authority instead of the
// channel's. The transport credentials must implement AuthorityValidator so
// the value can be checked.
//
// Experimental: grpc-go may change or remove this API.
func CallAuthority(authority string) CallOption {
	return AuthorityOverrideCallOption{Authority: authority}
}

// OnFinishCallOption is the CallOption built by OnFinish.
//
// Experimental: grpc-go may change or remove this API.
type OnFinishCallOption struct {
	OnFinish func(error)
}

func (o OnFinishCallOption) configure(c *callInfo) error {
	c.onFinish = append(c.onFinish, o.OnFinish)
	return nil
}
func (o OnFinishCallOption) collect(*callInfo, *callResult) {}

// OnFinish registers onFinish to run exactly once when the RPC ends; it gets
// the RPC's final status as an error (nil on success). Streaming
// interceptors use it to learn when a stream is done.
//
// Experimental: grpc-go may change or remove this API.
func OnFinish(onFinish func(err error)) CallOption {
	return OnFinishCallOption{OnFinish: onFinish}
}

// combine returns o1 followed by o2 without aliasing either slice, so that
// an interceptor appending to its options cannot clobber the defaults.
func combine(o1, o2 []CallOption) []CallOption {
	if len(o1) == 0 {
		return o2
	}
	if len(o2) == 0 {
		return o1
	}
	out := make([]CallOption, 0, len(o1)+len(o2))
	out = append(out, o1...)
	return append(out, o2...)
}

// setCodec settles the codec and content-subtype once all options applied:
// a forced codec names the subtype unless one was given; otherwise the
// subtype selects a registered codec.
func (c *callInfo) setCodec() error {
	if c.codec != nil {
		if c.contentSubtype == "" {
			c.contentSubtype = strings.ToLower(c.codec.Name())
		}
		return nil
	}
	codec, err := getCodec(c.contentSubtype)
	if err != nil {
		return err
	}
	c.codec = codec
	return nil
}

// MaxRetryRPCBufferSizeCallOption is the CallOption made by
// MaxRetryRPCBufferSize.
//
// Experimental: grpc-go may change or remove this API.
type MaxRetryRPCBufferSizeCallOption struct {
	MaxRetryRPCBufferSize int
}

func (o MaxRetryRPCBufferSizeCallOption) configure(c *callInfo) error {
	c.maxRetryBuffer = o.MaxRetryRPCBufferSize
	return nil
}
func (o MaxRetryRPCBufferSizeCallOption) collect(*callInfo, *callResult) {}

// MaxRetryRPCBufferSize bounds the bytes of requests one RPC keeps for
// replaying on a retry (256 KiB by default). Past it, the RPC commits to
// its current attempt and is no longer retried.
//
// Experimental: grpc-go may change or remove this API.
func MaxRetryRPCBufferSize(bytes int) CallOption {
	return MaxRetryRPCBufferSizeCallOption{MaxRetryRPCBufferSize: bytes}
}

// applyMethodConfig applies the service config's settings for the method;
// call options set explicitly take precedence or, for sizes, the smaller
// value wins.
func (c *callInfo) applyMethodConfig(mc *MethodConfig) {
	if mc.MaxReqSize != nil && (!c.maxSendSet || *mc.MaxReqSize < c.maxSendSize) {
		c.maxSendSize = *mc.MaxReqSize
	}
	if mc.MaxRespSize != nil && (!c.maxRecvSet || *mc.MaxRespSize < c.maxRecvSize) {
		c.maxRecvSize = *mc.MaxRespSize
	}
}

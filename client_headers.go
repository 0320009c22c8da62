package grpc

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/internal/transport"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// overrideAuthority applies CallAuthority once the connection's credentials
// have agreed to it.
func (cs *clientStream) overrideAuthority(t *transport.ClientTransport, hdr *transport.CallHdr) error {
	a := cs.ci.authority
	if a == "" {
		return nil
	}
	ai := t.Peer().AuthInfo
	v, ok := ai.(credentials.AuthorityValidator)
	if !ok {
		authType := "<nil>"
		if ai != nil {
			authType = ai.AuthType()
		}
		return status.Errorf(codes.Unavailable, "credentials type %q does not implement the AuthorityValidator interface, but authority override specified with CallAuthority call option", authType)
	}
	if err := v.ValidateAuthority(a); err != nil {
		return status.Errorf(codes.Unavailable, "failed to validate authority %q : %v", a, err)
	}
	hdr.Host = a
	return nil
}

// outgoingMetadata adds the per-RPC credentials' metadata to the caller's.
func (cs *clientStream) outgoingMetadata(t *transport.ClientTransport, md metadata.MD) (metadata.MD, error) {
	dialCreds := cs.cc.dopts.allPerRPCCreds()
	if len(dialCreds) == 0 && cs.ci.creds == nil {
		return md, nil
	}
	authInfo := t.Peer().AuthInfo
	ctx := credentials.NewContextWithRequestInfo(cs.ctx, credentials.RequestInfo{Method: cs.method, AuthInfo: authInfo})
	aud := audience(cs.cc.authority, cs.method)
	out := metadata.MD{}
	add := func(c credentials.PerRPCCredentials) error {
		data, err := c.GetRequestMetadata(ctx, aud)
		if err != nil {
			if st, ok := status.FromError(err); ok {
				if restrictedControlPlaneCode(st.Code()) {
					return status.Errorf(codes.Internal, "transport: received per-RPC creds error with illegal status: %v", err)
				}
				return err
			}
			return status.Errorf(codes.Unauthenticated, "transport: per-RPC creds failed due to error: %v", err)
		}
		for k, v := range data {
			out.Append(strings.ToLower(k), v)
		}
		return nil
	}
	for _, c := range dialCreds {
		if err := add(c); err != nil {
			return nil, err
		}
	}
	if c := cs.ci.creds; c != nil {
		if c.RequireTransportSecurity() {
			secure := cs.cc.dopts.transportCreds().Info().SecurityProtocol != "insecure"
			if !secure || credentials.CheckSecurityLevel(authInfo, credentials.PrivacyAndIntegrity) != nil {
				return nil, status.Error(codes.Unauthenticated, "transport: cannot send secure credentials on an insecure connection")
			}
		}
		if err := add(c); err != nil {
			return nil, err
		}
	}
	for k, v := range md {
		out.Append(k, v...)
	}
	return out, nil
}

// audience is the URI per-RPC credentials are issued for:
// "https://host/service", without the default port.
func audience(host, method string) string {
	host = strings.TrimSuffix(host, ":443")
	if i := strings.LastIndex(method, "/"); i >= 0 {
		method = method[:i]
	}
	return "https://" + host + method
}

// restrictedControlPlaneCode reports codes that credentials and other control
// plane components may not produce (gRFC A54).
func restrictedControlPlaneCode(c codes.Code) bool {
	switch c {
	case codes.OK, codes.InvalidArgument, codes.NotFound, codes.AlreadyExists,
		codes.FailedPrecondition, codes.Aborted, codes.OutOfRange, codes.DataLoss:
		return true
	}
	return false
}

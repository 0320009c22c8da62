// Package deps pins the core dependencies while the packages that use them are written.
package deps

import (
	_ "golang.org/x/net/http2"
	_ "golang.org/x/net/http2/hpack"
	_ "google.golang.org/genproto/googleapis/rpc/status"
	_ "google.golang.org/protobuf/proto"
)

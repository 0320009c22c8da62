package transport

import (
	"context"
	"errors"
	"strconv"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// NewStreamError is returned by ClientTransport.NewStream. It records whether
// the failed stream may be retried on another transport without the
// application noticing (no byte of it reached the server).
type NewStreamError struct {
	Err                   error
	AllowTransparentRetry bool
}

// Error returns the wrapped error's text.
func (e *NewStreamError) Error() string { return e.Err.Error() }

// Unwrap lets status.FromError and errors.Is see the wrapped status error.
func (e *NewStreamError) Unwrap() error { return e.Err }

// IsTransparentRetryable reports whether err came from NewStream and the
// stream never left this side, so the caller may retry it elsewhere.
func IsTransparentRetryable(err error) bool {
	var e *NewStreamError
	return errors.As(err, &e) && e.AllowTransparentRetry
}

var (
	// ErrConnClosing is the error of streams started on, or failed by, a
	// transport that is closing.
	ErrConnClosing = status.Error(codes.Unavailable, "transport is closing")
	errStreamDrain = status.Error(codes.Unavailable, "the connection is draining")
	// errStreamCanceled ends a server stream whose client reset it or
	// whose connection went away.
	errStreamCanceled = status.Error(codes.Canceled, context.Canceled.Error())
	errStreamDone     = status.Error(codes.Internal, "transport: the stream is done")
)

// rstCodeToGRPC maps an HTTP/2 error code to the gRPC code grpc-go reports.
func rstCodeToGRPC(c http2.ErrCode) codes.Code {
	switch c {
	case http2.ErrCodeFlowControl, http2.ErrCodeEnhanceYourCalm:
		return codes.ResourceExhausted
	case http2.ErrCodeRefusedStream:
		return codes.Unavailable
	case http2.ErrCodeCancel:
		return codes.Canceled
	case http2.ErrCodeInadequateSecurity:
		return codes.PermissionDenied
	}
	return codes.Internal
}

// rstStatus is the status of a stream the peer reset.
func rstStatus(c http2.ErrCode) *status.Status {
	return status.New(rstCodeToGRPC(c), "stream terminated by RST_STREAM with error code: "+c.String())
}

// connError is a connection-level protocol violation by the peer: the
// reader answers it with GOAWAY(code) and closes the connection.
type connError struct {
	code http2.ErrCode
	msg  string
}

func (e *connError) Error() string { return "transport: " + e.msg }

func newConnError(code http2.ErrCode, msg string) error { return &connError{code: code, msg: msg} }

// ConnectionError describes why a connection failed; its text becomes the
// message of the Unavailable status of the streams it took down.
type ConnectionError struct {
	Desc string
}

// Error formats the error as grpc-go does.
func (e ConnectionError) Error() string { return "connection error: desc = " + strconv.Quote(e.Desc) }

// frameConnError converts a Framer read error that is the peer's fault
// into a connection error (nil for I/O errors).
func frameConnError(err error) error {
	if ce, ok := err.(http2.ConnectionError); ok {
		return newConnError(http2.ErrCode(ce), err.Error())
	}
	if err == http2.ErrFrameTooLarge {
		return newConnError(http2.ErrCodeFrameSize, err.Error())
	}
	return nil
}

//go:build !unix

package transport

import "io"

// readyReader is only available on unix; elsewhere bufReader keeps a
// small buffer of its own while it waits.
type readyReader struct{}

func newReadyReader(io.Reader, *bufReader) *readyReader { return nil }

func (*readyReader) read() (int, error) { return 0, nil }
